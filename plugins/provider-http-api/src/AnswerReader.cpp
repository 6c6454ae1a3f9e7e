#include "AnswerReader.h"
#include "JsonPath.h"
#include <steadyproxy/sdk/AnswerChecks.h>
#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>
#include <Poco/UTF8Encoding.h>
#include <cctype>
#include <cmath>
#include <regex>

namespace steadyproxy::httpapi {

namespace {

/// "result.proxy.host (host_path)" for messages.
std::string where(const std::string& path, const char* key)
{
    return std::string(path) + " (" + key + ")";
}

/// A scalar as text: strings as they are, booleans as true/false, numbers in decimal.
std::string scalarText(const Poco::Dynamic::Var& v)
{
    if (v.isEmpty()) return "";
    if (v.isString()) return v.extract<std::string>();
    if (v.isBoolean()) return v.convert<bool>() ? "true" : "false";
    if (v.isNumeric())
    {
        if (v.isInteger()) return std::to_string(v.convert<Poco::Int64>());
        double d = v.convert<double>();
        if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15) return std::to_string(static_cast<long long>(d));
        return v.convert<std::string>();
    }
    return "";
}

bool truthy(const Poco::Dynamic::Var& v)
{
    if (v.isEmpty()) return false;
    if (v.isBoolean()) return v.convert<bool>();
    if (v.isString())
    {
        std::string s = Poco::toLower(Poco::trim(v.extract<std::string>()));
        return !s.empty() && s != "false" && s != "0" && s != "no";
    }
    if (v.isNumeric()) return v.convert<double>() != 0;
    return true; // an object or array
}

std::string requireString(const Poco::Dynamic::Var& root, const std::string& path, const char* key)
{
    Poco::Dynamic::Var v = lookup(root, path);
    if (v.isEmpty()) throw AnswerError(where(path, key) + " is missing from the answer");
    if (!v.isString()) throw AnswerError(where(path, key) + " is " + jsonTypeName(v) + ", expected a string");
    std::string s = v.extract<std::string>();
    if (s.empty()) throw AnswerError(where(path, key) + " is an empty string");
    if (!isValidUtf8(s)) throw AnswerError(where(path, key) + " is not valid UTF-8");
    return s;
}

/// A number, or a string of digits (some APIs quote numbers).
long long requireInteger(const Poco::Dynamic::Var& v, const std::string& what)
{
    if (v.isEmpty()) throw AnswerError(what + " is missing from the answer");
    if (v.isString())
    {
        std::string s = Poco::trim(v.extract<std::string>());
        if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
            throw AnswerError(what + " is \"" + s + "\", expected a whole number");
        return std::stoll(s);
    }
    if (v.isBoolean() || !v.isNumeric()) throw AnswerError(what + " is " + jsonTypeName(v) + ", expected a number");
    if (v.isInteger()) return v.convert<Poco::Int64>();
    double d = v.convert<double>();
    if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9.0e15)
        throw AnswerError(what + " is " + v.convert<std::string>() + ", expected a whole number");
    return static_cast<long long>(d);
}

/// An optional string field: absent or null is "", anything but a string or number is an error.
std::string optionalText(const Poco::Dynamic::Var& root, const std::string& path, const char* key)
{
    if (path.empty()) return "";
    Poco::Dynamic::Var v = lookup(root, path);
    if (v.isEmpty()) return "";
    if (v.isBoolean() || !(v.isString() || v.isNumeric()))
        throw AnswerError(where(path, key) + " is " + jsonTypeName(v) + ", expected a string");
    std::string s = scalarText(v);
    if (!isValidUtf8(s)) throw AnswerError(where(path, key) + " is not valid UTF-8");
    return s;
}

void checkHost(const std::string& what, const std::string& host)
{
    std::string why = hostProblem(host);
    if (!why.empty()) throw AnswerError(what + ": " + why);
}

std::optional<Upstream::Kind> kindOf(const std::string& text)
{
    std::string t = Poco::toLower(Poco::trim(text));
    if (t == "http") return Upstream::Kind::Http;
    if (t == "socks5" || t == "socks5h" || t == "socks") return Upstream::Kind::Socks5;
    return std::nullopt;
}

bool iequals(const std::string& a, const std::string& b)
{
    return Poco::icompare(a, b) == 0;
}

bool icontains(const std::string& text, const std::string& part)
{
    return !part.empty() && Poco::toLower(text).find(Poco::toLower(part)) != std::string::npos;
}

} // namespace

