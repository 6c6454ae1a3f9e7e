#pragma once
#include <steadyproxy/sdk/Plugin.h>
#include <string>
#include <vector>

namespace steadyproxy::sqlite {

/// The configuration of storage.sqlite (`plugins.storage.sqlite.*`), with its defaults.
struct StorageOptions
{
    std::string path;             ///< as configured; "" = <dataDir>/steadyproxy.db
    int busyTimeoutMs = 5000;     ///< how long a writer waits for a lock held elsewhere
    int logRetentionDays = 30;    ///< log entries older than this are dropped
    int logRetentionRows = 100000;///< at most this many log entries are kept
    int healthSamplesPerKey = 500;///< at most this many health samples are kept per key

    /// The options the plugin declares to the kernel.
    static std::vector<ConfigOption> declare();

    /// Reads the plugin's section; absent keys keep their defaults. Throws ConfigError for an
    /// out-of-range value (the kernel normally refuses those before).
    static StorageOptions read(const Poco::Util::AbstractConfiguration& config);

    /// The absolute database file path: `path` made absolute against the working directory,
    /// or `<dataDir>/steadyproxy.db` when `path` is empty.
    std::string resolvePath(const std::string& dataDir) const;
};

} // namespace steadyproxy::sqlite
