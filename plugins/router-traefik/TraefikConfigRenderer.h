#pragma once
#include <steadyproxy/sdk/RouterWriter.h>
#include <string>

namespace steadyproxy::router {

/// Choices that shape the Traefik configuration.
struct TraefikOptions
{
    std::string entryPoint = "websecure";
    std::string certResolver = "letsencrypt"; ///< empty: Traefik's default certificate
    bool proxyProtocol = false;               ///< PROXY protocol v2 towards the endpoints
    bool proxyProtocolOnLoadBalancer = false; ///< old (< 3.5.2) placement instead of a serversTransport
};

/// Renders a RouterSnapshot as a Traefik v3 file-provider YAML document:
/// - per route, TCP router `proxyN` (rule HostSNI(`proxyN.<domain>`), TLS terminated by
///   Traefik) and TCP service `proxyN` (loadBalancer to `<proxyHost>:<port>`);
/// - HTTP router and service `admin` for Host(`app.<domain>`) when adminPort is set.
/// Stateless; thread-safe.
class TraefikConfigRenderer
{
public:
    /// Name of the TCP serversTransport carrying PROXY protocol v2.
    static const std::string ProxyProtocolTransport;

    explicit TraefikConfigRenderer(TraefikOptions options = {});

    /// Throws steadyproxy::Error when the snapshot cannot be published (no domain, a name
    /// that is not a DNS label, no proxy host), naming the value at fault.
    std::string render(const RouterSnapshot& snapshot) const;

private:
    TraefikOptions _options;
};

} // namespace steadyproxy::router
