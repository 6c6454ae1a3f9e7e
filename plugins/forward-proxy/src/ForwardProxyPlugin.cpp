#include "ForwardProxyPlugin.h"
#include "ProxyConnection.h"
#include <steadyproxy/sdk/Errors.h>
#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace steadyproxy::forward {

ForwardProxyPlugin::~ForwardProxyPlugin()
{
    stop();
}

std::vector<ConfigOption> ForwardProxyPlugin::configOptions() const
{
    return ProxySettings::options();
}

void ForwardProxyPlugin::configure(const Poco::Util::AbstractConfiguration& config)
{
    _core.settings = ProxySettings::parse(config, _core.settings);
    _core.setLimits(_core.settings.limits);
}

std::vector<std::string> ForwardProxyPlugin::reconfigure(const Poco::Util::AbstractConfiguration& config)
{
    std::lock_guard<std::mutex> lock(_mutex);
    ProxySettings fresh = ProxySettings::parse(config, ProxySettings()); // throws ConfigError: nothing changed
    ProxySettings& s = _core.settings;
    std::vector<std::string> restart = ProxySettings::restartKeys(s, fresh);
    if (_started && (fresh.accessLog != s.accessLog || fresh.accessLogFormat != s.accessLogFormat))
    {
        if (fresh.accessLog.empty()) _core.accessLog.close();
        else
        {
            try { _core.accessLog.open(fresh.accessLog, fresh.accessLogFormat); }
            catch (const std::exception& e) { throw ConfigError("access_log", e.what()); }
        }
    }
    s.accessLog = fresh.accessLog;
    s.accessLogFormat = fresh.accessLogFormat;
    s.maxConnections = fresh.maxConnections;
    s.headerTimeoutMs = fresh.headerTimeoutMs;
    s.connectTimeoutMs = fresh.connectTimeoutMs;
    s.idleTimeoutMs = fresh.idleTimeoutMs;
    s.drainMs = fresh.drainMs;
    s.splice = fresh.splice;
    s.allowInternalUpstreams = fresh.allowInternalUpstreams;
    s.limits = fresh.limits;
    _core.setLimits(fresh.limits);
    if (_core.context)
        _core.context->logger().information("forward proxy reconfigured%s", restart.empty() ? std::string()
            : " (" + std::to_string(restart.size()) + " key(s) need a restart)");
    return restart;
}

void ForwardProxyPlugin::reopenLogs()
{
    std::string problem = _core.accessLog.reopen();
    if (!problem.empty() && _core.context)
    {
        try { _core.context->logger().error("%s", problem); }
        catch (...) {}
    }
}

void ForwardProxyPlugin::start(PluginContext& context)
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (_started) return;
    _core.context = &context;
    if (!_core.settings.accessLog.empty())
    {
        try { _core.accessLog.open(_core.settings.accessLog, _core.settings.accessLogFormat); }
        catch (const std::exception& e) { throw ConfigError("access_log", e.what()); }
    }
    _core.resolver.start();
    const int loops = _core.settings.loopThreads();
    for (int i = 0; i < loops; ++i)
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
    context.logger().information("forward proxy started: %d event-loop thread(s)%s, gateway port %d, splice %s", loops,
        std::string(_core.settings.threads == 0 ? " (threads: 0 = half the usable CPUs)" : ""), _core.settings.gatewayPort,
        std::string(_core.settings.splice ? "on" : "off"));
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
        if (!_core.draining) e.listener = openListener(ep, spec.port, spec.keyId); // throws before anything is registered
        e.endpoint = ep;
        e.spec = spec;
        _core.setName(spec.name, ep);
        _endpoints.emplace(spec.keyId, std::move(e));
        return;
    }
    Entry& e = it->second;
    if (spec.port != e.spec.port && !_core.draining)
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
    if (_core.draining) return;
    // The new socket is bound (SO_REUSEPORT) before the old one closes: the port is never free.
    auto fresh = openListener(e.endpoint, e.spec.port, keyId);
    if (e.listener) e.listener->close();
    e.listener = std::move(fresh);
    e.endpoint->listening = true;
}

std::size_t ForwardProxyPlugin::drain(long timeoutMs)
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (!_started) return 0;
        _core.draining = true;
        if (_gateway) _gateway->close();
        for (auto& [id, e] : _endpoints)
        {
            if (e.listener) e.listener->close();
            e.endpoint->listening = false;
        }
    }
    auto forEachConnection = [this](const std::function<void(ProxyConnection&)>& fn) {
        for (auto& w : _core.workers)
        {
            Worker* wp = w.get();
            wp->loop.runAndWait([wp, &fn] {
                std::vector<ProxyConnection*> list;
                for (auto& [id, c] : wp->connections) list.push_back(c.get());
                for (auto* c : list) fn(*c);
            });
        }
    };
    forEachConnection([](ProxyConnection& c) { c.onDrain(); });
    const auto began = std::chrono::steady_clock::now();
    auto deadline = began + std::chrono::milliseconds(std::max(0L, timeoutMs));
    while (_core.connections.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::size_t left = 0;
    forEachConnection([&left](ProxyConnection& c) {
        if (c.closed()) return;
        ++left;
        c.closeNow();
    });
    if (_core.context)
    {
        long took = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count());
        if (left)
            _core.context->logger().information("forward proxy drained: %z connection(s) still open after the %ld ms bound were closed",
                                                left, timeoutMs);
        else
            _core.context->logger().information("forward proxy drained: every connection finished within %ld ms", took);
    }
    return left;
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
