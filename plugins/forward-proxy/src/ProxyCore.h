#pragma once
#include "AccessLog.h"
#include "EndpointFigures.h"
#include "ClientAccess.h"
#include "EventLoop.h"
#include "Limits.h"
#include "ProxySettings.h"
#include "Resolver.h"
#include <steadyproxy/sdk/ForwardProxy.h>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace steadyproxy::forward {

class ProxyConnection;

/// One endpoint as served: its spec, current upstream and figures. Shared by the plugin
/// and every connection of the endpoint; all members thread-safe.
class Endpoint
{
public:
    struct Access
    {
        std::string name, username, password;
        std::vector<Cidr> allow;
        bool active = true;
    };

    explicit Endpoint(std::int64_t keyId): keyId(keyId) {}

    const std::int64_t keyId;

    /// The current access rules, replaced as a whole (a request holds them without a copy).
    std::shared_ptr<const Access> access() const { std::lock_guard<std::mutex> l(_mutex); return _access; }
    void setAccess(Access a)
    {
        auto fresh = std::make_shared<const Access>(std::move(a));
        std::lock_guard<std::mutex> l(_mutex);
        _access = std::move(fresh);
    }
    std::shared_ptr<const Upstream> upstream() const { std::lock_guard<std::mutex> l(_mutex); return _upstream; }
    /// The upstream and when it was last replaced (epoch ms).
    std::shared_ptr<const Upstream> upstream(long long& changedAt) const
    {
        std::lock_guard<std::mutex> l(_mutex);
        changedAt = _changedAt;
        return _upstream;
    }
    void setUpstream(std::shared_ptr<const Upstream> up, long long now)
    {
        std::lock_guard<std::mutex> l(_mutex);
        _upstream = std::move(up);
        _changedAt = now;
    }
    std::string name() const { return access()->name; }

    std::atomic<std::uint64_t> active{0}, total{0}, bytesIn{0}, bytesOut{0}, errors{0};
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(ErrorKind::Count)> errorKinds{};
    AtomicHistogram requests, tunnels;
    std::atomic<bool> listening{false};
    SharedBucket requestRate;               ///< endpoint_rps
    SharedBucket bandwidthIn, bandwidthOut; ///< endpoint_bandwidth_bps, client->upstream and back

    void countError(ErrorKind kind)
    {
        ++errors;
        ++errorKinds[static_cast<std::size_t>(kind)];
    }

private:
    mutable std::mutex _mutex;
    std::shared_ptr<const Access> _access = std::make_shared<const Access>();
    std::shared_ptr<const Upstream> _upstream;
    long long _changedAt = 0;
};

/// One event-loop thread and the connections it owns.
struct Worker
{
    EventLoop loop;
    std::unordered_map<std::uint64_t, std::unique_ptr<ProxyConnection>> connections;
    std::uint64_t nextId = 1;
};

/// What connections and listeners share: settings, resolver, throttle, access log, the
/// endpoint names for the gateway port, the workers, and the kernel's context.
class ProxyCore
{
public:
    ProxySettings settings;
    Resolver resolver;
    AuthThrottle throttle;
    AccessLog accessLog;
    PluginContext* context = nullptr;
    ClientTable clients;
    std::vector<std::unique_ptr<Worker>> workers;
    std::atomic<long long> connections{0};
    /// Set by drain(): listeners are closed, answers end with "Connection: close".
    std::atomic<bool> draining{false};

    long long now() const { return context->clock().now(); }

    std::shared_ptr<Endpoint> findByName(const std::string& name) const
    {
        std::lock_guard<std::mutex> l(_namesMutex);
        auto it = _names.find(name);
        return it == _names.end() ? nullptr : it->second;
    }
    void setName(const std::string& name, std::shared_ptr<Endpoint> ep)
    {
        std::lock_guard<std::mutex> l(_namesMutex);
        if (ep) _names[name] = std::move(ep);
        else _names.erase(name);
    }

    /// The access rules and limits in force (replaced as a whole by a reload).
    std::shared_ptr<const Limits> limits() const { return std::atomic_load(&_limits); }
    void setLimits(Limits l)
    {
        bandwidthBps.store(l.endpointBandwidthBps, std::memory_order_relaxed);
        std::atomic_store(&_limits, std::shared_ptr<const Limits>(std::make_shared<Limits>(std::move(l))));
    }
    /// limits()->endpointBandwidthBps, read on every recv() without touching the snapshot.
    std::atomic<long long> bandwidthBps{0};

    /// Logs a refused connection or request, naming the rule and the client; rate-limited
    /// per rule (its first word) so that a flood cannot flood the log nor hide other rules.
    void logRefusal(const std::string& rule, const std::string& client, const Endpoint* ep);

    /// Reports a failed connection to an upstream on the event bus and in the log.
    void publishFailure(const Endpoint* ep, const Upstream* up, const std::string& reason);

    /// Hands an accepted socket to a worker (round robin). Takes ownership of `fd`.
    void dispatch(int fd, const sockaddr_storage& peer, std::shared_ptr<Endpoint> ep);

private:
    mutable std::mutex _namesMutex;
    std::map<std::string, std::shared_ptr<Endpoint>> _names;
    std::atomic<unsigned> _nextWorker{0};
    std::shared_ptr<const Limits> _limits = std::make_shared<Limits>();
    std::mutex _refusalLogMutex;
    std::map<std::string, std::unique_ptr<LogThrottle>> _refusalLogs; ///< per rule name (a handful)
};

/// A listening socket of one endpoint (or of the gateway when the endpoint is null).
class Listener : public IoHandler
{
public:
    Listener(ProxyCore& core, Worker& worker, std::shared_ptr<Endpoint> endpoint, std::uint16_t port):
        _core(core), _worker(worker), _endpoint(std::move(endpoint)), _port(port) {}
    ~Listener() override { close(); }
    /// Binds (SO_REUSEADDR + SO_REUSEPORT so that a restart never frees the port) and
    /// starts accepting. Throws Error naming the address and why.
    void open();
    /// Stops accepting, after taking what is already queued. Runs on the worker's loop.
    void close();
    void onIo(std::uint32_t events) override;
    std::uint16_t port() const { return _port; }

private:
    void acceptAll();
    ProxyCore& _core;
    Worker& _worker;
    std::shared_ptr<Endpoint> _endpoint;
    std::uint16_t _port;
    int _fd = -1;
};

} // namespace steadyproxy::forward
