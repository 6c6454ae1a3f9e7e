#pragma once
#include <string>

namespace steadyproxy::httpapi {

/// The values a request template may name: {key} (the provider key) and {region}.
struct TemplateValues
{
    std::string key;
    std::string region;
};

/// `tpl` with {key} and {region} replaced by their values percent-encoded (RFC 3986: every
/// byte but A-Z a-z 0-9 - . _ ~), for URL templates.
std::string expandUrl(const std::string& tpl, const TemplateValues& values);

/// `tpl` with {key} and {region} replaced by their values JSON-escaped (no quotes added:
/// the template writes them, as in {"api_key": "{key}"}), for body templates.
std::string expandJson(const std::string& tpl, const TemplateValues& values);

/// `tpl` with {key} and {region} replaced verbatim, for header values.
std::string expandRaw(const std::string& tpl, const TemplateValues& values);

/// "" when every {name} in `tpl` is {key} or {region}; otherwise what is wrong, for a
/// person. Braces that do not enclose a plain lower-case name (JSON objects) are text.
std::string placeholderProblem(const std::string& tpl);

/// Whether `tpl` contains the placeholder {name}.
bool mentions(const std::string& tpl, const std::string& name);

/// RFC 3986 percent-encoding of every byte outside the unreserved set.
std::string percentEncode(const std::string& value);

/// `tpl` without its query and fragment: safe to show in messages (a template may carry
/// tokens in its query, and expanded URLs carry the key).
std::string describeTemplate(const std::string& tpl);

} // namespace steadyproxy::httpapi
