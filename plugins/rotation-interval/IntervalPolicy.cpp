#include "IntervalPolicy.h"
#include <algorithm>

namespace steadyproxy::rotation {

std::optional<RotationDecision> IntervalPolicy::next(const RotationInput& input) const
{
    if (!input.settings.autoRotateIntervalEnabled || !input.lease || !input.key) return std::nullopt;

    EpochMs since = input.key->lastRotatedAt;
    if (since <= 0) since = input.lease->obtainedAt;
    if (since <= 0) since = input.key->createdAt;
    if (since <= 0) return std::nullopt; // no clock to measure from

    EpochMs minutes = std::max(MinMinutes, input.settings.autoRotateIntervalMinutes);
    return RotationDecision{since + minutes * 60000, "interval"};
}

} // namespace steadyproxy::rotation

STEADYPROXY_PLUGIN(steadyproxy::rotation::IntervalPolicy, "rotation.interval", "1.0.0", "",
    "Rotates a key every N minutes since its last rotation (auto_rotate_interval_*)")
