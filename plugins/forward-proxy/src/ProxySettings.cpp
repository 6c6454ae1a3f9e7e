#include "ProxySettings.h"
#include "Resolver.h"
#include <steadyproxy/sdk/Errors.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <algorithm>
#include <sched.h>
#include <thread>

namespace steadyproxy::forward {

namespace {

std::vector<std::string> readList(const Poco::Util::AbstractConfiguration& config, const std::string& key, bool& present)
{
    std::vector<std::string> out;
    present = config.hasProperty(key + "[0]") || config.hasProperty(key);
    if (config.hasProperty(key + "[0]"))
    {
        for (int i = 0; config.hasProperty(key + "[" + std::to_string(i) + "]"); ++i)
            out.push_back(Poco::trim(config.getString(key + "[" + std::to_string(i) + "]")));
        return out;
    }
    if (!config.hasProperty(key)) return out;
    Poco::StringTokenizer tokens(config.getString(key), ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    out.assign(tokens.begin(), tokens.end());
    return out;
}

std::vector<Cidr> readCidrs(const Poco::Util::AbstractConfiguration& config, const std::string& key, const std::vector<Cidr>& base)
{
    bool present = false;
    auto items = readList(config, key, present);
    if (!present) return base;
    std::vector<Cidr> out;
    for (const auto& item : items)
    {
        try { out.push_back(Cidr::parse(item)); }
        catch (const std::exception& e) { throw ConfigError(key, e.what()); }
    }
    return out;
}

} // namespace

std::vector<ConfigOption> ProxySettings::options()
{
    using O = ConfigOption;
    return {
        O::string("listen_host", "0.0.0.0", "IP address the endpoint ports and the gateway port listen on (restart)"),
        O::integer("gateway_port", 0, 0, 65535, "shared port where the proxy username (proxyN) picks the endpoint; 0 = off (restart)", "PROXY_GATEWAY_PORT"),
        O::integer("threads", 0, 0, 64, "event-loop threads; 0 = half the CPUs this process may run on, at least one: the kernel's TCP work, which is most of a proxy's cost, runs beside them (restart)"),
        O::string("proxy_protocol", "off", "v2: every connection to an endpoint port must start with a PROXY protocol v2 header (from Traefik or HAProxy), whose client address the allow-lists, limits and access log see; off: none is expected (restart)", "", {"off", "v2"}),
        O::integer("max_connections", 10000, 1, 1000000, "client connections open at once, over all endpoints"),
        O::string("access_log", "", "file receiving one line per request or tunnel; empty = off; reopened on SIGUSR1"),
        O::string("access_log_format", "json", "access log lines: json (one object per line) or combined (Apache combined format)", "", {"json", "combined"}),
        O::integer("header_timeout_seconds", 30, 1, 3600, "time a client has to send a whole request head (or SOCKS5 handshake)"),
        O::integer("connect_timeout_seconds", 10, 1, 600, "time an upstream has to accept and complete its handshake"),
        O::integer("idle_timeout_seconds", 300, 1, 86400, "a tunnel or request with no traffic either way for this long is closed"),
        O::integer("drain_seconds", 0, 0, 86400, "after an upstream swap, tunnels still on the old upstream are closed after this long; 0 = never"),
        O::boolean("splice", true, "move bulk tunnel traffic from socket to socket with splice(2) (zero-copy through a pipe that a tunnel holds only while data flows); false: copy through user space"),
        O::boolean("allow_internal_upstreams", false, "let an upstream proxy be at a loopback, link-local (169.254.0.0/16, fe80::/10: cloud metadata), unspecified or multicast address; off so that a provider's answer cannot point the proxy at this host's own services (private networks such as 10.0.0.0/8 are always allowed)"),
        O::list("allow", "", "client addresses (CIDR, IPv4 or IPv6) that may connect to any port; empty = any"),
        O::list("deny", "", "client addresses (CIDR) refused on every port; wins over allow and the endpoints' allow-lists"),
        O::integer("client_rps", 0, 0, 1000000, "requests (HTTP requests, CONNECTs, SOCKS5 connects) per second per client address, bursts up to one second's worth; 0 = off; over it: 429 / SOCKS5 0x02"),
        O::integer("client_max_connections", 0, 0, 1000000, "connections open at once per client address; 0 = off"),
        O::integer("endpoint_rps", 0, 0, 1000000, "requests per second per endpoint, bursts up to one second's worth; 0 = off"),
        O::integer("endpoint_max_connections", 0, 0, 1000000, "client connections open at once per endpoint; 0 = off"),
        O::integer("endpoint_bandwidth_bps", 0, 0, 100000000000LL, "bytes per second per endpoint in each direction (reads pause until the budget refills); 0 = off"),
    };
}

ProxySettings ProxySettings::parse(const Poco::Util::AbstractConfiguration& config, const ProxySettings& base)
{
    ProxySettings s = base;
    s.listenHost = Poco::trim(config.getString("listen_host", s.listenHost));
    sockaddr_storage ss;
    if (!parseIpLiteral(s.listenHost, 0, ss))
        throw ConfigError("listen_host", "'" + s.listenHost + "' is not an IP address (e.g. 0.0.0.0, 127.0.0.1 or ::)");
    auto integer = [&](const char* key, long long def, long long min, long long max) {
        long long v = def;
        try { v = config.getInt64(key, def); }
        catch (const std::exception&) { throw ConfigError(key, "\"" + config.getString(key, "") + "\" is not a whole number"); }
        if (v < min || v > max) throw ConfigError(key, "must be " + std::to_string(min) + ".." + std::to_string(max) + ", got " + std::to_string(v));
        return v;
    };
    s.gatewayPort = static_cast<int>(integer("gateway_port", s.gatewayPort, 0, 65535));
    s.threads = static_cast<int>(integer("threads", s.threads, 0, 64));
    std::string pp = Poco::toLower(Poco::trim(config.getString("proxy_protocol", s.proxyProtocol ? "v2" : "off")));
    if (pp != "off" && pp != "v2") throw ConfigError("proxy_protocol", "must be off or v2, got \"" + pp + "\"");
    s.proxyProtocol = pp == "v2";
    s.maxConnections = integer("max_connections", s.maxConnections, 1, 1000000);
    s.accessLog = Poco::trim(config.getString("access_log", s.accessLog));
    s.accessLogFormat = Poco::toLower(Poco::trim(config.getString("access_log_format", s.accessLogFormat)));
    if (s.accessLogFormat != "json" && s.accessLogFormat != "combined")
        throw ConfigError("access_log_format", "must be json or combined, got \"" + s.accessLogFormat + "\"");
    auto seconds = [&](const char* key, Live<long long>& ms, long long min, long long max) { ms = integer(key, ms / 1000, min, max) * 1000; };
    seconds("header_timeout_seconds", s.headerTimeoutMs, 1, 3600);
    seconds("connect_timeout_seconds", s.connectTimeoutMs, 1, 600);
    seconds("idle_timeout_seconds", s.idleTimeoutMs, 1, 86400);
    seconds("drain_seconds", s.drainMs, 0, 86400);
    try { s.allowInternalUpstreams = config.getBool("allow_internal_upstreams", s.allowInternalUpstreams); }
    catch (const std::exception&) { throw ConfigError("allow_internal_upstreams", "must be true or false, got \"" + config.getString("allow_internal_upstreams", "") + "\""); }
    try { s.splice = config.getBool("splice", s.splice); }
    catch (const std::exception&) { throw ConfigError("splice", "must be true or false, got \"" + config.getString("splice", "") + "\""); }
    Limits& l = s.limits;
    l.allow = readCidrs(config, "allow", l.allow);
    l.deny = readCidrs(config, "deny", l.deny);
    l.clientRps = static_cast<double>(integer("client_rps", static_cast<long long>(l.clientRps), 0, 1000000));
    l.clientMaxConnections = integer("client_max_connections", l.clientMaxConnections, 0, 1000000);
    l.endpointRps = static_cast<double>(integer("endpoint_rps", static_cast<long long>(l.endpointRps), 0, 1000000));
    l.endpointMaxConnections = integer("endpoint_max_connections", l.endpointMaxConnections, 0, 1000000);
    l.endpointBandwidthBps = integer("endpoint_bandwidth_bps", l.endpointBandwidthBps, 0, 100000000000LL);
    return s;
}

int ProxySettings::loopThreads() const
{
    if (threads > 0) return threads;
    cpu_set_t set;
    CPU_ZERO(&set);
    int cpus = ::sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    if (cpus <= 0) cpus = static_cast<int>(std::thread::hardware_concurrency());
    return std::max(1, cpus / 2);
}

std::vector<std::string> ProxySettings::restartKeys(const ProxySettings& a, const ProxySettings& b)
{
    std::vector<std::string> keys;
    if (a.listenHost != b.listenHost) keys.push_back("listen_host");
    if (a.gatewayPort != b.gatewayPort) keys.push_back("gateway_port");
    if (a.threads != b.threads) keys.push_back("threads");
    if (a.proxyProtocol != b.proxyProtocol) keys.push_back("proxy_protocol");
    return keys;
}

} // namespace steadyproxy::forward
