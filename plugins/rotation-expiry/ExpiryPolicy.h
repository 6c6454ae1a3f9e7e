#pragma once
#include <steadyproxy/sdk/RotationPolicy.h>

namespace steadyproxy::rotation {

/// The `rotation.expiry` policy: when settings.autoRotateOnExpiration is on and the current
/// lease has an expiresAt, rotate settings.expiryLeadSeconds before it (reason "expiry").
/// No lease, or a lease without expiresAt: no decision. Pure and thread-safe; it has no
/// configuration of its own (the settings arrive in RotationInput, overrides applied).
class ExpiryPolicy : public RotationPolicy
{
public:
    std::optional<RotationDecision> next(const RotationInput& input) const override;
};

} // namespace steadyproxy::rotation
