#pragma once
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/UTF8Encoding.h>
#include <cctype>
#include <cstdint>
#include <string>
#include <typeinfo>

// Checks for values a provider reads from an upstream API's answer before it trusts them.
// Header-only; uses Poco::JSON and Poco::Net types, so a plugin including it links
// Poco::JSON and Poco::Net (both providers in the tree do). Pure functions: any thread; they throw nothing but std::bad_alloc.

namespace steadyproxy {

/// Whether `s` is well-formed UTF-8 (no truncated or illegal sequence).
inline bool isValidUtf8(const std::string& s)
{
    Poco::UTF8Encoding utf8;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end)
    {
        int n = utf8.sequenceLength(p, static_cast<int>(end - p));
        if (n <= 0 || n > end - p || !utf8.isLegal(p, n)) return false;
        p += n;
    }
    return true;
}

/// Whether `h` looks like a DNS host name: 1..253 characters of letters, digits, '.' and
/// '-', not starting with '.' or '-'. (An all-digits-and-dots name passes; callers that must
/// tell it from a broken IPv4 address check that themselves.)
inline bool isValidHostName(const std::string& h)
{
    if (h.empty() || h.size() > 253 || h.front() == '.' || h.front() == '-') return false;
    for (char c : h)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
    return true;
}

/// "null", "a string", "a boolean", "a number", "an object", "an array" (or "an unexpected
/// value") for a value parsed by Poco::JSON::Parser, for messages.
inline std::string jsonTypeName(const Poco::Dynamic::Var& v)
{
    if (v.isEmpty()) return "null";
    if (v.isString()) return "a string";
    if (v.isBoolean()) return "a boolean";
    if (v.isNumeric()) return "a number";
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return "an object";
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) return "an array";
    return "an unexpected value";
}

/// Why `host` (an unbracketed value from an API answer) is neither an IP address nor a host
/// name, or an empty string when it is one. A dotted-digits host that does not parse as
/// IPv4 is a broken address, not a name.
inline std::string hostProblem(const std::string& host)
{
    Poco::Net::IPAddress ip;
    if (Poco::Net::IPAddress::tryParse(host, ip)) return std::string();
    if (host.find_first_not_of("0123456789.") == std::string::npos) return "\"" + host + "\" is not a valid IPv4 address";
    if (!isValidHostName(host)) return "\"" + host + "\" is not an IP address or host name";
    return std::string();
}

/// Reads an upstream address from an API answer: "host:port" (IPv4 or a host name) or
/// "[IPv6]:port", the port 1..65535. Returns an empty string and fills `host` and `port`,
/// or says what is wrong, naming `field`.
inline std::string readHostPort(const std::string& field, const std::string& value, std::string& host, std::uint16_t& port)
{
    const std::string quoted = field + " is \"" + value + "\"";
    std::string h, p;
    Poco::Net::IPAddress ip;
    if (!value.empty() && value.front() == '[')
    {
        auto close = value.find(']');
        if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':')
            return quoted + ", expected [address]:port";
        h = value.substr(1, close - 1);
        p = value.substr(close + 2);
        if (!Poco::Net::IPAddress::tryParse(h, ip) || ip.family() != Poco::Net::IPAddress::IPv6)
            return quoted + ": \"" + h + "\" is not an IPv6 address";
    }
    else
    {
        auto colon = value.rfind(':');
        if (colon == std::string::npos || value.find(':') != colon) return quoted + ", expected host:port";
        h = value.substr(0, colon);
        p = value.substr(colon + 1);
        std::string why = hostProblem(h);
        if (!why.empty()) return quoted + ": " + why;
    }
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos)
        return quoted + ": the port is not a number";
    int n = std::stoi(p);
    if (n < 1 || n > 65535) return quoted + ": the port is outside 1..65535";
    host = h;
    port = static_cast<std::uint16_t>(n);
    return std::string();
}

} // namespace steadyproxy
