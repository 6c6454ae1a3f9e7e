#pragma once
#include <cstdint>

namespace steadyproxy {

/// Milliseconds since the Unix epoch (UTC). Used for every instant in the sdk, matching
/// what providers such as KiotProxy send (`expirationAt`, `nextRequestAt`). 0 means "unset".
using EpochMs = std::int64_t;

} // namespace steadyproxy
