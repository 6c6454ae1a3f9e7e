#include "RequestTemplate.h"
#include <Poco/JSONString.h>
#include <cctype>
#include <functional>

namespace steadyproxy::httpapi {

namespace {

/// Replaces each {key}/{region} with encode(value); other text is copied as it is.
std::string expand(const std::string& tpl, const TemplateValues& values,
                   const std::function<std::string(const std::string&)>& encode)
{
    std::string out;
    out.reserve(tpl.size() + values.key.size() * 3);
    for (std::size_t i = 0; i < tpl.size();)
    {
        if (tpl.compare(i, 5, "{key}") == 0)
        {
            out += encode(values.key);
            i += 5;
        }
        else if (tpl.compare(i, 8, "{region}") == 0)
        {
            out += encode(values.region);
            i += 8;
        }
        else
            out += tpl[i++];
    }
    return out;
}

} // namespace

std::string percentEncode(const std::string& value)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : value)
    {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
            out += static_cast<char>(c);
        else
        {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string expandUrl(const std::string& tpl, const TemplateValues& values)
{
    return expand(tpl, values, percentEncode);
}

std::string expandJson(const std::string& tpl, const TemplateValues& values)
{
    return expand(tpl, values, [](const std::string& v) { return Poco::toJSON(v, false); });
}

std::string expandRaw(const std::string& tpl, const TemplateValues& values)
{
    return expand(tpl, values, [](const std::string& v) { return v; });
}

std::string placeholderProblem(const std::string& tpl)
{
    for (std::size_t open = tpl.find('{'); open != std::string::npos; open = tpl.find('{', open + 1))
    {
        std::size_t close = tpl.find('}', open);
        if (close == std::string::npos) break;
        std::string name = tpl.substr(open + 1, close - open - 1);
        bool plainName = !name.empty();
        for (char c : name)
            if (!(std::islower(static_cast<unsigned char>(c)) || c == '_')) plainName = false;
        if (plainName && name != "key" && name != "region")
            return "unknown placeholder {" + name + "}: only {key} and {region} are replaced";
    }
    return "";
}

bool mentions(const std::string& tpl, const std::string& name)
{
    return tpl.find("{" + name + "}") != std::string::npos;
}

std::string describeTemplate(const std::string& tpl)
{
    return tpl.substr(0, tpl.find_first_of("?#"));
}

} // namespace steadyproxy::httpapi
