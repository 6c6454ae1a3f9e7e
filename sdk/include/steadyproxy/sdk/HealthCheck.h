#pragma once
#include "Plugin.h"
#include "Types.h"
#include <cstdint>
#include <string>

namespace steadyproxy {

/// How to reach an endpoint the way a client would.
struct HealthTarget
{
    std::int64_t keyId = 0;
    std::string proxyHost;     ///< where the endpoint listens (loopback normally)
    std::uint16_t proxyPort = 0;
    std::string username;      ///< the endpoint's own credentials
    std::string password;
    std::string expectedIp;    ///< the lease's real IP ("" = unknown)
};

/// Checks an endpoint through the endpoint itself. May block up to its configured timeout;
/// called from kernel worker threads. Thread-safe. Never throws for a failed check: returns
/// a sample with ok=false and the reason.
class SP_API HealthCheck : public Plugin
{
public:
    virtual HealthSample check(const HealthTarget& target) = 0;
};

} // namespace steadyproxy
