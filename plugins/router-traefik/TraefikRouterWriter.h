#pragma once
#include "TraefikConfigRenderer.h"
#include <steadyproxy/sdk/RouterWriter.h>
#include <mutex>

namespace steadyproxy::router {

/// The `router.traefik` plugin: renders endpoints for Traefik v3's file provider and writes
/// them atomically to `<directory>/<file_name>` (Traefik reloads on change). configure()
/// runs before any call; render() and write() may then be called from any one thread at a
/// time (write() also serializes itself).
class TraefikRouterWriter : public RouterWriter
{
public:
    std::vector<ConfigOption> configOptions() const override;
    /// Reads directory, file_name, entrypoint, cert_resolver, proxy_protocol,
    /// proxy_protocol_style; throws ConfigError for a file name Traefik would not read.
    void configure(const Poco::Util::AbstractConfiguration& config) override;

    std::string render(const RouterSnapshot& snapshot) const override;
    /// Skips the write when the file already holds exactly this configuration.
    void write(const RouterSnapshot& snapshot) override;

    /// Where write() puts the file.
    std::string path() const { return _directory + "/" + _fileName; }

private:
    TraefikConfigRenderer _renderer;
    std::string _directory = "./data/traefik";
    std::string _fileName = "steadyproxy.yml";
    std::mutex _writeMutex;
};

} // namespace steadyproxy::router
