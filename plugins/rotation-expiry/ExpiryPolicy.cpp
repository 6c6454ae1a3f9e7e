#include "ExpiryPolicy.h"
#include <algorithm>

namespace steadyproxy::rotation {

std::optional<RotationDecision> ExpiryPolicy::next(const RotationInput& input) const
{
    if (!input.settings.autoRotateOnExpiration || !input.lease || input.lease->expiresAt <= 0)
        return std::nullopt;
    // A negative lead would rotate after the IP is gone; treat it as "at expiry".
    EpochMs lead = static_cast<EpochMs>(std::max(0, input.settings.expiryLeadSeconds)) * 1000;
    return RotationDecision{input.lease->expiresAt - lead, "expiry"};
}

} // namespace steadyproxy::rotation

STEADYPROXY_PLUGIN(steadyproxy::rotation::ExpiryPolicy, "rotation.expiry", "1.0.0", "",
    "Rotates a key shortly before its lease expires (auto_rotate_on_expiration)")
