#pragma once
// Test support: load a built plugin module by id and give it a small real context
// (registry, moveable clock, event bus that records events, a temporary data folder).
#include <steadyproxy/sdk/Plugin.h>
#include <steadyproxy/sdk/Registry.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace steadyproxy::test {

/// dlopen()s `<STEADYPROXY_PLUGIN_DIR>/<id>.so` (or `dir/<id>.so`) and creates the plugin.
/// The library stays loaded for the life of the process, as in the kernel.
inline std::unique_ptr<Plugin> loadPlugin(const std::string& id, std::string dir = "")
{
    if (dir.empty())
    {
        const char* env = std::getenv("STEADYPROXY_PLUGIN_DIR");
        if (!env) throw std::runtime_error("STEADYPROXY_PLUGIN_DIR is not set (run the test through ctest)");
        dir = env;
    }
    std::string path = dir + "/" + id + ".so";
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw std::runtime_error("cannot load " + path + ": " + ::dlerror());
    using Create = Plugin* (*)();
    auto create = reinterpret_cast<Create>(::dlsym(handle, "steadyproxy_plugin_create"));
    if (!create) throw std::runtime_error(path + " exports no steadyproxy_plugin_create");
    return std::unique_ptr<Plugin>(create());
}

class ManualClock : public Clock
{
public:
    EpochMs now() const override
    {
        using namespace std::chrono;
        return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() + offset.load();
    }
    std::atomic<EpochMs> offset{0};
};

class RecordingEventBus : public EventBus
{
public:
    std::uint64_t subscribe(Handler h) override { std::lock_guard<std::mutex> l(_m); _handlers[++_next] = std::move(h); return _next; }
    void unsubscribe(std::uint64_t id) override { std::lock_guard<std::mutex> l(_m); _handlers.erase(id); }
    void publish(const Event& e) override
    {
        std::vector<Handler> hs;
        { std::lock_guard<std::mutex> l(_m); events.push_back(e); for (auto& [k, h] : _handlers) hs.push_back(h); }
        for (auto& h : hs) h(e);
    }
    std::vector<Event> snapshot() { std::lock_guard<std::mutex> l(_m); return events; }
private:
    std::mutex _m;
    std::map<std::uint64_t, Handler> _handlers;
    std::uint64_t _next = 0;
    std::vector<Event> events;
};

class SimpleRegistry : public Registry
{
public:
    void add(const std::string& id, Plugin* p) { _ids.push_back(id); _plugins.push_back(p); }
    Plugin* find(const std::string& id) const override
    {
        for (std::size_t i = 0; i < _ids.size(); ++i) if (_ids[i] == id) return _plugins[i];
        return nullptr;
    }
    std::vector<Plugin*> all() const override { return _plugins; }
    std::string idOf(const Plugin* p) const override
    {
        for (std::size_t i = 0; i < _ids.size(); ++i) if (_plugins[i] == p) return _ids[i];
        return "";
    }
private:
    std::vector<std::string> _ids;
    std::vector<Plugin*> _plugins;
};

/// A context with a fresh temporary data folder (removed with the context).
class TestPluginContext : public PluginContext
{
public:
    explicit TestPluginContext(const std::string& name = "test"):
        _logger(Poco::Logger::get(name)), _dir(Poco::TemporaryFile::tempName())
    {
        Poco::File(_dir).createDirectories();
    }
    ~TestPluginContext() override { try { Poco::File(_dir).remove(true); } catch (...) {} }
    Poco::Logger& logger() override { return _logger; }
    Registry& registry() override { return reg; }
    Clock& clock() override { return clk; }
    EventBus& events() override { return bus; }
    std::string dataDir() const override { return _dir; }

    SimpleRegistry reg;
    ManualClock clk;
    RecordingEventBus bus;
private:
    Poco::Logger& _logger;
    std::string _dir;
};

} // namespace steadyproxy::test
