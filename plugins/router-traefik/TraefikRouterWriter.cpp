#include "TraefikRouterWriter.h"
#include <steadyproxy/sdk/AtomicFile.h>
#include <Poco/String.h>
#include <cctype>

namespace steadyproxy::router {

namespace {

const std::string Section = "plugins.router.traefik.";

bool isName(const std::string& s)
{
    if (s.empty()) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    return true;
}

} // namespace

std::vector<ConfigOption> TraefikRouterWriter::configOptions() const
{
    return {
        ConfigOption::string("directory", "./data/traefik", "Directory Traefik's file provider watches (created if missing)"),
        ConfigOption::string("file_name", "steadyproxy.yml", "Name of the file written there; must end in .yml or .yaml"),
        ConfigOption::string("entrypoint", "websecure", "Traefik entry point (TLS, usually :443) the routers listen on"),
        ConfigOption::string("cert_resolver", "letsencrypt",
            "Traefik certificate resolver for proxyN.<DOMAIN> and app.<DOMAIN>; empty = Traefik's default certificate"),
        ConfigOption::boolean("proxy_protocol", false,
            "Send PROXY protocol v2 to the endpoints so they see the client's real address"),
        ConfigOption::string("proxy_protocol_style", "servers_transport",
            "Where PROXY protocol is declared: servers_transport (Traefik >= 3.5.2) or load_balancer (older v3)",
            "", {"servers_transport", "load_balancer"}),
    };
}

void TraefikRouterWriter::configure(const Poco::Util::AbstractConfiguration& config)
{
    std::string directory = config.getString("directory", "./data/traefik");
    while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
    if (directory.empty()) throw ConfigError(Section + "directory", "is empty: name the directory Traefik watches");

    std::string fileName = config.getString("file_name", "steadyproxy.yml");
    if (fileName.find('/') != std::string::npos || fileName.front() == '.' ||
        !(Poco::endsWith(fileName, std::string(".yml")) || Poco::endsWith(fileName, std::string(".yaml"))))
        throw ConfigError(Section + "file_name", "'" + fileName +
            "' must be a plain file name ending in .yml or .yaml (Traefik's file provider reads only those), "
            "e.g. steadyproxy.yml");

    TraefikOptions options;
    options.entryPoint = config.getString("entrypoint", "websecure");
    if (!isName(options.entryPoint))
        throw ConfigError(Section + "entrypoint", "'" + options.entryPoint + "' is not an entry point name (e.g. websecure)");
    options.certResolver = Poco::trim(config.getString("cert_resolver", "letsencrypt"));
    if (!options.certResolver.empty() && !isName(options.certResolver))
        throw ConfigError(Section + "cert_resolver", "'" + options.certResolver + "' is not a resolver name (e.g. letsencrypt)");
    options.proxyProtocol = config.getBool("proxy_protocol", false);
    std::string style = config.getString("proxy_protocol_style", "servers_transport");
    if (style != "servers_transport" && style != "load_balancer")
        throw ConfigError(Section + "proxy_protocol_style", "is '" + style + "'; use servers_transport or load_balancer");
    options.proxyProtocolOnLoadBalancer = style == "load_balancer";

    _directory = directory;
    _fileName = fileName;
    _renderer = TraefikConfigRenderer(options);
}

std::string TraefikRouterWriter::render(const RouterSnapshot& snapshot) const
{
    return _renderer.render(snapshot);
}

void TraefikRouterWriter::write(const RouterSnapshot& snapshot)
{
    std::string text = render(snapshot);
    std::lock_guard<std::mutex> lock(_writeMutex);
    if (fileHolds(path(), text)) return; // unchanged: spare Traefik a reload
    writeAtomically(_directory, _fileName, text, "router.traefik");
}

} // namespace steadyproxy::router

STEADYPROXY_PLUGIN(steadyproxy::router::TraefikRouterWriter, "router.traefik", "1.0.0", "",
    "Publishes endpoints as Traefik v3 TLS TCP routers (HostSNI proxyN.<DOMAIN>) via the file provider")
