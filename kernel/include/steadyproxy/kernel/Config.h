#pragma once
#include <steadyproxy/sdk/ConfigList.h>
#include <steadyproxy/sdk/Plugin.h>
#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace steadyproxy::kernel {

/// A configuration read from YAML, flattened into a Poco configuration: mapping keys are
/// joined with '.', sequence items are `key[0]`, `key[1]`, ... Scalars have `${VAR}` and
/// `${VAR:-default}` expanded from the environment. Remembers the line each key came from.
/// Movable, not copyable (the values are one shared Poco configuration).
class Config
{
public:
    /// Parses YAML text; `source` names it in messages. Throws ConfigError("", "file:line: ...").
    static Config parse(const std::string& text, const std::string& source);
    /// Reads and parses a file. Throws ConfigError naming the file when it cannot be read.
    static Config load(const std::string& path);

    /// The flattened values (changes made by validation are visible here).
    const Poco::Util::AbstractConfiguration& values() const { return *_values; }
    /// Every flattened key, sorted.
    std::vector<std::string> keys() const;
    /// "file:line" for a key from the file, "environment variable X" for an override,
    /// or the source name alone.
    std::string where(const std::string& key) const;
    const std::string& source() const { return _source; }

    void set(const std::string& key, const std::string& value, const std::string& where);
    void remove(const std::string& key);
    bool has(const std::string& key) const;

    Config(Config&&) = default;
    Config& operator=(Config&&) = default;
    Config(const Config&) = delete;
    Config& operator=(const Config&) = delete;

private:
    explicit Config(std::string source);
    std::string _source;
    Poco::AutoPtr<Poco::Util::MapConfiguration> _values;
    std::map<std::string, std::string> _where;
};

/// Expands `${VAR}` and `${VAR:-default}` in `text` (unset VAR: empty, or the default).
/// `$$` is a literal '$'. Throws ConfigError for an unterminated `${`.
std::string expandEnvironment(const std::string& text);


/// One thing wrong with a configuration.
struct ConfigProblem
{
    std::string where;   ///< "conf/steadyproxy.yaml:12", "environment variable X"
    std::string key;
    std::string message;
    std::string toString() const { return where + ": " + key + ": " + message; }
};

/// The keys a configuration may hold, by section. The kernel's own options live at the
/// root; a plugin's under `plugins.<id>.`.
class ConfigSchema
{
public:
    /// Adds options under `prefix` ("" for the root, "plugins.storage.sqlite" for a plugin).
    void addSection(const std::string& prefix, const std::vector<ConfigOption>& options);
    /// Checks every key (unknown keys, types, ranges, choices, required) and, in place,
    /// applies environment overrides and defaults. Returns every problem found.
    std::vector<ConfigProblem> validate(Config& config) const;
    /// Every option with its full key, in section order.
    std::vector<std::pair<std::string, ConfigOption>> options() const;

private:
    const ConfigOption* findOption(const std::string& key, std::string& section) const;
    std::vector<std::pair<std::string, std::vector<ConfigOption>>> _sections;
};

/// Checks `value` against `option`; returns "" when fine, else what is wrong.
std::string checkValue(const ConfigOption& option, const std::string& value);

/// Parses a Boolean the way the validator accepts it (true/false/yes/no/on/off/1/0).
bool parseBool(const std::string& value);

} // namespace steadyproxy::kernel
