#include "JsonPath.h"
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Query.h>
#include <regex>

namespace steadyproxy::httpapi {

bool validJsonPath(const std::string& path)
{
    // segment = name [n]* | [n]+ ; path = segment ('.' segment)*
    static const std::regex re(R"((?:[^.\[\]\s]+(?:\[[0-9]+\])*|(?:\[[0-9]+\])+)(?:\.[^.\[\]\s]+(?:\[[0-9]+\])*)*)");
    return !path.empty() && std::regex_match(path, re);
}

Poco::Dynamic::Var lookup(const Poco::Dynamic::Var& root, const std::string& path)
{
    try
    {
        return Poco::JSON::Query(root).find(path);
    }
    catch (const Poco::Exception&)
    {
        return {};
    }
}

} // namespace steadyproxy::httpapi
