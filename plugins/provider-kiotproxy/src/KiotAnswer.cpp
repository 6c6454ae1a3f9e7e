#include "KiotAnswer.h"
#include <steadyproxy/sdk/AnswerChecks.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>
#include <Poco/UTF8Encoding.h>
#include <cctype>
#include <cmath>
#include <regex>

namespace steadyproxy::kiotproxy {

namespace {

// Epoch ms before 2001-09-09 are not plausible (a value in seconds would land here).
constexpr long long kMinEpochMs = 1000000000000LL;

bool isPresent(const Poco::JSON::Object& o, const std::string& name)
{
    return o.has(name) && !o.get(name).isEmpty();
}

std::string requireString(const Poco::JSON::Object& o, const std::string& name)
{
    if (!isPresent(o, name)) throw AnswerError("data." + name + " is missing");
    const Poco::Dynamic::Var v = o.get(name);
    if (!v.isString()) throw AnswerError("data." + name + " is " + jsonTypeName(v) + ", expected a string");
    std::string s = v.extract<std::string>();
    if (!isValidUtf8(s)) throw AnswerError("data." + name + " is not valid UTF-8");
    return s;
}

long long requireInteger(const Poco::JSON::Object& o, const std::string& name)
{
    if (!isPresent(o, name)) throw AnswerError("data." + name + " is missing");
    const Poco::Dynamic::Var v = o.get(name);
    if (v.isString() || v.isBoolean() || !v.isNumeric())
        throw AnswerError("data." + name + " is " + jsonTypeName(v) + ", expected a number");
    if (v.isInteger()) return v.convert<Poco::Int64>();
    double d = v.convert<double>();
    if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9.0e15)
        throw AnswerError("data." + name + " is " + v.convert<std::string>() + ", expected a whole number");
    return static_cast<long long>(d);
}

long long requireEpochMs(const Poco::JSON::Object& o, const std::string& name)
{
    long long v = requireInteger(o, name);
    if (v < kMinEpochMs)
        throw AnswerError("data." + name + " is " + std::to_string(v) + ", expected epoch milliseconds");
    return v;
}

bool nameContains(const std::string& upperName, std::initializer_list<const char*> parts)
{
    for (const char* p : parts)
        if (upperName.find(p) != std::string::npos) return true;
    return false;
}

} // namespace

Envelope parseEnvelope(const std::string& body)
{
    Poco::Dynamic::Var root;
    try
    {
        Poco::JSON::Parser parser;
        root = parser.parse(body);
    }
    catch (const Poco::Exception& e)
    {
        throw AnswerError("the answer is not valid JSON (" + e.message() + ")");
    }
    if (root.type() != typeid(Poco::JSON::Object::Ptr))
        throw AnswerError("the answer is " + jsonTypeName(root) + ", expected a JSON object");
    auto obj = root.extract<Poco::JSON::Object::Ptr>();
    if (!obj->has("success") || !obj->get("success").isBoolean())
        throw AnswerError("the answer has no boolean \"success\"");

    Envelope e;
    e.success = obj->get("success").extract<bool>();
    auto str = [&](const char* name) -> std::string {
        if (!isPresent(*obj, name)) return {};
        Poco::Dynamic::Var v = obj->get(name);
        return v.isString() ? v.extract<std::string>() : v.convert<std::string>();
    };
    e.status = str("status");
    e.error = str("error");
    e.message = str("message");
    if (!isValidUtf8(e.message)) throw AnswerError("the answer's message is not valid UTF-8");
    if (isPresent(*obj, "code") && obj->get("code").isNumeric() && !obj->get("code").isString())
        e.code = obj->get("code").convert<Poco::Int64>();
    if (isPresent(*obj, "timestamp") && obj->get("timestamp").isNumeric() && !obj->get("timestamp").isString())
        e.timestamp = obj->get("timestamp").convert<Poco::Int64>();
    if (obj->has("data")) e.data = obj->get("data");
    return e;
}

Upstream parseHostPort(const std::string& field, const std::string& value, Upstream::Kind kind)
{
    Upstream u;
    u.kind = kind;
    std::string problem = readHostPort(field, value, u.host, u.port);
    if (!problem.empty()) throw AnswerError(problem);
    return u;
}

