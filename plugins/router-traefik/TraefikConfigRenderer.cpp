#include "TraefikConfigRenderer.h"
#include <steadyproxy/sdk/Errors.h>
#include <steadyproxy/sdk/HostName.h>
#include <yaml-cpp/yaml.h>

namespace steadyproxy::router {

const std::string TraefikConfigRenderer::ProxyProtocolTransport = "steadyproxy-proxy-protocol-v2";

namespace {

std::string address(const std::string& host, unsigned port)
{
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void emitTls(YAML::Emitter& out, const TraefikOptions& options, bool tcp)
{
    out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    if (!options.certResolver.empty()) out << YAML::Key << "certResolver" << YAML::Value << options.certResolver;
    if (tcp) out << YAML::Key << "passthrough" << YAML::Value << false; // Traefik terminates TLS
    out << YAML::EndMap;
}

void emitEntryPoints(YAML::Emitter& out, const TraefikOptions& options)
{
    out << YAML::Key << "entryPoints" << YAML::Value << YAML::Flow << YAML::BeginSeq << options.entryPoint << YAML::EndSeq;
}

} // namespace

TraefikConfigRenderer::TraefikConfigRenderer(TraefikOptions options): _options(std::move(options))
{
}

std::string TraefikConfigRenderer::render(const RouterSnapshot& snapshot) const
{
    if (!isDnsName(snapshot.domain, false))
        throw Error("router.traefik: the domain '" + snapshot.domain +
            "' is not a DNS name: set DOMAIN (e.g. example.com) so endpoints become proxyN.<DOMAIN>");
    if (!snapshot.routes.empty() && snapshot.proxyHost.empty())
        throw Error("router.traefik: no proxy host to forward endpoint traffic to: set the address Traefik reaches "
            "steadyproxy at");
    for (const Route& route : snapshot.routes)
    {
        if (!isDnsName(route.subdomain, true))
            throw Error("router.traefik: key " + std::to_string(route.keyId) + " has subdomain '" + route.subdomain +
                "', which is not a DNS label");
        if (route.port == 0)
            throw Error("router.traefik: endpoint " + route.subdomain + " has no port");
    }

    YAML::Emitter out;
    out << YAML::Comment("Written by steadyproxy (router.traefik) on every change; edits here are overwritten.");
    out << YAML::BeginMap;

    if (!snapshot.routes.empty())
    {
        out << YAML::Key << "tcp" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "routers" << YAML::Value << YAML::BeginMap;
        for (const Route& route : snapshot.routes)
        {
            out << YAML::Key << route.subdomain << YAML::Value << YAML::BeginMap;
            emitEntryPoints(out, _options);
            out << YAML::Key << "rule" << YAML::Value << YAML::DoubleQuoted
                << "HostSNI(`" + route.subdomain + "." + snapshot.domain + "`)";
            out << YAML::Key << "service" << YAML::Value << route.subdomain;
            emitTls(out, _options, true);
            out << YAML::EndMap;
        }
        out << YAML::EndMap;

        out << YAML::Key << "services" << YAML::Value << YAML::BeginMap;
        for (const Route& route : snapshot.routes)
        {
            out << YAML::Key << route.subdomain << YAML::Value << YAML::BeginMap;
            out << YAML::Key << "loadBalancer" << YAML::Value << YAML::BeginMap;
            out << YAML::Key << "servers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "address"
                << YAML::Value << address(snapshot.proxyHost, route.port) << YAML::EndMap << YAML::EndSeq;
            if (_options.proxyProtocol && _options.proxyProtocolOnLoadBalancer)
                out << YAML::Key << "proxyProtocol" << YAML::Value << YAML::BeginMap << YAML::Key << "version"
                    << YAML::Value << 2 << YAML::EndMap;
            else if (_options.proxyProtocol)
                out << YAML::Key << "serversTransport" << YAML::Value << ProxyProtocolTransport;
            out << YAML::EndMap << YAML::EndMap;
        }
        out << YAML::EndMap;

        if (_options.proxyProtocol && !_options.proxyProtocolOnLoadBalancer)
        {
            out << YAML::Key << "serversTransports" << YAML::Value << YAML::BeginMap;
            out << YAML::Key << ProxyProtocolTransport << YAML::Value << YAML::BeginMap;
            out << YAML::Key << "proxyProtocol" << YAML::Value << YAML::BeginMap << YAML::Key << "version" << YAML::Value
                << 2 << YAML::EndMap;
            out << YAML::EndMap << YAML::EndMap;
        }
        out << YAML::EndMap; // tcp
    }

    if (snapshot.adminPort != 0)
    {
        const std::string adminHost = snapshot.adminHost.empty() ? snapshot.proxyHost : snapshot.adminHost;
        if (adminHost.empty())
            throw Error("router.traefik: no admin host to forward app." + snapshot.domain + " to");
        out << YAML::Key << "http" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "routers" << YAML::Value << YAML::BeginMap << YAML::Key << "admin" << YAML::Value
            << YAML::BeginMap;
        emitEntryPoints(out, _options);
        out << YAML::Key << "rule" << YAML::Value << YAML::DoubleQuoted << "Host(`app." + snapshot.domain + "`)";
        out << YAML::Key << "service" << YAML::Value << "admin";
        emitTls(out, _options, false);
        out << YAML::EndMap << YAML::EndMap;
        out << YAML::Key << "services" << YAML::Value << YAML::BeginMap << YAML::Key << "admin" << YAML::Value
            << YAML::BeginMap << YAML::Key << "loadBalancer" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "servers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "url"
            << YAML::Value << "http://" + address(adminHost, snapshot.adminPort) << YAML::EndMap << YAML::EndSeq;
        out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
        out << YAML::EndMap; // http
    }

    out << YAML::EndMap;
    if (!out.good()) throw Error("router.traefik: could not render YAML: " + out.GetLastError());
    std::string text = out.c_str();
    // An empty map renders as "{}": still a valid (empty) dynamic configuration.
    return text + "\n";
}

} // namespace steadyproxy::router
