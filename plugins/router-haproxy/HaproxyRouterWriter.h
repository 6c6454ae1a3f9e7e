#pragma once
#include "HaproxyConfigRenderer.h"
#include "HaproxyReloader.h"
#include <steadyproxy/sdk/RouterWriter.h>
#include <mutex>
#include <vector>

namespace steadyproxy::router::haproxy {

/// The `router.haproxy` plugin: renders endpoints as an HAProxy configuration that
/// terminates TLS and picks `proxyN` by SNI, installs it atomically at
/// `<directory>/<file_name>` after `check_command` accepted it, and reloads HAProxy
/// gracefully (master socket, SIGUSR2 to the master, or a command).
/// configure() runs before any call; render() and write() may then be called from any
/// thread, one at a time (write() also serializes itself). start() only keeps the logger.
class HaproxyRouterWriter : public RouterWriter
{
public:
    std::vector<ConfigOption> configOptions() const override;
    /// Throws ConfigError naming the key for a value HAProxy could not use or that could
    /// break out of the configuration line it goes into.
    void configure(const Poco::Util::AbstractConfiguration& config) override;
    void start(PluginContext& context) override;
    void stop() override;

    std::string render(const RouterSnapshot& snapshot) const override;
    /// Renders, writes the temporary, runs check_command on it (refusing the file when it
    /// fails), renames it into place and reloads HAProxy. Skips everything when the file
    /// already holds exactly this text and the last reload succeeded. Throws Error: before
    /// the rename the previous file stays; after it, the message says the file is installed
    /// but HAProxy was not reloaded (the next write retries the reload).
    void write(const RouterSnapshot& snapshot) override;

    /// Where write() puts the file.
    std::string path() const { return _directory + "/" + _fileName; }

private:
    void check(const std::string& temporary) const;
    void log(const std::string& message);

    HaproxyConfigRenderer _renderer;
    HaproxyReloader _reloader;
    std::string _directory = "./data/haproxy";
    std::string _fileName = "haproxy.cfg";
    std::vector<std::string> _checkCommand;
    long _timeoutMs = 10000;

    std::mutex _writeMutex;
    bool _reloadPending = false;       ///< the file on disk is newer than what HAProxy was told to load
    Poco::Logger* _logger = nullptr;   ///< set by start(); tests may use the plugin unstarted
};

} // namespace steadyproxy::router::haproxy
