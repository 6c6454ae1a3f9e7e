#pragma once
#include "Export.h"
#include "Time.h"
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace steadyproxy {

/// A state change announced by the kernel (or an observation reported by a plugin).
///
/// Types the kernel publishes: "key.added", "key.removed", "key.updated", "upstream.changed",
/// "health.changed", "settings.changed", "endpoint.restarted". Plugins may publish
/// "upstream.failure" (forward proxy: a connection to the upstream failed) and their own
/// types prefixed with their plugin id.
struct Event
{
    std::string type;
    std::int64_t keyId = 0;                 ///< 0 when not about one key
    EpochMs at = 0;                         ///< set by the bus when 0
    std::map<std::string, std::string> data; ///< small string fields; never secrets
};

/// Publish/subscribe for Events. Thread-safe. Handlers run synchronously on the publishing
/// thread, in subscription order; they must be quick and must not throw (a throwing
/// handler is logged and skipped). A handler may publish, but must not unsubscribe itself.
class SP_API EventBus
{
public:
    using Handler = std::function<void(const Event&)>;
    virtual ~EventBus() = default;
    /// Returns a subscription id for unsubscribe().
    virtual std::uint64_t subscribe(Handler handler) = 0;
    virtual void unsubscribe(std::uint64_t id) = 0;
    virtual void publish(const Event& event) = 0;
};

} // namespace steadyproxy
