#pragma once
#include <steadyproxy/sdk/ForwardProxy.h>
#include <array>
#include <atomic>
#include <cstdint>

namespace steadyproxy::forward {

/// Why a request or tunnel failed, for the per-kind error counters.
enum class ErrorKind { Protocol, Auth, Forbidden, NoUpstream, UpstreamTimeout, UpstreamFailure, Limited, Denied, Count };

/// The name of an ErrorKind in EndpointStats::errorsByKind.
const char* errorKindName(ErrorKind kind);

/// A lock-free duration histogram with fixed buckets (seconds), observed from event loops.
class AtomicHistogram
{
public:
    static constexpr std::array<double, 14> Bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
    void observe(double seconds);
    DurationHistogram snapshot() const;
private:
    std::array<std::atomic<std::uint64_t>, Bounds.size() + 1> _buckets{};
    std::atomic<std::uint64_t> _count{0};
    std::atomic<std::uint64_t> _sumMicros{0};
};

} // namespace steadyproxy::forward
