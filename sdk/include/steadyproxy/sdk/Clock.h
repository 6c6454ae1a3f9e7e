#pragma once
#include "Export.h"
#include "Time.h"

namespace steadyproxy {

/// The kernel's notion of "now". Plugins must take time from here (never from the system
/// clock directly) so that tests can move time. Thread-safe; owned by the kernel and valid
/// for the whole time a plugin is started.
class SP_API Clock
{
public:
    virtual ~Clock() = default;
    /// Current time in epoch milliseconds.
    virtual EpochMs now() const = 0;
};

} // namespace steadyproxy
