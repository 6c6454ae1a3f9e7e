#pragma once
#include "ClientAccess.h"
#include <steadyproxy/sdk/Plugin.h>
#include <atomic>
#include <string>
#include <vector>

namespace steadyproxy::forward {

/// A value the event loops read while a reload may write it: atomic, yet copyable so that
/// settings can be parsed into a fresh struct and compared.
template <class T>
class Live
{
public:
    Live(T v = T()): _v(v) {}
    Live(const Live& o): _v(o._v.load()) {}
    Live& operator=(const Live& o) { _v = o._v.load(); return *this; }
    Live& operator=(T v) { _v = v; return *this; }
    operator T() const { return _v.load(); }

private:
    std::atomic<T> _v;
};

/// Access rules and limits, swapped as a whole on a reload (see ProxyCore::limits()).
struct Limits
{
    std::vector<Cidr> allow;        ///< empty = any client address
    std::vector<Cidr> deny;         ///< wins over allow
    double clientRps = 0;           ///< requests per second per client address; 0 = off
    long long clientMaxConnections = 0;
    double endpointRps = 0;         ///< requests per second per endpoint; 0 = off
    long long endpointMaxConnections = 0;
    long long endpointBandwidthBps = 0; ///< bytes per second per endpoint, each way; 0 = off
};

/// The plugin's configuration (see options()).
struct ProxySettings
{
    // restart-only
    std::string listenHost = "0.0.0.0";
    int gatewayPort = 0;
    int threads = 0;                ///< 0 = auto, see loopThreads()
    bool proxyProtocol = false;     ///< endpoint ports expect a PROXY protocol v2 header
    // live
    Live<long long> maxConnections{10000};
    std::string accessLog;
    std::string accessLogFormat = "json";
    Live<long long> headerTimeoutMs{30000};
    Live<long long> connectTimeoutMs{10000};
    Live<long long> idleTimeoutMs{300000};
    Live<long long> drainMs{0}; ///< 0 = tunnels on an old upstream run until they end
    Live<bool> splice{true};    ///< bulk tunnel traffic moves socket to socket through a pipe
    Live<bool> allowInternalUpstreams{false}; ///< an upstream may be loopback, link-local, ... (see isInternalAddress)
    Limits limits;

    /// The keys of the `proxy.forward` section.
    static std::vector<ConfigOption> options();
    /// Reads a section over `base` (absent keys keep base's values). Throws ConfigError
    /// naming the key for a well-typed but unusable value.
    static ProxySettings parse(const Poco::Util::AbstractConfiguration& config, const ProxySettings& base);
    /// The event-loop threads to run: `threads`, or for 0 half the usable CPUs (at least 1).
    int loopThreads() const;
    /// Keys whose change only takes effect after a restart, changed between the two.
    static std::vector<std::string> restartKeys(const ProxySettings& before, const ProxySettings& after);
};

} // namespace steadyproxy::forward
