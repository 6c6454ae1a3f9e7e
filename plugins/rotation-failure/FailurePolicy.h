#pragma once
#include <steadyproxy/sdk/RotationPolicy.h>

namespace steadyproxy::rotation {

/// The `rotation.failure` policy: when settings.rotateOnFailure is on and the key has
/// failed at least settings.failureThreshold health checks in a row (a threshold below 1
/// counts as 1), rotate now (reason "failure"). No lease: no decision. The kernel still
/// waits for the lease's nextChangeAt. Pure and thread-safe.
class FailurePolicy : public RotationPolicy
{
public:
    std::optional<RotationDecision> next(const RotationInput& input) const override;
};

} // namespace steadyproxy::rotation
