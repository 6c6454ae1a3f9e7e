#pragma once
#include "Export.h"
#include "Plugin.h"
#include <string>
#include <vector>

namespace steadyproxy {

/// Started plugins, found by interface and id. Owned by the kernel; thread-safe; the
/// pointers it returns stay valid until the kernel stops the plugins (stop order is the
/// reverse of start order, so a plugin's dependencies outlive it).
class SP_API Registry
{
public:
    virtual ~Registry() = default;
    /// The plugin with this id, or nullptr.
    virtual Plugin* find(const std::string& id) const = 0;
    /// Every started plugin, in start order.
    virtual std::vector<Plugin*> all() const = 0;
    /// The id of a registered plugin instance ("" if unknown).
    virtual std::string idOf(const Plugin* plugin) const = 0;

    /// The plugin with this id if it implements T, else nullptr.
    template <class T> T* find(const std::string& id) const { return dynamic_cast<T*>(find(id)); }

    /// Every started plugin implementing T, in start order.
    template <class T> std::vector<T*> allOf() const
    {
        std::vector<T*> out;
        for (Plugin* p : all())
            if (T* t = dynamic_cast<T*>(p)) out.push_back(t);
        return out;
    }

    /// The first plugin implementing T; throws Error naming `what` if there is none.
    template <class T> T& require(const std::string& what) const
    {
        for (Plugin* p : all())
            if (T* t = dynamic_cast<T*>(p)) return *t;
        throw Error("no " + what + " plugin is loaded: add one to `plugins.load` in the configuration");
    }
};

} // namespace steadyproxy
