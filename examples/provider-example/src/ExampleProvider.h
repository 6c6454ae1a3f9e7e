#pragma once
#include <steadyproxy/sdk/UpstreamProvider.h>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace example {

/// provider.example: hands out upstreams from a small configured list, each lease living a
/// fixed time. acquire() moves a key to the next upstream of the list (round robin, starting
/// at a place that depends on the key), refuses to change again before
/// `change_interval_seconds`, and knows only the keys in `keys` (when that list is set).
///
/// Configuration (plugins.provider.example.*): upstreams (list of http:// or socks5:// URLs,
/// with optional user:password@), lifetime_seconds, change_interval_seconds, keys, regions.
///
/// Thread-safe: the kernel calls current/acquire/release from its worker threads; the
/// assignments are guarded by a mutex. The assignments live in memory: after a restart
/// current() knows nothing and the kernel keeps serving the stored lease until it is due.
class ExampleProvider : public steadyproxy::UpstreamProvider
{
public:
    std::vector<steadyproxy::ConfigOption> configOptions() const override;
    void configure(const Poco::Util::AbstractConfiguration& config) override;
    void start(steadyproxy::PluginContext& context) override;
    void stop() override;

    std::vector<std::string> regions() const override;
    void validateSecret(const std::string& secret) const override;
    std::optional<steadyproxy::Lease> current(const steadyproxy::ProviderKey& key) override;
    steadyproxy::Lease acquire(const steadyproxy::ProviderKey& key, const std::string& region) override;
    void release(const steadyproxy::ProviderKey& key) override;

private:
    struct Assignment
    {
        std::size_t index = 0;               ///< into _upstreams
        steadyproxy::EpochMs assignedAt = 0;
        std::string region;
    };

    void checkKnown(const steadyproxy::ProviderKey& key) const;
    steadyproxy::Lease leaseOf(const steadyproxy::ProviderKey& key, const Assignment& a) const;
    steadyproxy::EpochMs now() const;

    // Fixed after configure().
    std::vector<steadyproxy::Upstream> _upstreams;
    int _lifetimeSeconds = 600;
    int _changeIntervalSeconds = 60;
    std::vector<std::string> _keys;
    std::vector<std::string> _regions;

    steadyproxy::PluginContext* _context = nullptr; ///< lent by the kernel from start() to stop()
    mutable std::mutex _mutex;
    std::map<std::string, Assignment> _assigned;     ///< by secret; guarded by _mutex
};

} // namespace example
