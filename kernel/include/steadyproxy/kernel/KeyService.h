#pragma once
#include <steadyproxy/kernel/KernelOptions.h>
#include <steadyproxy/kernel/Metrics.h>
#include <steadyproxy/kernel/Scheduler.h>
#include <steadyproxy/kernel/SecretBox.h>
#include <steadyproxy/sdk/ForwardProxy.h>
#include <steadyproxy/sdk/HealthCheck.h>
#include <steadyproxy/sdk/Registry.h>
#include <steadyproxy/sdk/RotationPolicy.h>
#include <steadyproxy/sdk/RouterWriter.h>
#include <steadyproxy/sdk/Storage.h>
#include <steadyproxy/sdk/UpstreamProvider.h>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace steadyproxy::kernel {

/// What the kernel shows of one key: the stored key, its current lease, its last health
/// sample and the next planned rotation. Never holds the provider secret.
struct KeyView
{
    ProxyKey key;
    std::optional<Lease> lease;
    std::optional<HealthSample> health;
    EpochMs nextRotationAt = 0;     ///< 0 when none is planned
    std::string nextRotationReason;
    int consecutiveFailures = 0;
};

/// The outcome of a rotation request.
struct RotationOutcome
{
    bool rotated = false;           ///< a new upstream is in force
    bool scheduled = false;         ///< too early: it will happen at `at`
    EpochMs at = 0;
    std::string oldIp, newIp, location, message;
};

/// The kernel's key registry and lease table, and the one writer of their changes:
/// adds and removes keys with their endpoints, asks providers for leases when policies
/// say so (never before nextChangeAt), swaps endpoint upstreams, runs health checks and
/// keeps routers up to date. Persists through storage first, then announces on the bus.
/// Thread-safe.
class KeyService
{
public:
    /// `online`: serve endpoints and run rotations/health (the server); otherwise only
    /// stored state is changed (CLI commands).
    KeyService(const KernelOptions& options, Registry& registry, SecretBox& secrets, Clock& clock,
               EventBus& events, Scheduler* scheduler, bool online);
    ~KeyService();

    /// Reads keys and leases back from storage; online: serves every endpoint on its stored
    /// lease (if not expired) and plans what is due. No provider call just for restarting.
    void start();
    void stop();
    /// Where rotations and provider calls are counted (may stay unset).
    void setMetrics(Metrics* metrics) { _metrics = metrics; }

    struct NewKey
    {
        std::int64_t ownerId = 0;
        std::string name;
        std::string providerId;  ///< "" = the only/first provider loaded
        std::string secret;      ///< the provider key, plaintext
        std::string region = "random";
        // Set when importing an existing endpoint (kept as they were):
        std::string subdomain;   ///< "" = the lowest free proxyN
        std::uint16_t port = 0;  ///< 0 = the lowest free port of the range
        EpochMs createdAt = 0;
        bool active = true;
    };
    /// Validates, allocates subdomain and port, stores, serves. Throws ValidationError,
    /// ConflictError (duplicate key, ports exhausted).
    KeyView addKey(const NewKey& request);
    void removeKey(std::int64_t id);

    struct KeyChange
    {
        std::optional<std::string> name;
        std::optional<std::string> region;
        std::optional<bool> active;
        std::optional<std::vector<std::string>> allowCidrs;
        std::optional<KeyOverrides> overrides;
    };
    KeyView updateKey(std::int64_t id, const KeyChange& change);

    /// A manual rotation (synchronous). A rotation asked too early is scheduled instead.
    RotationOutcome rotate(std::int64_t id, const std::string& reason, const std::optional<std::string>& region);
    /// Runs a health check now (synchronous).
    HealthSample check(std::int64_t id);
    void restartEndpoint(std::int64_t id);
    /// New endpoint password; returns it.
    std::string regenerateCredentials(std::int64_t id);

    /// The endpoint's password in plaintext (decrypted on demand, for its owner only).
    std::string endpointPassword(std::int64_t id) const;
    std::vector<KeyView> list() const;
    KeyView get(std::int64_t id) const;   ///< NotFoundError if unknown

    Settings settings() const;
    void saveSettings(const Settings& settings);
    /// A new health interval from the configuration (hot reload). It takes effect unless
    /// settings were saved through the API (the stored value wins); returns whether it did.
    bool seedHealthInterval(int seconds);
    /// Serves the keys another process added to the store (the CLI's `key add` while this
    /// server runs) and drops those it removed (`key rm`), as if added or removed through the
    /// API; a hot reload calls it. Returns one line per key that changed, for a person.
    std::vector<std::string> syncWithStore();

    /// The router snapshot of the current endpoints.
    RouterSnapshot routerSnapshot() const;

private:
    /// The online part of adding a key: endpoint, first lease, health and routers.
    void goLive(std::int64_t id, const ProxyKey& key);
    /// The online part of removing one: jobs cancelled, endpoint closed, upstream released.
    void retire(std::int64_t id, const ProxyKey& key);

    struct Runtime
    {
        ProxyKey key;
        std::optional<Lease> lease;
        std::optional<HealthSample> health;
        int failures = 0;
        int transientErrors = 0;
        bool halted = false;              ///< a permanent provider error: wait for a person
        EpochMs nextAt = 0;
        std::string nextReason;
        std::shared_ptr<std::mutex> exchange = std::make_shared<std::mutex>(); ///< one provider exchange at a time
    };

    UpstreamProvider& providerFor(const ProxyKey& key) const;
    ProviderKey providerKey(const ProxyKey& key) const;
    std::shared_ptr<const Upstream> upstreamOf(const Lease& lease) const;
    EndpointSpec endpointSpec(const ProxyKey& key) const;
    /// Serves the key's endpoint again with its spec and current upstream (after a change).
    void serveEndpoint(std::int64_t id, const ProxyKey& key);
    KeyView viewOf(const Runtime& r) const;
    void plan(std::int64_t id);
    void runLeaseJob(std::int64_t id, const std::string& reason);
    RotationOutcome obtainLease(std::int64_t id, const std::string& reason, const std::optional<std::string>& region);
    void runHealthJob(std::int64_t id);
    void countCall(const ProxyKey& key, const std::string& call, const std::string& outcome);
    void countRotation(const std::string& reason, const std::string& result);
    HealthSample doCheck(std::int64_t id);
    void writeRouters();
    void setStatus(Runtime& r, const std::string& status, const std::string& message);
    void publish(const std::string& type, std::int64_t keyId, std::map<std::string, std::string> data = {});
    Runtime& runtime(std::int64_t id);
    const Runtime& runtime(std::int64_t id) const;

    KernelOptions _options;
    Registry& _registry;
    Storage& _storage;
    SecretBox& _secrets;
    Clock& _clock;
    EventBus& _events;
    Scheduler* _scheduler;
    bool _online;
    ForwardProxy* _proxy = nullptr;
    Metrics* _metrics = nullptr;
    std::uint64_t _subscription = 0;
    mutable std::mutex _mutex;        ///< guards _keys and _settings
    std::map<std::int64_t, Runtime> _keys;
    Settings _settings;
};

} // namespace steadyproxy::kernel
