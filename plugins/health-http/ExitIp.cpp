#include "ExitIp.h"
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>

namespace steadyproxy::health {

namespace {

std::optional<std::string> canonicalIp(const std::string& text)
{
    Poco::Net::IPAddress address;
    if (!Poco::Net::IPAddress::tryParse(Poco::trim(text), address)) return std::nullopt;
    return address.toString();
}

} // namespace

std::optional<std::string> exitIpFromBody(const std::string& body)
{
    std::string text = Poco::trim(body);
    if (text.empty()) return std::nullopt;
    if (text.front() != '{') return canonicalIp(text);
    try
    {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var parsed = parser.parse(text);
        Poco::JSON::Object::Ptr object = parsed.extract<Poco::JSON::Object::Ptr>();
        for (const char* field : {"ip", "origin"})
        {
            if (!object->has(field)) continue;
            Poco::Dynamic::Var value = object->get(field);
            if (!value.isString()) continue;
            std::string s = value.toString();
            return canonicalIp(s.substr(0, s.find(',')));
        }
    }
    catch (...)
    {
        // Not JSON after all, or not an object: the body simply carries no exit IP.
    }
    return std::nullopt;
}

bool sameIp(const std::string& a, const std::string& b)
{
    auto ca = canonicalIp(a), cb = canonicalIp(b);
    if (ca && cb) return *ca == *cb;
    return Poco::trim(a) == Poco::trim(b);
}

} // namespace steadyproxy::health
