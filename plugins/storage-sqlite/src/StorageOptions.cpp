#include "StorageOptions.h"
#include <Poco/Path.h>

namespace steadyproxy::sqlite {

namespace {

int readInt(const Poco::Util::AbstractConfiguration& config, const std::string& key, int def, int min, int max)
{
    int value = config.getInt(key, def);
    if (value < min || value > max)
        throw ConfigError("plugins.storage.sqlite." + key,
            "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::to_string(value));
    return value;
}

} // namespace

std::vector<ConfigOption> StorageOptions::declare()
{
    return {
        ConfigOption::string("path", "",
            "SQLite database file; empty = <data dir>/steadyproxy.db; a relative path is relative to the working directory"),
        ConfigOption::integer("busy_timeout_ms", 5000, 0, 600000, "milliseconds to wait for a lock held by another connection"),
        ConfigOption::integer("log_retention_days", 30, 1, 3650, "log entries older than this many days are dropped"),
        ConfigOption::integer("log_retention_rows", 100000, 100, 100000000, "at most this many log entries are kept"),
        ConfigOption::integer("health_samples_per_key", 500, 10, 100000, "at most this many health samples are kept per key"),
    };
}

StorageOptions StorageOptions::read(const Poco::Util::AbstractConfiguration& config)
{
    StorageOptions o;
    o.path = config.getString("path", "");
    o.busyTimeoutMs = readInt(config, "busy_timeout_ms", o.busyTimeoutMs, 0, 600000);
    o.logRetentionDays = readInt(config, "log_retention_days", o.logRetentionDays, 1, 3650);
    o.logRetentionRows = readInt(config, "log_retention_rows", o.logRetentionRows, 100, 100000000);
    o.healthSamplesPerKey = readInt(config, "health_samples_per_key", o.healthSamplesPerKey, 10, 100000);
    return o;
}

std::string StorageOptions::resolvePath(const std::string& dataDir) const
{
    if (path.empty())
    {
        Poco::Path p(dataDir);
        p.makeDirectory();
        p.setFileName("steadyproxy.db");
        return p.toString();
    }
    Poco::Path p(path);
    p.makeAbsolute();
    return p.toString();
}

} // namespace steadyproxy::sqlite
