#pragma once
#include <steadyproxy/sdk/Plugin.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <cstdint>
#include <string>
#include <vector>

namespace steadyproxy::kernel {

/// The kernel's own configuration keys (root of the YAML), with defaults and the
/// environment variables that override them. docs/configuration.md lists the same.
const std::vector<ConfigOption>& kernelOptions();

/// The kernel's settings, read from a validated configuration.
struct KernelOptions
{
    std::string dataDir;
    std::string logLevel;
    std::string logFormat;
    std::string logFile;
    int drainSeconds = 30;
    std::string adminHost;
    std::uint16_t adminPort = 0;
    std::string wwwDir;
    int maxBodyBytes = 1048576;
    int sessionIdleMinutes = 60;
    int sessionAbsoluteHours = 12;
    std::vector<std::string> trustedProxies;
    std::vector<std::string> metricsAllow;
    std::string domain;
    std::string proxyHost;       ///< where routers and health checks reach endpoints
    std::uint16_t portStart = 0;
    std::uint16_t portEnd = 0;
    std::string upstreamProtocol; ///< "http" or "socks5": which lease address endpoints use
    int healthIntervalSeconds = 30;
    std::string adminUsername;
    std::string adminPassword;
    std::string masterKey;        ///< base64, from the environment
    std::string masterKeyFile;
    bool clockControl = false;    ///< tests only: the API may move the clock
    std::vector<std::string> pluginDirectories;
    std::vector<std::string> plugins;

    /// Reads the options; throws ConfigError for cross-field problems (port range).
    static KernelOptions from(const Poco::Util::AbstractConfiguration& config);
};

} // namespace steadyproxy::kernel
