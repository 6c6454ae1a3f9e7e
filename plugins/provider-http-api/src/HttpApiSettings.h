#pragma once
#include <steadyproxy/sdk/Plugin.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <string>
#include <utility>
#include <vector>

namespace steadyproxy::httpapi {

/// How a time in an answer is written.
enum class TimeUnit
{
    EpochMs,      ///< "ms": epoch milliseconds
    EpochSeconds, ///< "s": epoch seconds
    Iso8601,      ///< "iso8601": "2026-05-01T10:00:00Z", "2026-05-01T10:00:00.250+07:00"
    InSeconds,    ///< "in_s": seconds from now
    InMs          ///< "in_ms": milliseconds from now
};

/// Error codes or message fragments that mean one ProviderError kind. An entry matches
/// when it equals the answer's error code (case-insensitive), when the answer's error
/// message contains it (case-insensitive), or, written "http:NNN", when the HTTP status is NNN.
struct ErrorMatchers
{
    std::vector<std::string> keyNotFound;
    std::vector<std::string> keyExpired;
    std::vector<std::string> tooEarly;
    std::vector<std::string> noLease;
};

/// The whole description of one vendor's API, read from `plugins.provider.http-api.*`.
/// Immutable after readSettings(); JSON paths are dotted with [n] for array items
/// ("result.proxy.host", "data.items[0].ip"); an empty path means "not used".
struct HttpApiSettings
{
    std::string vendor = "http-api";   ///< a name for messages and logs
    std::string newUrl;                ///< URL template; {key} and {region} are percent-encoded
    std::string currentUrl;            ///< "" = the vendor has no "current" call
    std::string releaseUrl;            ///< "" = the vendor has no "release" call
    std::string method = "GET";        ///< GET or POST, for every call
    std::string bodyTemplate;          ///< JSON with {key}/{region} (JSON-escaped); POST only
    std::vector<std::pair<std::string, std::string>> headers; ///< name, value template (raw)

    std::string successPath;           ///< "" = success is any HTTP 2xx
    std::string successValue;          ///< "" = the value at successPath must be truthy

    std::string addressPath;           ///< "host:port"; or hostPath + portPath
    std::string hostPath;
    std::string portPath;
    std::string protocol = "http";     ///< http | socks5, when protocolPath is ""
    std::string protocolPath;
    std::string usernamePath;
    std::string passwordPath;
    std::string realIpPath;
    std::string locationPath;
    std::string expiresAtPath;
    TimeUnit expiresAtUnit = TimeUnit::EpochMs;
    std::string nextChangeAtPath;
    TimeUnit nextChangeAtUnit = TimeUnit::EpochMs;
    int changeIntervalSeconds = 0;     ///< used when nextChangeAtPath is ""; 0 = any time
    std::string ttlPath;
    std::string errorMessagePath;
    std::string errorCodePath;
    ErrorMatchers errors;

    int timeoutMs = 10000;             ///< bounds one provider call, retries included
    int retries = 3;
    std::vector<std::string> regions;  ///< empty = any region string
};

/// The configuration keys provider.http-api accepts, with defaults and help.
std::vector<ConfigOption> httpApiOptions();

/// Reads and checks the plugin's section. Throws ConfigError with the full key
/// (`plugins.provider.http-api.<key>`) and what to change.
HttpApiSettings readSettings(const Poco::Util::AbstractConfiguration& config);

/// The full configuration path of one of the plugin's keys.
std::string configKey(const std::string& key);

} // namespace steadyproxy::httpapi
