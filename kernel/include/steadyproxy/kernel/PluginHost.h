#pragma once
#include <steadyproxy/sdk/Plugin.h>
#include <steadyproxy/sdk/Registry.h>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace steadyproxy::kernel {

/// The plugin kinds the kernel knows; a plugin id starts with one of them ("provider.x").
const std::vector<std::string>& pluginKinds();

/// One loaded plugin library and its instance.
struct LoadedPlugin
{
    std::string id;
    std::string kind;
    std::string version;
    std::string buildId;
    std::string description;
    std::string file;                    ///< absolute path of the .so
    std::vector<std::string> dependsOn;  ///< ids or kinds
    std::unique_ptr<Plugin> instance;
    bool started = false;
};

/// Loads plugin libraries, checks them, and runs their lifecycle:
/// load (read PluginInfo, check ABI and id, create) -> configure -> start in dependency
/// order -> stop in reverse. Libraries are never unloaded while the process runs.
/// Not thread-safe: used from the main thread; the registry it offers is thread-safe
/// once start() returned.
class PluginHost
{
public:
    /// `directories` are searched in order for `<id>.so`.
    explicit PluginHost(std::vector<std::string> directories);
    ~PluginHost();

    /// Loads each entry: a plugin id (found as `<id>.so` in the directories) or a path to
    /// a .so file. Throws Error with a clear message for a missing file, a library that
    /// cannot be opened, a wrong ABI, an id mismatch, a duplicate id, an unknown kind, a
    /// missing dependency or a dependency cycle. Afterwards plugins() is in start order.
    void load(const std::vector<std::string>& entries);

    /// Calls configure() on every plugin with its section `plugins.<id>` of `root`.
    /// Throws Error naming the plugin when one refuses.
    void configure(const Poco::Util::AbstractConfiguration& root);

    /// Starts every plugin in order with its own context. If one throws, those already
    /// started are stopped in reverse and Error("plugin X failed to start: ...") is thrown.
    /// `which` limits the plugins started (CLI commands start only what they need).
    void start(Clock& clock, EventBus& events, const std::string& dataRoot,
               const std::function<bool(const LoadedPlugin&)>& which = {});

    /// Stops started plugins in reverse order; exceptions are logged, never thrown.
    void stop();

    const std::vector<LoadedPlugin>& plugins() const { return _plugins; }
    Registry& registry();

    /// Reads a library's PluginInfo without creating the plugin (for `steadyproxy plugins`).
    static LoadedPlugin inspect(const std::string& file);

private:
    std::string resolve(const std::string& entry) const;
    void order();

    class RegistryImpl;
    class Context;
    std::vector<std::string> _directories;
    std::vector<LoadedPlugin> _plugins;
    std::unique_ptr<RegistryImpl> _registry;
    std::vector<std::unique_ptr<Context>> _contexts;
};

} // namespace steadyproxy::kernel
