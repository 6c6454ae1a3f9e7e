#pragma once
#include <string>
#include <vector>

namespace steadyproxy::router::haproxy {

/// How HAProxy is told to read the new file. At most one way is set.
struct ReloadOptions
{
    std::vector<std::string> command; ///< run this (words; `{file}` = the installed file)
    std::string masterSocket;         ///< send `reload` to this master CLI socket and wait for it
    std::string pidFile;              ///< send SIGUSR2 to the master whose pid this file holds
    long timeoutMs = 10000;           ///< for the command, or for HAProxy to report the reload
};

/// Reloads a running HAProxy gracefully: in master-worker mode (-W) a reload starts new
/// workers on the new configuration while the old ones finish their open connections.
/// Stateless; thread-safe.
class HaproxyReloader
{
public:
    explicit HaproxyReloader(ReloadOptions options = {});

    /// False when no way is configured (nothing to do).
    bool enabled() const;

    /// Reloads and returns one line saying how. Throws steadyproxy::Error saying what failed
    /// (the command's status and output, the socket's errno, HAProxy refusing the file).
    std::string reload(const std::string& file) const;

private:
    std::string reloadThroughSocket() const;
    std::string reloadBySignal() const;
    std::string reloadByCommand(const std::string& file) const;

    ReloadOptions _options;
};

} // namespace steadyproxy::router::haproxy
