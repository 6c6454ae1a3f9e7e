#include "HaproxyConfigRenderer.h"
#include <steadyproxy/sdk/Errors.h>
#include <steadyproxy/sdk/HostName.h>
#include <arpa/inet.h>
#include <sstream>

namespace steadyproxy::router::haproxy {

const std::string HaproxyConfigRenderer::FrontendName = "steadyproxy_tls";
const std::string HaproxyConfigRenderer::AdminBackend = "steadyproxy_admin";

namespace {

bool isIpv4(const std::string& host)
{
    in_addr a{};
    return ::inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool isIpv6(const std::string& host)
{
    in6_addr a{};
    return ::inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

/// An address a listener would use (0.0.0.0, ::) names no host to connect to; the
/// admin server listening there is reached where the endpoints are.
bool isUnspecified(const std::string& host)
{
    return host == "0.0.0.0" || host == "::" || host == "[::]";
}

std::string stripBrackets(const std::string& host)
{
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
    return host;
}

/// A single-quoted word: HAProxy expands nothing inside single quotes.
std::string quoted(const std::string& word)
{
    return "'" + word + "'";
}

} // namespace

bool isServerHost(const std::string& host)
{
    std::string h = stripBrackets(host);
    return isIpv4(h) || isIpv6(h) || isDnsName(h, false);
}

std::string serverAddress(const std::string& host, unsigned port)
{
    std::string h = stripBrackets(host);
    return (isIpv6(h) ? "[" + h + "]" : h) + ":" + std::to_string(port);
}

HaproxyConfigRenderer::HaproxyConfigRenderer(HaproxyOptions options): _options(std::move(options))
{
}

std::string HaproxyConfigRenderer::render(const RouterSnapshot& snapshot) const
{
    if (!isDnsName(snapshot.domain, false))
        throw Error("router.haproxy: the domain '" + snapshot.domain +
            "' is not a DNS name: set DOMAIN (e.g. example.com) so endpoints become proxyN.<DOMAIN>");
    if (!snapshot.routes.empty() && snapshot.proxyHost.empty())
        throw Error("router.haproxy: no proxy host to forward endpoint traffic to: set endpoints.proxy_host to the "
            "address HAProxy reaches steadyproxy at");
    if (!snapshot.proxyHost.empty() && !isServerHost(snapshot.proxyHost))
        throw Error("router.haproxy: the proxy host '" + snapshot.proxyHost +
            "' is neither an IP address nor a DNS name: fix endpoints.proxy_host");
    for (const Route& route : snapshot.routes)
    {
        if (!isDnsName(route.subdomain, true))
            throw Error("router.haproxy: key " + std::to_string(route.keyId) + " has subdomain '" + route.subdomain +
                "', which is not a DNS label");
        if (route.port == 0) throw Error("router.haproxy: endpoint " + route.subdomain + " has no port");
    }
    std::string adminHost;
    if (snapshot.adminPort != 0)
    {
        adminHost = snapshot.adminHost;
        if (adminHost.empty() || isUnspecified(adminHost)) adminHost = snapshot.proxyHost;
        if (adminHost.empty() || isUnspecified(adminHost)) adminHost = "127.0.0.1";
        if (!isServerHost(adminHost))
            throw Error("router.haproxy: the admin host '" + adminHost +
                "' is neither an IP address nor a DNS name: fix admin.host");
    }

    const HaproxyOptions& o = _options;
    std::ostringstream out;
    out << "# Written by steadyproxy (router.haproxy) on every change; edits here are overwritten.\n"
        << "# " << snapshot.routes.size() << " endpoint(s) under " << snapshot.domain
        << ". Check with: haproxy -c -f <this file>\n";

    if (o.globalSection)
    {
        out << "\nglobal\n"
            << "    log stderr format raw daemon notice\n"
            << "    ssl-default-bind-options ssl-min-ver TLSv1.2\n";
        if (!o.hardStopAfter.empty()) out << "    hard-stop-after " << o.hardStopAfter << "\n";
    }

    // Applies to the sections below it (and in files loaded after this one).
    out << "\ndefaults\n"
        << "    mode tcp\n"
        << "    log global\n"
        << "    option dontlognull\n"
        << "    timeout connect 10s\n"
        << "    timeout client " << o.idleTimeout << "\n"
        << "    timeout server " << o.idleTimeout << "\n"
        << "    timeout client-fin 30s\n"
        << "    timeout server-fin 30s\n";

    // No ALPN on the bind: clients then speak HTTP/1.1 to the proxy, which is what the
    // endpoints understand (a browser would otherwise pick h2 for an HTTPS proxy).
    out << "\nfrontend " << FrontendName << "\n"
        << "    bind " << o.bindAddress << " ssl crt " << quoted(o.certificate);
    if (!o.bindOptions.empty()) out << " " << o.bindOptions;
    out << "\n";
    if (snapshot.adminPort != 0)
        out << "    use_backend " << AdminBackend << " if { ssl_fc_sni -i app." << snapshot.domain << " }\n";
    for (const Route& route : snapshot.routes)
        out << "    use_backend " << route.subdomain << " if { ssl_fc_sni -i " << route.subdomain << "."
            << snapshot.domain << " }\n";
    // No default_backend: a connection with any other name, or none, is closed.

    if (snapshot.adminPort != 0)
    {
        out << "\nbackend " << AdminBackend << "\n"
            << "    mode http\n"
            << "    option forwardfor\n"
            << "    http-request set-header X-Forwarded-Proto https\n"
            << "    timeout server 60s\n"
            << "    server admin " << serverAddress(adminHost, snapshot.adminPort) << "\n";
    }
    for (const Route& route : snapshot.routes)
    {
        out << "\nbackend " << route.subdomain << "\n"
            << "    server " << route.subdomain << " " << serverAddress(snapshot.proxyHost, route.port);
        if (o.proxyProtocol) out << " send-proxy-v2";
        out << "\n";
    }
    return out.str();
}

} // namespace steadyproxy::router::haproxy
