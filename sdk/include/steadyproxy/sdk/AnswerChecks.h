#pragma once
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/UTF8Encoding.h>
#include <cctype>
#include <string>
#include <typeinfo>

// Checks for values a provider reads from an upstream API's answer before it trusts them.
// Header-only; uses Poco::JSON types, so a plugin including it links Poco::JSON (both
// providers in the tree do). Pure functions: any thread; they throw nothing but std::bad_alloc.

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

} // namespace steadyproxy
