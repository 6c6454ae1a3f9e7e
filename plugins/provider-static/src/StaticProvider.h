#pragma once
#include <steadyproxy/sdk/UpstreamProvider.h>
#include <map>
#include <mutex>
#include <random>
#include <vector>

namespace steadyproxy::staticprovider {

/// provider.static: upstreams listed in configuration (`upstreams`, `order`).
///
/// Each key has a position in the list. acquire() moves it to the next upstream
/// (round-robin: the following entry, wrapping; random: any other entry) and returns it;
/// current() returns the key's upstream, or nullopt before its first acquire(). A key's
/// first upstream is entry keyId mod N, so keys spread over the list. Positions live in
/// memory only (the kernel keeps leases across restarts). Leases never expire and may
/// change at any time (expiresAt = nextChangeAt = 0); realIp is the host when it is an IP
/// literal. Thread-safe; no network calls.
class StaticProvider : public UpstreamProvider
{
public:
    std::vector<ConfigOption> configOptions() const override;
    void configure(const Poco::Util::AbstractConfiguration& config) override;
    void start(PluginContext& context) override;

    /// Any string: the secret is only a label for static upstreams.
    void validateSecret(const std::string& secret) const override {}
    std::optional<Lease> current(const ProviderKey& key) override;
    Lease acquire(const ProviderKey& key, const std::string& region) override;
    void release(const ProviderKey& key) override;

private:
    Lease leaseFor(const ProviderKey& key, std::size_t index, const std::string& region) const;

    std::vector<Upstream> _upstreams;
    bool _random = false;
    PluginContext* _context = nullptr;
    mutable std::mutex _mutex;
    std::map<std::int64_t, std::pair<std::size_t, std::string>> _positions; ///< keyId -> (index, region)
    std::mt19937 _rng{std::random_device{}()};
};

} // namespace steadyproxy::staticprovider
