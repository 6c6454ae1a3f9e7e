#pragma once
#include "Plugin.h"
#include "Types.h"
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace steadyproxy {

/// How one key is served to clients.
struct EndpointSpec
{
    std::int64_t keyId = 0;
    std::string name;          ///< "proxyN": also the username on the shared gateway port
    std::uint16_t port = 0;    ///< its own port (HTTP and SOCKS5 on the same port)
    std::string username;      ///< endpoint credentials, plaintext
    std::string password;
    std::vector<std::string> allowCidrs; ///< empty = any client address
    bool active = true;        ///< false: connections are refused with a clear reason
};

/// A distribution of durations, Prometheus style: counts[i] is the number of observations
/// <= upperBoundsSeconds[i] (cumulative); the last bound is +infinity.
struct DurationHistogram
{
    std::vector<double> upperBoundsSeconds;
    std::vector<std::uint64_t> counts;
    double sumSeconds = 0;
    std::uint64_t count = 0;
};

/// Live figures of one endpoint.
struct EndpointStats
{
    std::int64_t keyId = 0;
    std::uint64_t activeConnections = 0;
    std::uint64_t totalConnections = 0;
    std::uint64_t bytesIn = 0;   ///< client -> upstream
    std::uint64_t bytesOut = 0;  ///< upstream -> client
    std::uint64_t errors = 0;
    /// errors split by kind: "protocol" (malformed request), "auth" (407), "forbidden"
    /// (allow-list, disabled), "no_upstream", "upstream_timeout", "upstream_failure",
    /// "limited" (a rate, connection or bandwidth limit fired), "denied" (global deny list)
    std::map<std::string, std::uint64_t> errorsByKind;
    DurationHistogram requestDurations;  ///< plain HTTP requests, first byte to last
    DurationHistogram tunnelDurations;   ///< CONNECT and SOCKS5 tunnels, open to close
    bool listening = false;
};

/// Serves endpoints as HTTP/HTTPS(CONNECT)/SOCKS5 proxies over their current upstream.
/// Thread-safe; calls return once the change is in force (a new port is bound, a new
/// upstream is used by the next connection).
///
/// An endpoint whose upstream is null answers every request with 502 / SOCKS5 failure
/// ("no upstream yet"): traffic never leaves directly unless the upstream's kind is Direct.
/// Connection failures to an upstream are published on the event bus as
/// "upstream.failure" with data {"reason": ...}.
class SP_API ForwardProxy : public Plugin
{
public:
    /// Adds or updates an endpoint (binding its port if new or changed). Throws Error if
    /// the port cannot be bound, naming the port and why.
    virtual void upsertEndpoint(const EndpointSpec& spec, std::shared_ptr<const Upstream> upstream) = 0;
    /// Swaps the upstream for new connections and for the next request on keep-alive
    /// connections; open tunnels keep the upstream they started with.
    virtual void setUpstream(std::int64_t keyId, std::shared_ptr<const Upstream> upstream) = 0;
    /// Stops listening and closes the endpoint's connections.
    virtual void removeEndpoint(std::int64_t keyId) = 0;
    /// Re-binds the endpoint's listener without losing the port.
    virtual void restartEndpoint(std::int64_t keyId) = 0;
    virtual std::vector<EndpointStats> stats() const = 0;

    /// Graceful stop, first half: stop accepting connections on every port, let requests
    /// and tunnels in progress finish, and return when none is left or `timeoutMs` passed
    /// (then the rest are closed). Returns how many were still open at the deadline.
    /// Endpoints upserted during a drain are recorded but not listened on. stop() follows.
    virtual std::size_t drain(long timeoutMs) = 0;
};

} // namespace steadyproxy
