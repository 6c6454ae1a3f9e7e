#pragma once
#include "KiotAnswer.h"
#include "KiotApiClient.h"
#include <steadyproxy/sdk/RetryBudget.h>
#include <steadyproxy/sdk/UpstreamProvider.h>
#include <Poco/Event.h>
#include <Poco/Logger.h>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace steadyproxy::kiotproxy {

/// provider.kiotproxy: leases KiotProxy rotating residential proxies through
/// /proxies/current, /proxies/new and /proxies/out (see shared/kiotproxy-api.md).
///
/// Configuration (plugins.provider.kiotproxy.*): api_base (env KIOTPROXY_API_BASE),
/// timeout_ms (bounds a whole call, retries included), retries (429, 5xx, timeouts,
/// broken answers, dropped connections; exponential backoff with jitter), upstream
/// (http|socks5: the primary address), release_on_delete.
///
/// Thread-safe: every call builds its own HTTP session; configuration is fixed after
/// configure(). Calls block up to timeout_ms; stop() cuts a backoff wait short. The key
/// never appears in a message or a log line, only its mask ("Ke4bb685...c24c47").
class KiotProxyProvider : public UpstreamProvider
{
public:
    KiotProxyProvider();
    ~KiotProxyProvider() override;

    std::vector<ConfigOption> configOptions() const override;
    void configure(const Poco::Util::AbstractConfiguration& config) override;
    void start(PluginContext& context) override;
    void stop() override;

    std::vector<std::string> regions() const override;
    void validateSecret(const std::string& secret) const override;
    std::optional<Lease> current(const ProviderKey& key) override;
    Lease acquire(const ProviderKey& key, const std::string& region) override;
    void release(const ProviderKey& key) override;


private:
    enum class Call { Current, New, Out };
    /// The retry rules of one call (timeout_ms, retries) for this key.
    RetryBudget budgetFor(Call call, const ProviderKey& key);

    Envelope exchange(Call call, const ProviderKey& key, const std::string& region, RetryBudget& budget);
    Lease toLease(const ProxyData& data, const ProviderKey& key, const std::string& region) const;
    ProxyData proxyData(const Envelope& env, Call call) const;
    [[noreturn]] void throwFailure(Call call, const Envelope& env, const ProviderKey& key, RetryBudget& budget);
    long long retryAtFromCurrent(const ProviderKey& key, RetryBudget& budget);
    std::string callName(Call call) const;
    EpochMs now() const;
    Poco::Logger& log() const;
    void ensureConfigured();

    std::string _apiBase = "https://api.kiotproxy.com/api/v1";
    int _timeoutMs = 10000;
    int _retries = 3;
    bool _releaseOnDelete = true;
    std::unique_ptr<KiotApiClient> _client;
    PluginContext* _context = nullptr;
    Poco::Event _stopping{Poco::Event::EVENT_MANUALRESET};
    bool _sslInitialized = false;
};

} // namespace steadyproxy::kiotproxy