ProxyData parseProxyData(const Poco::Dynamic::Var& data, bool requireHttp, bool requireSocks5)
{
    if (data.isEmpty()) throw AnswerError("the success answer has no data");
    if (data.type() != typeid(Poco::JSON::Object::Ptr))
        throw AnswerError("data is " + jsonTypeName(data) + ", expected an object");
    const Poco::JSON::Object& o = *data.extract<Poco::JSON::Object::Ptr>();

    ProxyData pd;
    pd.realIp = requireString(o, "realIpAddress");
    Poco::Net::IPAddress ip;
    if (!Poco::Net::IPAddress::tryParse(pd.realIp, ip))
        throw AnswerError("data.realIpAddress is '" + pd.realIp + "', expected an IP address");

    auto address = [&](const char* name, const char* portName, Upstream::Kind kind, bool required) {
        Upstream u;
        u.kind = kind;
        if (!isPresent(o, name))
        {
            if (required) throw AnswerError(std::string("data.") + name + " is missing");
            return u;
        }
        u = parseHostPort(std::string("data.") + name, requireString(o, name), kind);
        if (isPresent(o, portName))
        {
            long long p = requireInteger(o, portName);
            if (p < 1 || p > 65535)
                throw AnswerError(std::string("data.") + portName + " is " + std::to_string(p) + ", outside 1..65535");
            if (p != u.port)
                throw AnswerError(std::string("data.") + portName + " is " + std::to_string(p) + " but data." + name +
                                  " names port " + std::to_string(u.port));
        }
        return u;
    };
    pd.http = address("http", "httpPort", Upstream::Kind::Http, requireHttp);
    pd.socks5 = address("socks5", "socks5Port", Upstream::Kind::Socks5, requireSocks5);
    if (pd.http.port == 0 && pd.socks5.port == 0) throw AnswerError("data has neither http nor socks5");

    if (isPresent(o, "host")) requireString(o, "host");
    if (isPresent(o, "location")) pd.location = requireString(o, "location");
    pd.expirationAt = requireEpochMs(o, "expirationAt");
    pd.nextRequestAt = requireEpochMs(o, "nextRequestAt");
    if (isPresent(o, "ttl"))
    {
        long long ttl = requireInteger(o, "ttl");
        if (ttl < 0 || ttl > 366LL * 24 * 3600) throw AnswerError("data.ttl is " + std::to_string(ttl) + ", expected seconds >= 0");
        pd.ttl = static_cast<int>(ttl);
    }
    if (isPresent(o, "ttc"))
    {
        long long ttc = requireInteger(o, "ttc");
        if (ttc < -1 || ttc > 366LL * 24 * 3600) throw AnswerError("data.ttc is " + std::to_string(ttc) + ", expected seconds >= 0");
        pd.ttc = static_cast<int>(ttc);
    }
    // Credentials are rare (one client knows them); support them when present.
    std::string user, pass;
    if (isPresent(o, "proxyUser")) user = requireString(o, "proxyUser");
    if (isPresent(o, "proxyPass")) pass = requireString(o, "proxyPass");
    if (user.empty() && !pass.empty()) throw AnswerError("data.proxyPass is set but data.proxyUser is missing");
    for (Upstream* u : {&pd.http, &pd.socks5})
    {
        u->username = user;
        u->password = pass;
    }
    return pd;
}

bool isKeyNotFound(const Envelope& e)
{
    return Poco::toUpper(e.error) == "KEY_NOT_FOUND" || e.code == 40400006;
}

bool isKeyExpired(const Envelope& e)
{
    if (Poco::toUpper(e.error) == "KEY_EXPIRED") return true;
    // Seen in production with this Vietnamese text ("the key has expired, please renew").
    if (e.message.find("hết hạn") != std::string::npos) return true;
    const std::string m = Poco::toLower(e.message);
    return m.find("key") != std::string::npos && m.find("expired") != std::string::npos;
}

bool isNoProxy(const Envelope& e)
{
    return Poco::toUpper(e.error) == "PROXY_NOT_FOUND_BY_KEY" || e.code == 40001050;
}

std::optional<long long> waitMsIn(const std::string& message)
{
    static const std::regex seconds(u8R"((\d{1,7})\s*(giây|giay|seconds?|secs?|s)\b)", std::regex::icase);
    static const std::regex minutes(u8R"((\d{1,5})\s*(phút|phut|minutes?|mins?)\b)", std::regex::icase);
    std::smatch m;
    if (std::regex_search(message, m, seconds)) return std::stoll(m[1].str()) * 1000;
    if (std::regex_search(message, m, minutes)) return std::stoll(m[1].str()) * 60000;
    return std::nullopt;
}

bool looksTooEarly(const Envelope& e)
{
    const std::string name = Poco::toUpper(e.error);
    if (nameContains(name, {"EARLY", "WAIT", "TOO_MANY", "TOO_SOON", "NEXT_REQUEST", "NOT_ALLOWED_YET", "RATE_LIMIT"}))
        return true;
    const std::string m = Poco::toLower(e.message);
    for (const char* w : {"wait", "too early", "too soon", "try again", "chờ", "đợi", "thử lại", "chỉ có thể đổi"})
        if (m.find(w) != std::string::npos) return true;
    return waitMsIn(e.message).has_value();
}

} // namespace steadyproxy::kiotproxy