Answer readAnswer(const HttpApiSettings& s, int httpStatus, const std::string& body)
{
    Answer a;
    a.httpStatus = httpStatus;
    const bool ok2xx = httpStatus >= 200 && httpStatus < 300;
    try
    {
        a.root = Poco::JSON::Parser().parse(body);
    }
    catch (const Poco::Exception& e)
    {
        if (ok2xx) throw AnswerError("the answer is not valid JSON (" + e.message() + ")");
        a.root.clear();
    }
    if (!a.root.isEmpty() && a.root.type() != typeid(Poco::JSON::Object::Ptr) &&
        a.root.type() != typeid(Poco::JSON::Array::Ptr))
    {
        if (ok2xx) throw AnswerError("the answer is " + jsonTypeName(a.root) + ", expected a JSON object");
        a.root.clear();
    }
    if (!s.errorCodePath.empty()) a.code = scalarText(lookup(a.root, s.errorCodePath));
    if (!s.errorMessagePath.empty())
    {
        Poco::Dynamic::Var m = lookup(a.root, s.errorMessagePath);
        a.message = m.isString() ? m.extract<std::string>() : scalarText(m);
        if (!isValidUtf8(a.message)) a.message = "(the message is not valid UTF-8)";
    }
    if (s.successPath.empty())
    {
        a.success = ok2xx;
        return a;
    }
    Poco::Dynamic::Var flag = lookup(a.root, s.successPath);
    if (flag.isEmpty())
    {
        if (ok2xx && a.code.empty() && a.message.empty())
            throw AnswerError(where(s.successPath, "success_path") + " is missing from the answer");
        a.success = false;
        return a;
    }
    a.success = s.successValue.empty() ? truthy(flag) : scalarText(flag) == s.successValue;
    return a;
}

Upstream parseHostPort(const std::string& what, const std::string& value, Upstream::Kind kind)
{
    Upstream u;
    u.kind = kind;
    std::string problem = readHostPort(what, value, u.host, u.port);
    if (!problem.empty()) throw AnswerError(problem);
    return u;
}

EpochMs readTime(const Poco::Dynamic::Var& v, TimeUnit unit, EpochMs now, const std::string& what)
{
    switch (unit)
    {
    case TimeUnit::EpochMs:
    {
        long long ms = requireInteger(v, what);
        // Epoch ms before 2001-09-09 are not plausible (a value in seconds would land here).
        if (ms < 1000000000000LL) throw AnswerError(what + " is " + std::to_string(ms) + ", expected epoch milliseconds");
        return ms;
    }
    case TimeUnit::EpochSeconds:
    {
        long long sec = requireInteger(v, what);
        if (sec < 1000000000LL || sec >= 100000000000LL)
            throw AnswerError(what + " is " + std::to_string(sec) + ", expected epoch seconds");
        return sec * 1000;
    }
    case TimeUnit::InSeconds:
    case TimeUnit::InMs:
    {
        long long n = requireInteger(v, what);
        if (n < 0) throw AnswerError(what + " is " + std::to_string(n) + ", expected a duration of 0 or more");
        return now + (unit == TimeUnit::InSeconds ? n * 1000 : n);
    }
    case TimeUnit::Iso8601:
    {
        if (v.isEmpty()) throw AnswerError(what + " is missing from the answer");
        if (!v.isString()) throw AnswerError(what + " is " + jsonTypeName(v) + ", expected an ISO 8601 time");
        const std::string text = Poco::trim(v.extract<std::string>());
        static const std::regex shape(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))");
        Poco::DateTime dt;
        int tzd = 0;
        if (!std::regex_match(text, shape) ||
            !(Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, text, dt, tzd) ||
              Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, text, dt, tzd)))
            throw AnswerError(what + " is \"" + text + "\", expected an ISO 8601 time with a zone, "
                                                      "like 2026-05-01T10:00:00Z");
        return dt.timestamp().epochMicroseconds() / 1000 - static_cast<long long>(tzd) * 1000;
    }
    }
    return 0;
}

