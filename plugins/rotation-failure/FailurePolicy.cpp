#include "FailurePolicy.h"
#include <algorithm>

namespace steadyproxy::rotation {

std::optional<RotationDecision> FailurePolicy::next(const RotationInput& input) const
{
    if (!input.settings.rotateOnFailure || !input.lease) return std::nullopt;
    // A threshold of 0 would rotate a healthy key on every tick.
    int threshold = std::max(1, input.settings.failureThreshold);
    if (input.consecutiveFailures < threshold) return std::nullopt;
    return RotationDecision{input.now, "failure"};
}

} // namespace steadyproxy::rotation

STEADYPROXY_PLUGIN(steadyproxy::rotation::FailurePolicy, "rotation.failure", "1.0.0", "",
    "Rotates a key after N consecutive failed health checks (rotate_on_failure)")
