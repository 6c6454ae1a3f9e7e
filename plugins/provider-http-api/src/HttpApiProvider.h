#pragma once
#include "AnswerReader.h"
#include "HttpApiSettings.h"
#include <steadyproxy/sdk/HttpCall.h>
#include <steadyproxy/sdk/RetryBudget.h>
#include <steadyproxy/sdk/UpstreamProvider.h>
#include <Poco/Event.h>
#include <Poco/Logger.h>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace steadyproxy::httpapi {

/// provider.http-api: leases upstreams from a rotating-proxy vendor whose API is described
/// entirely by configuration (URL templates, JSON paths, error mappings; see
/// docs/providers.md). One instance serves one vendor.
///
/// Thread-safe: every call builds its own HTTP session; the settings are fixed after
/// configure(). A call blocks up to timeout_ms, retries included; stop() cuts a backoff
/// wait short. The key never appears in a message or a log line, only its mask.
class HttpApiProvider : public UpstreamProvider
{
public:
    HttpApiProvider();
    ~HttpApiProvider() override;

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
    enum class Call { New, Current, Release };
    /// The retry rules of one call (timeout_ms, retries) for this key.
    RetryBudget budgetFor(Call call, const ProviderKey& key);

    Answer exchange(Call call, const ProviderKey& key, const std::string& region, RetryBudget& budget);
    Lease toLease(const Answer& answer, Call call, const ProviderKey& key, const std::string& region) const;
    [[noreturn]] void throwFailure(Call call, const Answer& answer, FailureKind kind, const ProviderKey& key,
                                   long long retryAfterMs);
    const std::string& urlOf(Call call) const;
    std::string callName(Call call) const;
    std::string describe(Call call) const;
    EpochMs now() const;
    Poco::Logger& log() const;

    HttpApiSettings _settings;
    bool _configured = false;
    std::unique_ptr<HttpCall> _http;
    PluginContext* _context = nullptr;
    Poco::Event _stopping{Poco::Event::EVENT_MANUALRESET};
};

} // namespace steadyproxy::httpapi
