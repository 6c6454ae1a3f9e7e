#include <steadyproxy/kernel/api/Api.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/StringTokenizer.h>
#include <Poco/UTF8String.h>
#include <Poco/Unicode.h>
#include <Poco/UnicodeConverter.h>
#include <Poco/TextIterator.h>
#include <Poco/UTF8Encoding.h>

namespace steadyproxy::kernel::api {

namespace {

std::vector<std::string> segments(const std::string& path)
{
    std::vector<std::string> out;
    Poco::StringTokenizer t(path, "/", Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    out.assign(t.begin(), t.end());
    return out;
}

bool validUtf8(const std::string& text)
{
    Poco::UTF8Encoding utf8;
    Poco::TextIterator it(text, utf8), end(text);
    for (; it != end; ++it)
        if (*it < 0) return false;
    return true;
}

} // namespace

Poco::JSON::Object::Ptr ApiRequest::json() const
{
    if (body.empty()) return new Poco::JSON::Object;
    Poco::Dynamic::Var parsed;
    try
    {
        Poco::JSON::Parser parser;
        parsed = parser.parse(body);
    }
    catch (const Poco::Exception& e)
    {
        throw ApiError(400, "malformed_json", "the body is not valid JSON: " + e.message());
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        throw ApiError(400, "malformed_json", "the body must be a JSON object");
    return parsed.extract<Poco::JSON::Object::Ptr>();
}

std::int64_t ApiRequest::id(const std::string& name) const
{
    auto it = params.find(name);
    Poco::Int64 value = 0;
    if (it == params.end() || !Poco::NumberParser::tryParse64(it->second, value) || value <= 0)
        throw ApiError(404, "not_found", "no such resource: " + path);
    return value;
}

int ApiRequest::queryInt(const std::string& name, int fallback, int min, int max) const
{
    auto it = query.find(name);
    if (it == query.end() || it->second.empty()) return fallback;
    int value = 0;
    if (!Poco::NumberParser::tryParse(it->second, value) || value < min || value > max)
        throw ApiError(400, "bad_request", name + " must be a whole number from " + std::to_string(min) + " to " +
                                               std::to_string(max) + ", got \"" + it->second + "\"", name);
    return value;
}

void Router::add(const std::string& method, const std::string& pattern, Access access, const std::string& summary,
                 Handler handler, bool csrf)
{
    _routes.push_back(Route{method, pattern, access, summary, std::move(handler), csrf});
}

const Route* Router::match(const std::string& method, const std::string& path,
                           std::map<std::string, std::string>& params, bool& pathKnown) const
{
    pathKnown = false;
    auto parts = segments(path);
    for (const auto& route : _routes)
    {
        auto pattern = segments(route.pattern);
        if (pattern.size() != parts.size()) continue;
        std::map<std::string, std::string> found;
        bool fits = true;
        for (std::size_t i = 0; i < parts.size() && fits; ++i)
        {
            if (pattern[i].size() > 2 && pattern[i].front() == '{' && pattern[i].back() == '}')
                found[pattern[i].substr(1, pattern[i].size() - 2)] = parts[i];
            else if (pattern[i] != parts[i])
                fits = false;
        }
        if (!fits) continue;
        pathKnown = true;
        if (route.method != method) continue;
        params = std::move(found);
        return &route;
    }
    return nullptr;
}

Poco::Dynamic::Var isoTime(EpochMs ms)
{
    if (ms <= 0) return Poco::Dynamic::Var();
    return Poco::DateTimeFormatter::format(Poco::Timestamp(ms * 1000), "%Y-%m-%dT%H:%M:%SZ");
}

EpochMs parseIsoTime(const std::string& text, const std::string& field)
{
    if (text.empty()) return 0;
    int tz = 0;
    Poco::DateTime dt;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, text, dt, tz) &&
        !Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, text, dt, tz) &&
        !Poco::DateTimeParser::tryParse(text, dt, tz))
        throw ApiError(422, "invalid_value", field + " is not an ISO 8601 time: \"" + text + "\"", field);
    dt.makeUTC(tz);
    return dt.timestamp().epochMicroseconds() / 1000;
}

std::optional<std::string> optString(const Poco::JSON::Object::Ptr& o, const std::string& field, std::size_t maxBytes)
{
    if (!o->has(field) || o->isNull(field)) return std::nullopt;
    Poco::Dynamic::Var v = o->get(field);
    if (!v.isString()) throw ApiError(422, "invalid_value", field + " must be a string", field);
    std::string s = v.extract<std::string>();
    if (s.size() > maxBytes)
        throw ApiError(422, "invalid_value", field + " is longer than " + std::to_string(maxBytes) + " bytes", field);
    if (!validUtf8(s)) throw ApiError(422, "invalid_value", field + " is not valid UTF-8", field);
    for (unsigned char c : s)
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
            throw ApiError(422, "invalid_value", field + " contains control characters", field);
    return s;
}

std::optional<bool> optBool(const Poco::JSON::Object::Ptr& o, const std::string& field)
{
    if (!o->has(field) || o->isNull(field)) return std::nullopt;
    Poco::Dynamic::Var v = o->get(field);
    if (v.type() != typeid(bool)) throw ApiError(422, "invalid_value", field + " must be true or false", field);
    return v.extract<bool>();
}

std::optional<long long> optInt(const Poco::JSON::Object::Ptr& o, const std::string& field)
{
    if (!o->has(field) || o->isNull(field)) return std::nullopt;
    Poco::Dynamic::Var v = o->get(field);
    if (!v.isInteger() || v.type() == typeid(bool))
        throw ApiError(422, "invalid_value", field + " must be a whole number", field);
    return v.convert<Poco::Int64>();
}

std::string requireString(const Poco::JSON::Object::Ptr& o, const std::string& field, std::size_t maxBytes)
{
    auto s = optString(o, field, maxBytes);
    if (!s || s->empty()) throw ApiError(422, "invalid_value", field + " is required", field);
    return *s;
}

void onlyFields(const Poco::JSON::Object::Ptr& o, const std::vector<std::string>& allowed)
{
    for (const auto& name : o->getNames())
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
            throw ApiError(422, "invalid_value", "unknown field \"" + name + "\"", name);
}

ApiResponse ok(Poco::Dynamic::Var body, int status)
{
    ApiResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

Poco::JSON::Object::Ptr success()
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("success", true);
    return o;
}

} // namespace steadyproxy::kernel::api
