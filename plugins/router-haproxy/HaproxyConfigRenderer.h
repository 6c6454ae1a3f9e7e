#pragma once
#include <steadyproxy/sdk/RouterWriter.h>
#include <string>

namespace steadyproxy::router::haproxy {

/// Choices that shape the HAProxy configuration. Values are checked by
/// HaproxyRouterWriter::configure() before they get here.
struct HaproxyOptions
{
    std::string bindAddress = ":443";  ///< one or more `[addr]:port`, comma-separated
    std::string certificate = "/etc/haproxy/certs/steadyproxy.pem"; ///< PEM (chain + key) or a directory of them
    std::string bindOptions;           ///< extra words for the bind line, e.g. "ssl-min-ver TLSv1.2"
    bool proxyProtocol = false;        ///< send-proxy-v2 towards the endpoints
    bool globalSection = true;         ///< start with `global` (false: the file follows your own haproxy.cfg)
    std::string idleTimeout = "1h";    ///< client/server inactivity timeout of a tunnel
    std::string hardStopAfter;         ///< global hard-stop-after; empty = old workers live until their last tunnel ends
};

/// Renders a RouterSnapshot as an HAProxy (2.6 or later) configuration:
/// - frontend `steadyproxy_tls` on bindAddress terminating TLS with the certificate and
///   choosing the backend by SNI: `use_backend proxyN if { ssl_fc_sni -i proxyN.<domain> }`;
/// - per route, a mode tcp backend `proxyN` with one server `<proxyHost>:<port>`
///   (with send-proxy-v2 when asked);
/// - when adminPort is set, backend `steadyproxy_admin` (mode http, X-Forwarded-For and
///   X-Forwarded-Proto: https) for SNI `app.<domain>`.
/// Connections with any other SNI, or none, are closed. Stateless; thread-safe.
class HaproxyConfigRenderer
{
public:
    static const std::string FrontendName; ///< "steadyproxy_tls"
    static const std::string AdminBackend; ///< "steadyproxy_admin"

    explicit HaproxyConfigRenderer(HaproxyOptions options = {});

    /// Throws steadyproxy::Error when the snapshot cannot be published (no domain, a name
    /// that is not a DNS label, no or a malformed proxy host, a route without a port),
    /// naming the value at fault. Never emits text taken from the snapshot unchecked.
    std::string render(const RouterSnapshot& snapshot) const;

    const HaproxyOptions& options() const { return _options; }

private:
    HaproxyOptions _options;
};

/// `host:port` as HAProxy reads a server address (IPv6 in brackets).
std::string serverAddress(const std::string& host, unsigned port);
/// True for a host HAProxy can connect to: a DNS name, an IPv4 or an IPv6 address.
bool isServerHost(const std::string& host);

} // namespace steadyproxy::router::haproxy
