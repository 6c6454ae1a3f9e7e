#pragma once
#include "Plugin.h"
#include "Types.h"
#include <optional>
#include <string>

namespace steadyproxy {

/// What a policy sees of one key.
struct RotationInput
{
    const ProxyKey* key = nullptr;   ///< never null
    const Lease* lease = nullptr;    ///< the current lease, null when there is none
    Settings settings;               ///< global settings with the key's overrides applied
    int consecutiveFailures = 0;     ///< failed health checks in a row
    EpochMs now = 0;
};

/// When a key should rotate next, and why.
struct RotationDecision
{
    EpochMs at = 0;        ///< may be <= now: due immediately
    std::string reason;    ///< "expiry", "interval", "failure", ...
};

/// Answers "when should this key rotate next, and why". Pure: no side effects, no I/O,
/// thread-safe. The kernel asks every loaded policy and takes the earliest decision; it
/// never calls the provider before the lease's nextChangeAt.
class SP_API RotationPolicy : public Plugin
{
public:
    virtual std::optional<RotationDecision> next(const RotationInput& input) const = 0;
};

} // namespace steadyproxy