ProxyFields readProxy(const HttpApiSettings& s, const Poco::Dynamic::Var& root, EpochMs now)
{
    ProxyFields f;
    Upstream::Kind kind = s.protocol == "socks5" ? Upstream::Kind::Socks5 : Upstream::Kind::Http;
    if (!s.protocolPath.empty())
    {
        std::string text = requireString(root, s.protocolPath, "protocol_path");
        auto k = kindOf(text);
        if (!k) throw AnswerError(where(s.protocolPath, "protocol_path") + " is \"" + text + "\", expected http or socks5");
        kind = *k;
    }
    if (!s.addressPath.empty())
    {
        std::string address = requireString(root, s.addressPath, "address_path");
        // "socks5://1.2.3.4:1080": the scheme says the kind.
        auto scheme = address.find("://");
        if (scheme != std::string::npos)
        {
            auto k = kindOf(address.substr(0, scheme));
            if (!k) throw AnswerError(where(s.addressPath, "address_path") + " has the unsupported scheme \"" +
                                      address.substr(0, scheme) + "\"");
            kind = *k;
            address = address.substr(scheme + 3);
            if (!address.empty() && address.back() == '/') address.pop_back();
        }
        f.upstream = parseHostPort(where(s.addressPath, "address_path"), address, kind);
    }
    else
    {
        f.upstream.kind = kind;
        f.upstream.host = requireString(root, s.hostPath, "host_path");
        checkHost(where(s.hostPath, "host_path"), f.upstream.host);
        long long port = requireInteger(lookup(root, s.portPath), where(s.portPath, "port_path"));
        if (port < 1 || port > 65535)
            throw AnswerError(where(s.portPath, "port_path") + " is " + std::to_string(port) + ", outside 1..65535");
        f.upstream.port = static_cast<std::uint16_t>(port);
    }
    f.upstream.username = optionalText(root, s.usernamePath, "username_path");
    f.upstream.password = optionalText(root, s.passwordPath, "password_path");

    if (!s.realIpPath.empty())
    {
        f.realIp = requireString(root, s.realIpPath, "real_ip_path");
        Poco::Net::IPAddress ip;
        if (!Poco::Net::IPAddress::tryParse(f.realIp, ip))
            throw AnswerError(where(s.realIpPath, "real_ip_path") + " is \"" + f.realIp + "\", expected an IP address");
    }
    f.location = optionalText(root, s.locationPath, "location_path");
    if (!s.expiresAtPath.empty())
        f.expiresAt = readTime(lookup(root, s.expiresAtPath), s.expiresAtUnit, now, where(s.expiresAtPath, "expires_at_path"));
    if (!s.nextChangeAtPath.empty())
        f.nextChangeAt = readTime(lookup(root, s.nextChangeAtPath), s.nextChangeAtUnit, now,
                                  where(s.nextChangeAtPath, "next_change_at_path"));
    else if (s.changeIntervalSeconds > 0)
        f.nextChangeAt = now + s.changeIntervalSeconds * 1000LL;
    if (!s.ttlPath.empty())
    {
        long long ttl = requireInteger(lookup(root, s.ttlPath), where(s.ttlPath, "ttl_path"));
        if (ttl < 0 || ttl > 100000000) throw AnswerError(where(s.ttlPath, "ttl_path") + " is " + std::to_string(ttl) + ", expected seconds");
        f.ttlSeconds = static_cast<int>(ttl);
    }
    else if (f.expiresAt > now)
        f.ttlSeconds = static_cast<int>((f.expiresAt - now + 999) / 1000);
    return f;
}

FailureKind classify(const HttpApiSettings& s, const Answer& a)
{
    const std::pair<const std::vector<std::string>*, FailureKind> lists[] = {
        {&s.errors.keyNotFound, FailureKind::KeyNotFound},
        {&s.errors.keyExpired, FailureKind::KeyExpired},
        {&s.errors.noLease, FailureKind::NoLease},
        {&s.errors.tooEarly, FailureKind::TooEarly}};
    // Exact codes first, so that a fragment of one list never shadows another list's code.
    if (!a.code.empty())
        for (const auto& [entries, kind] : lists)
            for (const auto& e : *entries)
                if (iequals(e, a.code)) return kind;
    const std::string status = "http:" + std::to_string(a.httpStatus);
    for (const auto& [entries, kind] : lists)
        for (const auto& e : *entries)
            if (iequals(e, status)) return kind;
    if (!a.message.empty())
        for (const auto& [entries, kind] : lists)
            for (const auto& e : *entries)
                if (Poco::icompare(e.substr(0, 5), "http:") != 0 && icontains(a.message, e)) return kind;
    return FailureKind::Other;
}

std::optional<long long> waitMsIn(const std::string& message)
{
    static const std::regex re(R"((\d{1,6})\s*(ms|milliseconds?|s|secs?|seconds?|giây|m|mins?|minutes?|phút)\b)",
                               std::regex::icase);
    std::smatch m;
    if (!std::regex_search(message, m, re)) return std::nullopt;
    long long n = std::stoll(m[1].str());
    std::string unit = Poco::toLower(m[2].str());
    if (unit == "ms" || unit.rfind("millisecond", 0) == 0) return n;
    if (unit == "m" || unit.rfind("min", 0) == 0 || unit == "phút") return n * 60000;
    return n * 1000;
}

} // namespace steadyproxy::httpapi
