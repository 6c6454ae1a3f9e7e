#pragma once
#include <steadyproxy/sdk/RotationPolicy.h>

namespace steadyproxy::rotation {

/// The `rotation.interval` policy: when settings.autoRotateIntervalEnabled is on, rotate
/// autoRotateIntervalMinutes (at least MinMinutes) after the last rotation (reason
/// "interval"). The clock starts at key->lastRotatedAt, else lease->obtainedAt, else
/// key->createdAt. No lease: no decision (the kernel acquires one). Pure and thread-safe.
class IntervalPolicy : public RotationPolicy
{
public:
    /// Shorter intervals are treated as this (KiotProxy Manager's minimum).
    static constexpr int MinMinutes = 2;

    std::optional<RotationDecision> next(const RotationInput& input) const override;
};

} // namespace steadyproxy::rotation
