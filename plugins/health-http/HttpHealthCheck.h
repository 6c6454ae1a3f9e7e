#pragma once
#include "HttpProbe.h"
#include <steadyproxy/sdk/HealthCheck.h>
#include <atomic>
#include <memory>

namespace steadyproxy::health {

/// The `health.http` plugin: fetches `url` through the endpoint (as an HTTP proxy, with the
/// endpoint's own credentials), measures the latency, and compares the exit IP the answer
/// reports with the lease's IP. 2xx is ok ("active", or "degraded" above `degraded_ms`);
/// 407, 5xx, any other status, a timeout, a refused connection or an exit-IP mismatch (a
/// leak) is a failure ("error"). configure() and start() run before any check(); check()
/// is thread-safe and never throws.
class HttpHealthCheck : public HealthCheck
{
public:
    HttpHealthCheck();
    ~HttpHealthCheck() override;

    std::vector<ConfigOption> configOptions() const override;
    /// Reads url, timeout_ms, degraded_ms. Throws ConfigError for a URL that is not
    /// http:// or https:// with a host.
    void configure(const Poco::Util::AbstractConfiguration& config) override;
    void start(PluginContext& context) override;
    void stop() override;

    HealthSample check(const HealthTarget& target) override;

private:
    EpochMs now() const;

    std::unique_ptr<HttpProbe> _probe;
    int _degradedMs = 3000;
    bool _sslInitialized = false;
    std::atomic<PluginContext*> _context{nullptr};
};

} // namespace steadyproxy::health
