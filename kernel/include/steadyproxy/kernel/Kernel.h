#pragma once
#include <steadyproxy/kernel/Clocks.h>
#include <steadyproxy/kernel/Config.h>
#include <steadyproxy/kernel/EventHub.h>
#include <steadyproxy/kernel/KernelOptions.h>
#include <steadyproxy/kernel/KeyService.h>
#include <steadyproxy/kernel/Metrics.h>
#include <steadyproxy/kernel/PluginHost.h>
#include <steadyproxy/kernel/Scheduler.h>
#include <steadyproxy/kernel/SecretBox.h>
#include <steadyproxy/sdk/Auth.h>
#include <steadyproxy/sdk/Storage.h>
#include <functional>
#include <mutex>
#include <memory>
#include <string>

namespace steadyproxy::kernel {

/// What a hot reload did.
struct ReloadReport
{
    bool ok = false;                          ///< false: refused, the old configuration stays
    std::string error;                        ///< why it was refused
    std::vector<std::string> applied;         ///< changed keys now in force
    std::vector<std::string> restartRequired; ///< changed keys that need a restart
    std::vector<std::string> notes;           ///< other remarks for a person
};


/// Everything a running steadyproxy holds, wired in order: configuration -> plugins ->
/// secrets -> key service. Used by `serve` (online) and by CLI commands (offline: only
/// storage, auth, provider and router plugins are started; no port is bound, nothing is
/// written to routers).
class Kernel
{
public:
    /// Loads and validates the configuration and loads (but does not start) the plugins.
    /// Throws ConfigError/Error with a message naming file, line and key.
    explicit Kernel(const std::string& configPath);
    /// The same from an already parsed configuration (e.g. the embedded defaults).
    /// `validatePlugins` false loads the plugins without checking or configuring their
    /// sections (`config options` lists what they accept).
    explicit Kernel(Config config, bool validatePlugins = true);
    ~Kernel();

    /// Starts plugins (all when online, else storage/auth/provider), the secret box and the
    /// key service; online also starts the scheduler and serves endpoints.
    void start(bool online);
    void stop();

    const KernelOptions& options() const { return _options; }
    const Config& config() const { return *_config; }
    PluginHost& plugins() { return *_host; }
    Registry& registry() { return _host->registry(); }
    Storage& storage() { return registry().require<Storage>("storage"); }
    AuthService& auth() { return registry().require<AuthService>("auth"); }
    KeyService& keys() { return *_keys; }
    SecretBox& secrets() { return *_secrets; }
    OffsetClock& clock() { return _clock; }
    EventHub& events() { return _events; }
    Scheduler& scheduler() { return *_scheduler; }
    Metrics& metrics() { return _metrics; }

    /// Re-reads the configuration file and applies what can change live (logging, health
    /// interval, drain bound, and each plugin's own live options); reports what needs a
    /// restart. An invalid file is refused and the old configuration stays. Thread-safe.
    ReloadReport reload();

    /// Reopens log files (application log and plugins'), after log rotation.
    void reopenLogs();

    /// When the store has no user: creates the first admin from the bootstrap options, or
    /// with a random password that is returned (to be shown once). Returns "" otherwise.
    std::string ensureFirstAdmin();

private:
    std::unique_ptr<Config> _config;
    KernelOptions _options;
    std::unique_ptr<PluginHost> _host;
    OffsetClock _clock;
    EventHub _events{_clock};
    Metrics _metrics;
    std::unique_ptr<Scheduler> _scheduler;
    std::unique_ptr<SecretBox> _secrets;
    std::unique_ptr<KeyService> _keys;
    bool _started = false;
    std::mutex _reloadMutex;
};

/// Builds the full schema (kernel + each loaded plugin's section).
ConfigSchema buildSchema(const PluginHost& host);

/// Searches `directories`, then the build tree's and the installed plugin folders.
std::vector<std::string> pluginSearchPath(const std::vector<std::string>& directories);

} // namespace steadyproxy::kernel
