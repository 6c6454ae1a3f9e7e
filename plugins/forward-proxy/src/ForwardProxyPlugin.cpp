#include "ForwardProxyPlugin.h"
#include "ProxyConnection.h"
#include <steadyproxy/sdk/Errors.h>

namespace steadyproxy::forward {

ForwardProxyPlugin::~ForwardProxyPlugin()
{
    stop();
}

std::vector<ConfigOption> ForwardProxyPlugin::configOptions() const
{
    using T = ConfigOption::Type;
    std::vector<ConfigOption> o;
    auto add = [&](std::string key, T type, std::string def, std::string help, long long min = 0, long long max = 0, std::string env = "") {
        ConfigOption c;
        c.key = std::move(key);
        c.type = type;
        c.defaultValue = std::move(def);
        c.help = std::move(help);
        c.min = min;
        c.max = max;
        c.env = std::move(env);
        o.push_back(std::move(c));
    };
    add("listen_host", T::String, "0.0.0.0", "IP address the endpoint ports and the gateway port listen on");
    add("gateway_port", T::Integer, "0", "shared port where the proxy username (proxyN) picks the endpoint; 0 = off", 0, 65535, "PROXY_GATEWAY_PORT");
    add("threads", T::Integer, "2", "event-loop threads", 1, 64);
    add("max_connections", T::Integer, "10000", "client connections open at once, over all endpoints", 1, 1000000);
    add("access_log", T::String, "", "file receiving one JSON line per request or tunnel; empty = off");
    add("header_timeout_seconds", T::Integer, "30", "time a client has to send a whole request head (or SOCKS5 handshake)", 1, 3600);
    add("connect_timeout_seconds", T::Integer, "10", "time an upstream has to accept and complete its handshake", 1, 600);
    add("idle_timeout_seconds", T::Integer, "300", "a tunnel or request with no traffic either way for this long is closed", 1, 86400);
    add("drain_seconds", T::Integer, "0", "after an upstream swap, tunnels still on the old upstream are closed after this long; 0 = never", 0, 86400);
    return o;
}

void ForwardProxyPlugin::configure(const Poco::Util::AbstractConfiguration& config)
{
    ProxySettings& s = _core.settings;
    s.listenHost = config.getString("listen_host", s.listenHost);
    sockaddr_storage ss;
    if (!parseIpLiteral(s.listenHost, 0, ss))
        throw ConfigError("listen_host", "'" + s.listenHost + "' is not an IP address (e.g. 0.0.0.0, 127.0.0.1 or ::)");
    s.gatewayPort = config.getInt("gateway_port", s.gatewayPort);
    if (s.gatewayPort < 0 || s.gatewayPort > 65535) throw ConfigError("gateway_port", "must be 0..65535");
    s.threads = config.getInt("threads", s.threads);
    if (s.threads < 1 || s.threads > 64) throw ConfigError("threads", "must be 1..64");
    s.maxConnections = config.getInt64("max_connections", s.maxConnections);
    if (s.maxConnections < 1) throw ConfigError("max_connections", "must be at least 1");
    s.accessLog = config.getString("access_log", s.accessLog);
    auto seconds = [&](const char* key, long long& ms, long long min) {
        long long v = config.getInt64(key, ms / 1000);
        if (v < min) throw ConfigError(key, "must be at least " + std::to_string(min));
        ms = v * 1000;
    };
    seconds("header_timeout_seconds", s.headerTimeoutMs, 1);
    seconds("connect_timeout_seconds", s.connectTimeoutMs, 1);
    seconds("idle_timeout_seconds", s.idleTimeoutMs, 1);
    seconds("drain_seconds", s.drainMs, 0);
}

void ForwardProxyPlugin::start(PluginContext& context)
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (_started) return;
    _core.context = &context;
    if (!_core.settings.accessLog.empty())
    {
        try { _core.accessLog.open(_core.settings.accessLog); }
        catch (const std::exception& e) { throw ConfigError("access_log", e.what()); }
    }
    _core.resolver.start();
    for (int i = 0; i < _core.settings.threads; ++i)
    {
        auto w = std::make_unique<Worker>();
        Worker* wp = w.get();
        ProxyCore* core = &_core;
        w->loop.start([wp, core] {
            long long now = core->now();
            std::vector<ProxyConnection*> list;
            list.reserve(wp->connections.size());
            for (auto& [id, c] : wp->connections) list.push_back(c.get());
            for (auto* c : list) c->onTick(now);
        });
        _core.workers.push_back(std::move(w));
    }
    _started = true;
    if (_core.settings.gatewayPort > 0)
    {
        _gateway = std::make_unique<Listener>(_core, *_core.workers[0], nullptr, static_cast<std::uint16_t>(_core.settings.gatewayPort));
        _gateway->open();
    }
    context.logger().information("forward proxy started: %d threads, gateway port %d", _core.settings.threads, _core.settings.gatewayPort);
}

void ForwardProxyPlugin::stop()
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (!_started) return;
    _started = false;
    try
    {
        if (_gateway) _gateway->close();
        _gateway.reset();
        for (auto& [id, e] : _endpoints)
        {
            if (e.listener) e.listener->close();
            e.listener.reset();
            e.endpoint->listening = false;
        }
        _endpoints.clear();
        _core.resolver.stop();
        for (auto& w : _core.workers)
        {
            Worker* wp = w.get();
            wp->loop.runAndWait([wp] {
                std::vector<ProxyConnection*> list;
                for (auto& [id, c] : wp->connections) list.push_back(c.get());
                for (auto* c : list) c->closeNow();
            });
            wp->loop.stop();
            wp->connections.clear();
        }
        _core.workers.clear();
        _core.accessLog.close();
    }
    catch (...)
    {
    }
}

