#include <steadyproxy/kernel/PluginHost.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <algorithm>
#include <dlfcn.h>
#include <map>
#include <set>

namespace steadyproxy::kernel {

namespace {

/// An entry naming a file rather than an id.
bool isFileEntry(const std::string& entry)
{
    return entry.find('/') != std::string::npos ||
           (entry.size() > 3 && entry.compare(entry.size() - 3, 3, ".so") == 0);
}

} // namespace

const std::vector<std::string>& pluginKinds()
{
    static const std::vector<std::string> kinds{"storage", "auth", "provider", "proxy", "rotation", "health", "router"};
    return kinds;
}

class PluginHost::RegistryImpl : public Registry
{
public:
    explicit RegistryImpl(const std::vector<LoadedPlugin>& plugins): _plugins(plugins) {}
    Plugin* find(const std::string& id) const override
    {
        std::lock_guard<std::mutex> lock(_mutex);
        for (const auto& p : _plugins)
            if (p.id == id && p.started) return p.instance.get();
        return nullptr;
    }
    std::vector<Plugin*> all() const override
    {
        std::lock_guard<std::mutex> lock(_mutex);
        std::vector<Plugin*> out;
        for (const auto& p : _plugins)
            if (p.started) out.push_back(p.instance.get());
        return out;
    }
    std::string idOf(const Plugin* plugin) const override
    {
        std::lock_guard<std::mutex> lock(_mutex);
        for (const auto& p : _plugins)
            if (p.instance.get() == plugin) return p.id;
        return "";
    }
    std::mutex& mutex() const { return _mutex; }
private:
    const std::vector<LoadedPlugin>& _plugins;
    mutable std::mutex _mutex;
};

class PluginHost::Context : public PluginContext
{
public:
    Context(const std::string& id, Registry& registry, Clock& clock, EventBus& events, std::string dataDir):
        _logger(Poco::Logger::get("plugin." + id)), _registry(registry), _clock(clock), _events(events),
        _dataDir(std::move(dataDir)) {}
    Poco::Logger& logger() override { return _logger; }
    Registry& registry() override { return _registry; }
    Clock& clock() override { return _clock; }
    EventBus& events() override { return _events; }
    std::string dataDir() const override { return _dataDir; }
private:
    Poco::Logger& _logger;
    Registry& _registry;
    Clock& _clock;
    EventBus& _events;
    std::string _dataDir;
};

PluginHost::PluginHost(std::vector<std::string> directories):
    _directories(std::move(directories)), _registry(std::make_unique<RegistryImpl>(_plugins)) {}

PluginHost::~PluginHost()
{
    stop();
    // Instances are destroyed here; their libraries stay loaded (never dlclose'd).
    std::lock_guard<std::mutex> lock(_registry->mutex());
    _plugins.clear();
}

Registry& PluginHost::registry() { return *_registry; }

std::string PluginHost::resolve(const std::string& entry) const
{
    if (isFileEntry(entry))
    {
        if (!Poco::File(entry).exists())
            throw Error("plugin file " + entry + " does not exist");
        return Poco::Path(entry).absolute().toString();
    }
    std::string searched;
    for (const auto& dir : _directories)
    {
        Poco::Path candidate(Poco::Path(dir).absolute().makeDirectory(), entry + ".so");
        if (Poco::File(candidate).exists()) return candidate.toString();
        searched += (searched.empty() ? "" : ", ") + dir;
    }
    throw Error("plugin " + entry + " not found: no file " + entry + ".so in " +
                (searched.empty() ? std::string("(no plugin directories configured)") : searched) +
                " (set plugins.directories, or build the plugin)");
}

LoadedPlugin PluginHost::inspect(const std::string& file)
{
    void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        throw Error("cannot load plugin file " + file + ": " + ::dlerror());
    using InfoFn = const PluginInfo* (*)();
    auto infoFn = reinterpret_cast<InfoFn>(::dlsym(handle, "steadyproxy_plugin_info"));
    if (!infoFn)
        throw Error(file + " is not a steadyproxy plugin: it exports no steadyproxy_plugin_info() (use STEADYPROXY_PLUGIN)");
    const PluginInfo* info = infoFn();
    if (!info)
        throw Error(file + ": steadyproxy_plugin_info() returned nothing");
    if (info->abi != SP_SDK_ABI_VERSION)
        throw Error(file + " was built against sdk ABI " + std::to_string(info->abi) + ", but this kernel has ABI " +
                    std::to_string(SP_SDK_ABI_VERSION) + ": rebuild the plugin against the installed sdk");
    LoadedPlugin p;
    p.file = file;
    p.id = info->id ? info->id : "";
    p.version = info->version ? info->version : "";
    p.buildId = info->buildId ? info->buildId : "";
    p.description = info->description ? info->description : "";
    p.kind = p.id.substr(0, p.id.find('.'));
    if (info->dependsOn)
    {
        Poco::StringTokenizer deps(info->dependsOn, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
        p.dependsOn.assign(deps.begin(), deps.end());
    }
    if (p.id.find('.') == std::string::npos ||
        std::find(pluginKinds().begin(), pluginKinds().end(), p.kind) == pluginKinds().end())
    {
        std::string kinds;
        for (const auto& k : pluginKinds()) kinds += (kinds.empty() ? "" : ", ") + k;
        throw Error(file + " declares the id \"" + p.id + "\", which does not start with a known kind (" + kinds + ")");
    }
    return p;
}

void PluginHost::load(const std::vector<std::string>& entries)
{
    for (const auto& entry : entries)
    {
        std::string file = resolve(entry);
        LoadedPlugin p = inspect(file);
        if (!isFileEntry(entry) && p.id != entry)
            throw Error(file + " declares the id \"" + p.id + "\", but it was loaded as \"" + entry +
                        "\": rename the file or fix the id");
        for (const auto& other : _plugins)
            if (other.id == p.id)
                throw Error("duplicate plugin id \"" + p.id + "\": " + other.file + " and " + file +
                            " both declare it; load only one of them");
        void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
        using CreateFn = Plugin* (*)();
        auto create = reinterpret_cast<CreateFn>(::dlsym(handle, "steadyproxy_plugin_create"));
        if (!create)
            throw Error(file + " exports no steadyproxy_plugin_create() (use STEADYPROXY_PLUGIN)");
        try
        {
            p.instance.reset(create());
        }
        catch (const std::exception& e)
        {
            throw Error("plugin " + p.id + " (" + file + ") could not be created: " + e.what());
        }
        if (!p.instance) throw Error("plugin " + p.id + " (" + file + ") created nothing");
        std::lock_guard<std::mutex> lock(_registry->mutex());
        _plugins.push_back(std::move(p));
    }
    order();
}

void PluginHost::order()
{
    // Resolve each dependency (an id, or a kind satisfied by every loaded plugin of it).
    std::map<std::string, std::vector<std::size_t>> needs;
    for (std::size_t i = 0; i < _plugins.size(); ++i)
    {
        for (const auto& dep : _plugins[i].dependsOn)
        {
            bool found = false;
            for (std::size_t j = 0; j < _plugins.size(); ++j)
            {
                if (j == i) continue;
                if (_plugins[j].id == dep || (dep.find('.') == std::string::npos && _plugins[j].kind == dep))
                {
                    needs[_plugins[i].id].push_back(j);
                    found = true;
                }
            }
            if (!found)
                throw Error("plugin " + _plugins[i].id + " needs " +
                            (dep.find('.') == std::string::npos ? "a " + dep + " plugin" : dep) +
                            ", which is not loaded: add it to plugins.load");
        }
    }
    // Stable topological sort: each round takes the first plugin (in configuration order)
    // whose dependencies are all placed.
    std::vector<std::size_t> sequence;
    std::vector<bool> placed(_plugins.size(), false);
    while (sequence.size() < _plugins.size())
    {
        bool progress = false;
        for (std::size_t i = 0; i < _plugins.size() && !progress; ++i)
        {
            if (placed[i]) continue;
            const auto& deps = needs[_plugins[i].id];
            if (std::all_of(deps.begin(), deps.end(), [&](std::size_t j) { return placed[j]; }))
            {
                placed[i] = true;
                sequence.push_back(i);
                progress = true;
            }
        }
        if (!progress)
        {
            std::string cycle;
            for (std::size_t i = 0; i < _plugins.size(); ++i)
                if (!placed[i]) cycle += (cycle.empty() ? "" : ", ") + _plugins[i].id;
            throw Error("plugin dependencies form a cycle among: " + cycle);
        }
    }
    std::vector<LoadedPlugin> sorted;
    for (std::size_t i : sequence) sorted.push_back(std::move(_plugins[i]));
    std::lock_guard<std::mutex> lock(_registry->mutex());
    _plugins = std::move(sorted);
}

void PluginHost::configure(const Poco::Util::AbstractConfiguration& root)
{
    for (auto& p : _plugins)
    {
        Poco::AutoPtr<Poco::Util::AbstractConfiguration> view(
            const_cast<Poco::Util::AbstractConfiguration&>(root).createView("plugins." + p.id));
        try
        {
            p.instance->configure(*view);
        }
        catch (const ConfigError& e)
        {
            // e.what() is "key: message" (just "message" when the plugin gave no key).
            std::string message = e.what();
            if (!e.key().empty() && message.rfind(e.key() + ": ", 0) == 0) message = message.substr(e.key().size() + 2);
            std::string where = "plugins." + p.id + (e.key().empty() ? "" : "." + e.key());
            throw Error("plugin " + p.id + " refused its configuration: " + where + ": " + message);
        }
        catch (const Poco::Exception& e)
        {
            // Poco's what() is only the exception's name ("Not found"); displayText() has the detail.
            throw Error("plugin " + p.id + " refused its configuration: " + e.displayText());
        }
        catch (const std::exception& e)
        {
            throw Error("plugin " + p.id + " refused its configuration: " + e.what());
        }
    }
}

void PluginHost::start(Clock& clock, EventBus& events, const std::string& dataRoot,
                       const std::function<bool(const LoadedPlugin&)>& which)
{
    for (auto& p : _plugins)
    {
        if (which && !which(p)) continue;
        std::string dir = Poco::Path(Poco::Path(dataRoot).absolute().makeDirectory(), p.id).toString();
        Poco::File(dir).createDirectories();
        _contexts.push_back(std::make_unique<Context>(p.id, *_registry, clock, events, dir));
        try
        {
            p.instance->start(*_contexts.back());
        }
        catch (const Poco::Exception& e)
        {
            std::string message = "plugin " + p.id + " failed to start: " + e.displayText();
            stop();
            throw Error(message);
        }
        catch (const std::exception& e)
        {
            std::string message = "plugin " + p.id + " failed to start: " + e.what();
            stop();
            throw Error(message);
        }
        catch (...)
        {
            stop();
            throw Error("plugin " + p.id + " failed to start (unknown exception)");
        }
        std::lock_guard<std::mutex> lock(_registry->mutex());
        p.started = true;
    }
}

void PluginHost::stop()
{
    for (auto it = _plugins.rbegin(); it != _plugins.rend(); ++it)
    {
        if (!it->started) continue;
        try
        {
            it->instance->stop();
        }
        catch (const Poco::Exception& e)
        {
            Poco::Logger::get("kernel").error("plugin " + it->id + " threw while stopping: " + e.displayText());
        }
        catch (const std::exception& e)
        {
            Poco::Logger::get("kernel").error("plugin " + it->id + " threw while stopping: " + e.what());
        }
        catch (...)
        {
            Poco::Logger::get("kernel").error("plugin " + it->id + " threw while stopping");
        }
        std::lock_guard<std::mutex> lock(_registry->mutex());
        it->started = false;
    }
}

} // namespace steadyproxy::kernel
