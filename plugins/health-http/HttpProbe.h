#pragma once
#include <steadyproxy/sdk/HealthCheck.h>
#include <Poco/URI.h>
#include <string>

namespace steadyproxy::health {

/// What one request through an endpoint gave.
struct ProbeResponse
{
    bool answered = false;  ///< a complete HTTP response arrived
    int status = 0;
    std::string reason;
    std::string body;       ///< at most HttpProbe::MaxBody bytes
    int latencyMs = -1;     ///< connect to last body byte; -1 when not answered
    std::string error;      ///< for a person, when !answered
};

/// Fetches one URL through an endpoint used as an HTTP proxy, with the endpoint's Basic
/// credentials: absolute-form GET for http://, CONNECT then TLS for https:// (when built
/// with NetSSL). Immutable after construction; thread-safe (each call has its own session).
class HttpProbe
{
public:
    static constexpr std::size_t MaxBody = 64 * 1024;

    HttpProbe(const Poco::URI& url, int timeoutMs);

    /// Never throws: network faults come back as answered=false with a reason.
    ProbeResponse fetch(const HealthTarget& target) const;

    /// The URL without user information, safe to show.
    std::string displayUrl() const;

private:
    Poco::URI _url;
    int _timeoutMs;
};

} // namespace steadyproxy::health
