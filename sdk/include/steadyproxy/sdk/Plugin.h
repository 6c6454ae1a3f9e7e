#pragma once
#include "Clock.h"
#include "Errors.h"
#include "EventBus.h"
#include "Export.h"
#include <Poco/Logger.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <string>
#include <vector>

namespace steadyproxy {

class Registry;

/// One configuration key a plugin accepts in its section (`plugins.<id>.<key>`).
/// The kernel validates the section against these before configure(): unknown keys,
/// wrong types and out-of-range values stop start-up with a message naming file and line.
struct ConfigOption
{
    enum class Type { String, Integer, Boolean, StringList };
    std::string key;            ///< relative to the plugin's section, may contain dots
    Type type = Type::String;
    std::string defaultValue;   ///< as text; empty = no default
    std::string help;           ///< one line for docs and `config validate`
    long long min = 0, max = 0; ///< Integer range when min < max
    std::vector<std::string> choices; ///< allowed String values when not empty
    std::string env;            ///< environment variable that overrides the file, if any
    bool required = false;

    // Shorthands for the common shapes.
    static ConfigOption string(std::string key, std::string def, std::string help, std::string env = "",
                               std::vector<std::string> choices = {})
    {
        return ConfigOption{std::move(key), Type::String, std::move(def), std::move(help), 0, 0, std::move(choices), std::move(env)};
    }
    static ConfigOption integer(std::string key, long long def, long long min, long long max, std::string help,
                                std::string env = "")
    {
        return ConfigOption{std::move(key), Type::Integer, std::to_string(def), std::move(help), min, max, {}, std::move(env)};
    }
    static ConfigOption boolean(std::string key, bool def, std::string help, std::string env = "")
    {
        return ConfigOption{std::move(key), Type::Boolean, def ? "true" : "false", std::move(help), 0, 0, {}, std::move(env)};
    }
    static ConfigOption list(std::string key, std::string def, std::string help, std::string env = "")
    {
        return ConfigOption{std::move(key), Type::StringList, std::move(def), std::move(help), 0, 0, {}, std::move(env)};
    }
};

/// What the kernel lends a started plugin. Owned by the kernel; valid from start() until
/// stop() returns. All members are thread-safe.
class SP_API PluginContext
{
public:
    virtual ~PluginContext() = default;
    /// A logger named after the plugin id. Never log a secret.
    virtual Poco::Logger& logger() = 0;
    /// Other started plugins, by interface and id.
    virtual Registry& registry() = 0;
    /// The kernel's clock (tests move it).
    virtual Clock& clock() = 0;
    /// The kernel's event bus.
    virtual EventBus& events() = 0;
    /// A folder this plugin may write to (created by the kernel, absolute path).
    virtual std::string dataDir() const = 0;
};

/// The root of every plugin. The kernel creates one instance per loaded library, calls
/// configure() once, start() once (in dependency order), and stop() once (in reverse
/// order) on the kernel's main thread; the instance is destroyed after stop(). A plugin's
/// capability interfaces (UpstreamProvider, ForwardProxy, ...) derive from this class.
class SP_API Plugin
{
public:
    virtual ~Plugin() = default;

    /// The keys this plugin accepts in its configuration section.
    virtual std::vector<ConfigOption> configOptions() const { return {}; }

    /// Receives the plugin's own section (already validated, defaults applied, environment
    /// overrides applied). Throw ConfigError for values that are well-typed but unusable.
    virtual void configure(const Poco::Util::AbstractConfiguration& config) { (void)config; }

    /// Starts work. Throw to refuse; the kernel stops the process with the message.
    virtual void start(PluginContext& context) { (void)context; }

    /// Stops all work and joins every thread the plugin started. Must not throw.
    virtual void stop() {}

    /// Hot reload (SIGHUP, POST /api/config/reload): the plugin's section changed while it
    /// runs. Apply what can change live and return the keys (relative to the section) that
    /// only take effect after a restart; the kernel reports them. Throw ConfigError to
    /// refuse the new section: the old one then stays in force. Called on the kernel's
    /// reload thread, never concurrently with configure/start/stop. Default: nothing can
    /// change live, so every changed key is reported as needing a restart.
    virtual std::vector<std::string> reconfigure(const Poco::Util::AbstractConfiguration& config)
    {
        (void)config;
        return {"*"};
    }

    /// Reopen log files this plugin writes (SIGUSR1, after log rotation). Must not throw.
    virtual void reopenLogs() {}
};

/// Describes a plugin library before it is used. Every plugin exports
/// `extern "C" const steadyproxy::PluginInfo* steadyproxy_plugin_info()` (see
/// STEADYPROXY_PLUGIN); the kernel reads it and refuses a mismatching abi or id.
struct PluginInfo
{
    int abi;                  ///< SP_SDK_ABI_VERSION the plugin was built against
    const char* id;           ///< dotted id used in YAML, e.g. "provider.kiotproxy"; first part = kind
    const char* version;      ///< the plugin's own version, e.g. "1.0.0"
    const char* buildId;      ///< e.g. the build date and compiler
    const char* dependsOn;    ///< comma-separated ids or kinds ("storage", "auth.local"); "" = none
    const char* description;  ///< one line for `steadyproxy plugins`
};

} // namespace steadyproxy

#define SP_PLUGIN_STRINGIFY2(x) #x
#define SP_PLUGIN_STRINGIFY(x) SP_PLUGIN_STRINGIFY2(x)

/// Declares a plugin library. Use once, in one .cpp file of the plugin:
///
///     STEADYPROXY_PLUGIN(MyProvider, "provider.example", "1.0.0", "", "An example provider")
///
/// Exports steadyproxy_plugin_info() and steadyproxy_plugin_create(). The class must be
/// default-constructible and derive from steadyproxy::Plugin.
#define STEADYPROXY_PLUGIN(Class, Id, Version, DependsOn, Description)                         \
    extern "C" SP_API const steadyproxy::PluginInfo* steadyproxy_plugin_info()                 \
    {                                                                                           \
        static const steadyproxy::PluginInfo info{SP_SDK_ABI_VERSION, Id, Version,             \
            __DATE__ " " __TIME__ " gcc-" SP_PLUGIN_STRINGIFY(__GNUC__), DependsOn, Description}; \
        return &info;                                                                           \
    }                                                                                           \
    extern "C" SP_API steadyproxy::Plugin* steadyproxy_plugin_create() { return new Class(); }
