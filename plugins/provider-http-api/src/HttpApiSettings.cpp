#include "HttpApiSettings.h"
#include "JsonPath.h"
#include "RequestTemplate.h"
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <steadyproxy/sdk/ConfigList.h>
#include <Poco/URI.h>

namespace steadyproxy::httpapi {

namespace {

const char* const kSection = "plugins.provider.http-api.";

TimeUnit parseUnit(const std::string& key, const std::string& value)
{
    if (value == "ms") return TimeUnit::EpochMs;
    if (value == "s") return TimeUnit::EpochSeconds;
    if (value == "iso8601") return TimeUnit::Iso8601;
    if (value == "in_s") return TimeUnit::InSeconds;
    if (value == "in_ms") return TimeUnit::InMs;
    throw ConfigError(configKey(key), "\"" + value + "\" is not a time unit: use ms, s, iso8601, in_s or in_ms");
}

std::string path(const Poco::Util::AbstractConfiguration& c, const std::string& key)
{
    std::string p = Poco::trim(c.getString(key, ""));
    if (!p.empty() && !validJsonPath(p))
        throw ConfigError(configKey(key), "\"" + p + "\" is not a JSON path: write names separated by dots, "
                                          "with [n] for array items (e.g. result.proxy.host or data.items[0].ip)");
    return p;
}

int integer(const Poco::Util::AbstractConfiguration& c, const std::string& key, int def, int min, int max)
{
    int v = def;
    try
    {
        v = c.getInt(key, def);
    }
    catch (const Poco::Exception&)
    {
        throw ConfigError(configKey(key), "\"" + c.getString(key, "") + "\" is not a whole number");
    }
    if (v < min || v > max)
        throw ConfigError(configKey(key), std::to_string(v) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
    return v;
}

/// Checks a URL template: placeholders, and that it expands to an absolute http(s) URL.
void checkUrl(const std::string& key, const std::string& tpl)
{
    std::string problem = placeholderProblem(tpl);
    if (!problem.empty()) throw ConfigError(configKey(key), problem);
    Poco::URI uri;
    try
    {
        uri = Poco::URI(expandUrl(tpl, {"K0123456789abcdef", "random"}));
    }
    catch (const Poco::Exception& e)
    {
        throw ConfigError(configKey(key), "\"" + describeTemplate(tpl) + "\" is not a URL: " + e.message());
    }
    if (uri.getScheme() != "http" && uri.getScheme() != "https")
        throw ConfigError(configKey(key), "\"" + describeTemplate(tpl) + "\" must start with http:// or https://");
    if (uri.getHost().empty()) throw ConfigError(configKey(key), "\"" + describeTemplate(tpl) + "\" names no host");
    // The key in the host name would travel in DNS queries and connection error texts.
    const std::size_t start = tpl.find("://") + 3;
    if (mentions(tpl.substr(start, tpl.find_first_of("/?#", start) - start), "key"))
        throw ConfigError(configKey(key), "{key} must not be part of the host name");
}

} // namespace

std::string configKey(const std::string& key)
{
    return kSection + key;
}

std::vector<ConfigOption> httpApiOptions()
{
    const std::vector<std::string> units{"ms", "s", "iso8601", "in_s", "in_ms"};
    ConfigOption newUrl = ConfigOption::string(
        "new_url", "", "URL template of the call that assigns a new upstream; {key} and {region} are percent-encoded");
    newUrl.required = true;
    return {
        ConfigOption::string("vendor", "http-api", "a name for the vendor, used in messages and logs"),
        newUrl,
        ConfigOption::string("current_url", "", "URL template of the call that tells the current upstream; empty = not supported"),
        ConfigOption::string("release_url", "", "URL template of the call that gives the upstream back; empty = not supported"),
        ConfigOption::string("method", "GET", "HTTP method of every call", "", {"GET", "POST"}),
        ConfigOption::string("body_template", "", "JSON body of POST calls; {key} and {region} are JSON-escaped"),
        ConfigOption::list("headers", "", "extra request headers, each \"Name: value\"; {key} and {region} are replaced verbatim"),
        ConfigOption::string("success_path", "", "JSON path telling whether a call succeeded; empty = any HTTP 2xx succeeds"),
        ConfigOption::string("success_value", "", "the value at success_path that means success; empty = any true, non-zero or non-empty value"),
        ConfigOption::string("address_path", "", "JSON path of the upstream as \"host:port\" (or use host_path and port_path)"),
        ConfigOption::string("host_path", "", "JSON path of the upstream host"),
        ConfigOption::string("port_path", "", "JSON path of the upstream port"),
        ConfigOption::string("protocol", "http", "what kind of proxy the address is, when protocol_path is empty", "", {"http", "socks5"}),
        ConfigOption::string("protocol_path", "", "JSON path of the proxy kind (http, socks5, socks5h or socks)"),
        ConfigOption::string("username_path", "", "JSON path of the upstream's username (may be absent in an answer)"),
        ConfigOption::string("password_path", "", "JSON path of the upstream's password (may be absent in an answer)"),
        ConfigOption::string("real_ip_path", "", "JSON path of the exit IP the vendor announces"),
        ConfigOption::string("location_path", "", "JSON path of the exit location, UTF-8 (may be absent in an answer)"),
        ConfigOption::string("expires_at_path", "", "JSON path of the moment the upstream stops working"),
        ConfigOption::string("expires_at_unit", "ms", "how expires_at_path is written", "", units),
        ConfigOption::string("next_change_at_path", "", "JSON path of the earliest moment a new upstream may be asked for"),
        ConfigOption::string("next_change_at_unit", "ms", "how next_change_at_path is written", "", units),
        ConfigOption::integer("change_interval_seconds", 0, 0, 86400, "without next_change_at_path: seconds after a new upstream before the next change (0 = any time)"),
        ConfigOption::string("ttl_path", "", "JSON path of the upstream's whole lifetime in seconds"),
        ConfigOption::string("error_message_path", "", "JSON path of a failure's message"),
        ConfigOption::string("error_code_path", "", "JSON path of a failure's code"),
        ConfigOption::list("errors.key_not_found", "", "error codes or message fragments (or http:NNN) meaning the vendor does not know the key"),
        ConfigOption::list("errors.key_expired", "", "error codes or message fragments (or http:NNN) meaning the key's subscription ran out"),
        ConfigOption::list("errors.too_early", "", "error codes or message fragments (or http:NNN) meaning a change is not allowed yet"),
        ConfigOption::list("errors.no_lease", "", "error codes or message fragments (or http:NNN) meaning the key has no upstream now"),
        ConfigOption::integer("timeout_ms", 10000, 100, 120000, "upper bound in milliseconds for one provider call, retries included"),
        ConfigOption::integer("retries", 3, 0, 10, "retries after 429, 5xx, timeouts, broken JSON or incomplete answers (backoff with jitter)"),
        ConfigOption::list("regions", "", "the regions the vendor accepts; empty = any"),
    };
}

HttpApiSettings readSettings(const Poco::Util::AbstractConfiguration& c)
{
    HttpApiSettings s;
    s.vendor = Poco::trim(c.getString("vendor", "http-api"));
    if (s.vendor.empty()) s.vendor = "http-api";

    s.newUrl = Poco::trim(c.getString("new_url", ""));
    s.currentUrl = Poco::trim(c.getString("current_url", ""));
    s.releaseUrl = Poco::trim(c.getString("release_url", ""));
    if (s.newUrl.empty())
        throw ConfigError(configKey("new_url"), "is required: the URL template of the call that assigns a new upstream");
    checkUrl("new_url", s.newUrl);
    if (!s.currentUrl.empty()) checkUrl("current_url", s.currentUrl);
    if (!s.releaseUrl.empty()) checkUrl("release_url", s.releaseUrl);

    s.method = Poco::toUpper(Poco::trim(c.getString("method", "GET")));
    if (s.method != "GET" && s.method != "POST")
        throw ConfigError(configKey("method"), "\"" + s.method + "\" is not supported: use GET or POST");
    s.bodyTemplate = c.getString("body_template", "");
    if (!Poco::trim(s.bodyTemplate).empty())
    {
        if (s.method != "POST") throw ConfigError(configKey("body_template"), "is only sent with method: POST");
        std::string problem = placeholderProblem(s.bodyTemplate);
        if (!problem.empty()) throw ConfigError(configKey("body_template"), problem);
        try
        {
            Poco::JSON::Parser().parse(expandJson(s.bodyTemplate, {"K\"0123456789\\abcdef", "random"}));
        }
        catch (const Poco::Exception& e)
        {
            throw ConfigError(configKey("body_template"),
                              "is not valid JSON once {key} and {region} are replaced (" + e.message() +
                                  "); write placeholders inside quotes, e.g. {\"api_key\": \"{key}\"}");
        }
    }
    else
        s.bodyTemplate.clear();

    bool keyInHeaders = false;
    for (const std::string& h : readList(c, "headers"))
    {
        auto colon = h.find(':');
        std::string name = colon == std::string::npos ? "" : Poco::trim(h.substr(0, colon));
        if (name.empty() || name.find_first_of(" \t\r\n") != std::string::npos)
            throw ConfigError(configKey("headers"), "\"" + describeTemplate(h.substr(0, h.find(':'))) +
                                                        "\" is not a header: write \"Name: value\"");
        std::string value = Poco::trim(h.substr(colon + 1));
        std::string problem = placeholderProblem(value);
        if (!problem.empty()) throw ConfigError(configKey("headers"), name + ": " + problem);
        keyInHeaders = keyInHeaders || mentions(value, "key");
        s.headers.emplace_back(name, value);
    }
    const bool keyInBody = mentions(s.bodyTemplate, "key");
    for (const auto& [key, tpl] : {std::pair<const char*, std::string>{"new_url", s.newUrl},
                                  {"current_url", s.currentUrl}, {"release_url", s.releaseUrl}})
        if (!tpl.empty() && !mentions(tpl, "key") && !keyInBody && !keyInHeaders)
            throw ConfigError(configKey(key), "never sends the key: put {key} in the URL, in body_template or in headers");

    s.successPath = path(c, "success_path");
    s.successValue = c.getString("success_value", "");
    if (s.successPath.empty() && !s.successValue.empty())
        throw ConfigError(configKey("success_value"), "is set but success_path is not: say where the value is");

    s.addressPath = path(c, "address_path");
    s.hostPath = path(c, "host_path");
    s.portPath = path(c, "port_path");
    if (!s.addressPath.empty() && (!s.hostPath.empty() || !s.portPath.empty()))
        throw ConfigError(configKey("address_path"), "is set together with host_path/port_path: use one or the other");
    if (s.addressPath.empty() && (s.hostPath.empty() || s.portPath.empty()))
        throw ConfigError(configKey(s.hostPath.empty() && s.portPath.empty() ? "address_path"
                                    : s.hostPath.empty()                     ? "host_path"
                                                                             : "port_path"),
                          "is required: say where the answer holds the upstream (address_path as \"host:port\", "
                          "or host_path and port_path)");
    s.protocol = Poco::toLower(Poco::trim(c.getString("protocol", "http")));
    if (s.protocol != "http" && s.protocol != "socks5")
        throw ConfigError(configKey("protocol"), "\"" + s.protocol + "\" is not supported: use http or socks5");
    s.protocolPath = path(c, "protocol_path");
    s.usernamePath = path(c, "username_path");
    s.passwordPath = path(c, "password_path");
    s.realIpPath = path(c, "real_ip_path");
    s.locationPath = path(c, "location_path");
    s.expiresAtPath = path(c, "expires_at_path");
    s.expiresAtUnit = parseUnit("expires_at_unit", Poco::trim(c.getString("expires_at_unit", "ms")));
    s.nextChangeAtPath = path(c, "next_change_at_path");
    s.nextChangeAtUnit = parseUnit("next_change_at_unit", Poco::trim(c.getString("next_change_at_unit", "ms")));
    s.changeIntervalSeconds = integer(c, "change_interval_seconds", 0, 0, 86400);
    if (!s.nextChangeAtPath.empty() && s.changeIntervalSeconds > 0)
        throw ConfigError(configKey("change_interval_seconds"), "is set together with next_change_at_path: use one or the other");
    s.ttlPath = path(c, "ttl_path");
    s.errorMessagePath = path(c, "error_message_path");
    s.errorCodePath = path(c, "error_code_path");
    s.errors.keyNotFound = readList(c, "errors.key_not_found");
    s.errors.keyExpired = readList(c, "errors.key_expired");
    s.errors.tooEarly = readList(c, "errors.too_early");
    s.errors.noLease = readList(c, "errors.no_lease");
    s.timeoutMs = integer(c, "timeout_ms", 10000, 100, 120000);
    s.retries = integer(c, "retries", 3, 0, 10);
    s.regions = readList(c, "regions");
    return s;
}

} // namespace steadyproxy::httpapi
