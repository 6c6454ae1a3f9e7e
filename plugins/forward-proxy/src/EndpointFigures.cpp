#include "EndpointFigures.h"
#include <limits>

namespace steadyproxy::forward {

const char* errorKindName(ErrorKind kind)
{
    switch (kind)
    {
    case ErrorKind::Protocol: return "protocol";
    case ErrorKind::Auth: return "auth";
    case ErrorKind::Forbidden: return "forbidden";
    case ErrorKind::NoUpstream: return "no_upstream";
    case ErrorKind::UpstreamTimeout: return "upstream_timeout";
    case ErrorKind::UpstreamFailure: return "upstream_failure";
    case ErrorKind::Limited: return "limited";
    case ErrorKind::Denied: return "denied";
    case ErrorKind::Count: break;
    }
    return "other";
}

void AtomicHistogram::observe(double seconds)
{
    if (seconds < 0) seconds = 0;
    std::size_t i = 0;
    while (i < Bounds.size() && seconds > Bounds[i]) ++i;
    ++_buckets[i];
    ++_count;
    _sumMicros += static_cast<std::uint64_t>(seconds * 1e6);
}

DurationHistogram AtomicHistogram::snapshot() const
{
    DurationHistogram h;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= Bounds.size(); ++i)
    {
        running += _buckets[i].load();
        h.upperBoundsSeconds.push_back(i < Bounds.size() ? Bounds[i] : std::numeric_limits<double>::infinity());
        h.counts.push_back(running);
    }
    h.count = running;
    h.sumSeconds = _sumMicros.load() / 1e6;
    return h;
}

} // namespace steadyproxy::forward