Worker& ForwardProxyPlugin::workerFor(std::int64_t keyId)
{
    return *_core.workers[static_cast<std::size_t>(keyId < 0 ? -keyId : keyId) % _core.workers.size()];
}

std::unique_ptr<Listener> ForwardProxyPlugin::openListener(std::shared_ptr<Endpoint> ep, std::uint16_t port, std::int64_t keyId)
{
    auto l = std::make_unique<Listener>(_core, workerFor(keyId), std::move(ep), port);
    l->open();
    return l;
}

void ForwardProxyPlugin::closeConnections(const std::shared_ptr<Endpoint>& ep)
{
    for (auto& w : _core.workers)
    {
        Worker* wp = w.get();
        wp->loop.runAndWait([wp, &ep] {
            std::vector<ProxyConnection*> list;
            for (auto& [id, c] : wp->connections)
                if (c->endpoint() == ep) list.push_back(c.get());
            for (auto* c : list) c->closeNow();
        });
    }
}

void ForwardProxyPlugin::upsertEndpoint(const EndpointSpec& spec, std::shared_ptr<const Upstream> upstream)
{
    if (spec.port == 0) throw ValidationError("port", "endpoint " + spec.name + " has no port");
    if (spec.name.empty()) throw ValidationError("name", "endpoint for key " + std::to_string(spec.keyId) + " has no name");
    Endpoint::Access access;
    access.name = spec.name;
    access.username = spec.username;
    access.password = spec.password;
    access.active = spec.active;
    for (const auto& c : spec.allowCidrs)
    {
        try { access.allow.push_back(Cidr::parse(c)); }
        catch (const std::exception& e) { throw ValidationError("allowCidrs", e.what()); }
    }
    std::lock_guard<std::mutex> lock(_mutex);
    if (!_started) throw Error("the forward proxy is not started: upsertEndpoint() is only possible between start() and stop()");
    auto it = _endpoints.find(spec.keyId);
    if (it == _endpoints.end())
    {
        auto ep = std::make_shared<Endpoint>(spec.keyId);
        ep->setAccess(access);
        ep->setUpstream(std::move(upstream), _core.now());
        Entry e;
        e.listener = openListener(ep, spec.port, spec.keyId); // throws before anything is registered
        e.endpoint = ep;
        e.spec = spec;
        _core.setName(spec.name, ep);
        _endpoints.emplace(spec.keyId, std::move(e));
        return;
    }
    Entry& e = it->second;
    if (spec.port != e.spec.port)
    {
        auto fresh = openListener(e.endpoint, spec.port, spec.keyId);
        if (e.listener) e.listener->close();
        e.listener = std::move(fresh);
    }
    if (spec.name != e.spec.name)
    {
        _core.setName(e.spec.name, nullptr);
        _core.setName(spec.name, e.endpoint);
    }
    e.endpoint->setAccess(access);
    if (!(e.endpoint->upstream() == upstream))
        e.endpoint->setUpstream(std::move(upstream), _core.now());
    e.spec = spec;
}

void ForwardProxyPlugin::setUpstream(std::int64_t keyId, std::shared_ptr<const Upstream> upstream)
{
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _endpoints.find(keyId);
    if (it == _endpoints.end()) throw NotFoundError("no endpoint for key " + std::to_string(keyId));
    it->second.endpoint->setUpstream(std::move(upstream), _core.now());
}

void ForwardProxyPlugin::removeEndpoint(std::int64_t keyId)
{
    std::shared_ptr<Endpoint> ep;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        auto it = _endpoints.find(keyId);
        if (it == _endpoints.end()) return;
        ep = it->second.endpoint;
        _core.setName(it->second.spec.name, nullptr);
        if (it->second.listener) it->second.listener->close();
        ep->listening = false;
        _endpoints.erase(it);
        closeConnections(ep);
    }
}

void ForwardProxyPlugin::restartEndpoint(std::int64_t keyId)
{
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _endpoints.find(keyId);
    if (it == _endpoints.end()) throw NotFoundError("no endpoint for key " + std::to_string(keyId));
    Entry& e = it->second;
    // The new socket is bound (SO_REUSEPORT) before the old one closes: the port is never free.
    auto fresh = openListener(e.endpoint, e.spec.port, keyId);
    if (e.listener) e.listener->close();
    e.listener = std::move(fresh);
    e.endpoint->listening = true;
}

std::vector<EndpointStats> ForwardProxyPlugin::stats() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    std::vector<EndpointStats> out;
    for (const auto& [id, e] : _endpoints)
    {
        EndpointStats s;
        s.keyId = id;
        s.activeConnections = e.endpoint->active;
        s.totalConnections = e.endpoint->total;
        s.bytesIn = e.endpoint->bytesIn;
        s.bytesOut = e.endpoint->bytesOut;
        s.errors = e.endpoint->errors;
        for (std::size_t k = 0; k < e.endpoint->errorKinds.size(); ++k)
            s.errorsByKind[errorKindName(static_cast<ErrorKind>(k))] = e.endpoint->errorKinds[k].load();
        s.requestDurations = e.endpoint->requests.snapshot();
        s.tunnelDurations = e.endpoint->tunnels.snapshot();
        s.listening = e.endpoint->listening && e.listener != nullptr;
        out.push_back(s);
    }
    return out;
}

} // namespace steadyproxy::forward

STEADYPROXY_PLUGIN(steadyproxy::forward::ForwardProxyPlugin, "proxy.forward", "1.0.0", "", "HTTP/HTTPS/SOCKS5 forward proxy engine")
