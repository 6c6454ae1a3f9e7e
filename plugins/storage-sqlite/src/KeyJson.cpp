#include "KeyJson.h"
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <steadyproxy/sdk/Errors.h>
#include <sstream>

namespace steadyproxy::sqlite {

namespace {

template <class T>
std::string stringify(const T& json)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(json, out);
    return out.str();
}

Poco::Dynamic::Var parse(const std::string& json, const std::string& what)
{
    try
    {
        Poco::JSON::Parser parser;
        return parser.parse(json.empty() ? std::string(what == "allow_cidrs" ? "[]" : "{}") : json);
    }
    catch (const Poco::Exception& e)
    {
        throw StorageError("proxy_keys." + what + " holds invalid JSON (" + e.displayText() + ")");
    }
}

} // namespace

std::string KeyJson::allowCidrsToJson(const std::vector<std::string>& cidrs)
{
    Poco::JSON::Array array;
    for (const std::string& c : cidrs) array.add(c);
    return stringify(array);
}

std::vector<std::string> KeyJson::allowCidrsFromJson(const std::string& json)
{
    Poco::Dynamic::Var v = parse(json, "allow_cidrs");
    Poco::JSON::Array::Ptr array;
    try
    {
        array = v.extract<Poco::JSON::Array::Ptr>();
    }
    catch (const Poco::Exception&)
    {
    }
    if (!array) throw StorageError("proxy_keys.allow_cidrs is not a JSON array");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < array->size(); ++i) out.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
    return out;
}

std::string KeyJson::overridesToJson(const KeyOverrides& o)
{
    Poco::JSON::Object object;
    if (o.autoRotateOnExpiration) object.set("autoRotateOnExpiration", *o.autoRotateOnExpiration);
    if (o.autoRotateIntervalEnabled) object.set("autoRotateIntervalEnabled", *o.autoRotateIntervalEnabled);
    if (o.autoRotateIntervalMinutes) object.set("autoRotateIntervalMinutes", *o.autoRotateIntervalMinutes);
    if (o.rotateOnFailure) object.set("rotateOnFailure", *o.rotateOnFailure);
    return stringify(object);
}

KeyOverrides KeyJson::overridesFromJson(const std::string& json)
{
    Poco::Dynamic::Var v = parse(json, "overrides");
    Poco::JSON::Object::Ptr object;
    try
    {
        object = v.extract<Poco::JSON::Object::Ptr>();
    }
    catch (const Poco::Exception&)
    {
    }
    if (!object) throw StorageError("proxy_keys.overrides is not a JSON object");
    KeyOverrides o;
    if (object->has("autoRotateOnExpiration")) o.autoRotateOnExpiration = object->getValue<bool>("autoRotateOnExpiration");
    if (object->has("autoRotateIntervalEnabled")) o.autoRotateIntervalEnabled = object->getValue<bool>("autoRotateIntervalEnabled");
    if (object->has("autoRotateIntervalMinutes")) o.autoRotateIntervalMinutes = object->getValue<int>("autoRotateIntervalMinutes");
    if (object->has("rotateOnFailure")) o.rotateOnFailure = object->getValue<bool>("rotateOnFailure");
    return o;
}

} // namespace steadyproxy::sqlite
