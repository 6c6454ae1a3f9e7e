#pragma once
#include "Plugin.h"
#include <cstdint>
#include <string>
#include <vector>

namespace steadyproxy {

/// One published endpoint.
struct Route
{
    std::int64_t keyId = 0;
    std::string subdomain;     ///< "proxyN"
    std::uint16_t port = 0;    ///< the endpoint's own port
};

/// Everything a router needs to publish; built by the kernel on every change.
struct RouterSnapshot
{
    std::string domain;        ///< DOMAIN, e.g. "example.com"
    std::string proxyHost;     ///< the address routers forward endpoint traffic to
    std::string adminHost;
    std::uint16_t adminPort = 0;
    std::vector<Route> routes; ///< sorted by subdomain number
};

/// Publishes endpoints to a router (Traefik, HAProxy, ...). Only observes: never changes
/// kernel state. Called from a kernel worker thread, one call at a time.
class SP_API RouterWriter : public Plugin
{
public:
    /// The configuration text that write() would produce.
    virtual std::string render(const RouterSnapshot& snapshot) const = 0;
    /// Writes it atomically where the router reads it (and reloads the router if needed).
    /// Throws Error when it could not; the previous configuration must stay in place.
    virtual void write(const RouterSnapshot& snapshot) = 0;
};

} // namespace steadyproxy
