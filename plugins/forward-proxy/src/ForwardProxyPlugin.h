#pragma once
#include "ProxyCore.h"
#include <steadyproxy/sdk/ForwardProxy.h>
#include <map>
#include <memory>
#include <mutex>

namespace steadyproxy::forward {

/// The `proxy.forward` plugin: serves every endpoint as an HTTP/CONNECT/SOCKS5 proxy over
/// its current upstream, on its own port and on the optional shared gateway port.
/// Thread-safe; see steadyproxy::ForwardProxy.
class ForwardProxyPlugin : public ForwardProxy
{
public:
    ForwardProxyPlugin() = default;
    ~ForwardProxyPlugin() override;

    std::vector<ConfigOption> configOptions() const override;
    void configure(const Poco::Util::AbstractConfiguration& config) override;
    void start(PluginContext& context) override;
    void stop() override;
    std::vector<std::string> reconfigure(const Poco::Util::AbstractConfiguration& config) override;
    void reopenLogs() override;

    void upsertEndpoint(const EndpointSpec& spec, std::shared_ptr<const Upstream> upstream) override;
    void setUpstream(std::int64_t keyId, std::shared_ptr<const Upstream> upstream) override;
    void removeEndpoint(std::int64_t keyId) override;
    void restartEndpoint(std::int64_t keyId) override;
    std::vector<EndpointStats> stats() const override;
    std::size_t drain(long timeoutMs) override;

private:
    struct Entry
    {
        std::shared_ptr<Endpoint> endpoint;
        std::unique_ptr<Listener> listener;
        EndpointSpec spec;
    };
    Worker& workerFor(std::int64_t keyId);
    std::unique_ptr<Listener> openListener(std::shared_ptr<Endpoint> ep, std::uint16_t port, std::int64_t keyId);
    void closeConnections(const std::shared_ptr<Endpoint>& ep);

    ProxyCore _core;
    mutable std::mutex _mutex;
    std::map<std::int64_t, Entry> _endpoints;
    std::unique_ptr<Listener> _gateway;
    bool _started = false;
};

} // namespace steadyproxy::forward
