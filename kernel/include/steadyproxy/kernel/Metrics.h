#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace steadyproxy::kernel {

class Kernel;

/// The kernel's own counters (rotations, provider calls) and the Prometheus text rendering
/// of every series: these counters, the forward proxy's per-endpoint figures, each key's
/// health and lease, plugin states and process figures. Thread-safe.
class Metrics
{
public:
    /// result: "success", "scheduled" or "error".
    void countRotation(const std::string& reason, const std::string& result);
    /// call: "current", "acquire", "release"; outcome: "ok" or a ProviderError kind name.
    void countProviderCall(const std::string& provider, const std::string& call, const std::string& outcome);
    /// The text exposition format (version 0.0.4).
    std::string render(Kernel& kernel) const;

private:
    mutable std::mutex _mutex;
    std::map<std::pair<std::string, std::string>, std::uint64_t> _rotations;
    std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> _providerCalls;
};

} // namespace steadyproxy::kernel
