#include <steadyproxy/kernel/Kernel.h>
#include <Poco/File.h>
#include <Poco/Logger.h>
#include <algorithm>

namespace steadyproxy::kernel {

std::vector<std::string> pluginSearchPath(const std::vector<std::string>& directories)
{
    std::vector<std::string> out = directories;
    for (const char* dir : {STEADYPROXY_BUILD_PLUGIN_DIR, STEADYPROXY_DEFAULT_PLUGIN_DIR})
        if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
    return out;
}

ConfigSchema buildSchema(const PluginHost& host)
{
    ConfigSchema schema;
    schema.addSection("", kernelOptions());
    for (const auto& p : host.plugins()) schema.addSection("plugins." + p.id, p.instance->configOptions());
    return schema;
}

namespace {

/// Reads the configuration and the plugin list (first pass: kernel keys only, so that
/// plugin sections can be checked once the plugins are loaded).
std::unique_ptr<Config> readConfig(Config loaded, KernelOptions& options)
{
    auto config = std::make_unique<Config>(std::move(loaded));
    ConfigSchema kernelOnly;
    kernelOnly.addSection("", kernelOptions());
    // Plugin sections are checked once the plugins are loaded; report the rest now.
    std::string text;
    for (const auto& p : kernelOnly.validate(*config))
    {
        bool pluginSection = p.key.rfind("plugins.", 0) == 0 && p.key.rfind("plugins.load", 0) != 0 &&
                             p.key.rfind("plugins.directories", 0) != 0;
        if (!pluginSection) text += (text.empty() ? "" : "\n") + p.toString();
    }
    if (!text.empty()) throw ConfigError("", text);
    try
    {
        options = KernelOptions::from(config->values());
    }
    catch (const ConfigError& e)
    {
        throw ConfigError("", config->where(e.key()) + ": " + e.what());
    }
    return config;
}

} // namespace

Kernel::Kernel(const std::string& configPath): Kernel(Config::load(configPath)) {}

Kernel::Kernel(Config config, bool validatePlugins)
{
    _config = readConfig(std::move(config), _options);
    _host = std::make_unique<PluginHost>(pluginSearchPath(_options.pluginDirectories));
    _host->load(_options.plugins);
    if (!validatePlugins) return;
    ConfigSchema schema = buildSchema(*_host);
    auto problems = schema.validate(*_config);
    if (!problems.empty())
    {
        std::string text;
        for (const auto& p : problems) text += (text.empty() ? "" : "\n") + p.toString();
        throw ConfigError("", text);
    }
    _options = KernelOptions::from(_config->values());
    _host->configure(_config->values());
}

Kernel::~Kernel() { stop(); }

void Kernel::start(bool online)
{
    Poco::File(_options.dataDir).createDirectories();
    _secrets = std::make_unique<SecretBox>(_options.masterKey, _options.masterKeyFile);
    if (online)
        _host->start(_clock, _events, _options.dataDir + "/plugins");
    else
        _host->start(_clock, _events, _options.dataDir + "/plugins", [](const LoadedPlugin& p) {
            return p.kind == "storage" || p.kind == "auth" || p.kind == "provider" || p.kind == "router";
        });
    _host->registry().require<Storage>("storage");
    if (online)
    {
        _scheduler = std::make_unique<Scheduler>(_clock, 4);
        _clock.onAdvance([this] { _scheduler->wake(); });
        _scheduler->start();
    }
    _keys = std::make_unique<KeyService>(_options, _host->registry(), *_secrets, _clock, _events, _scheduler.get(), online);
    _keys->setMetrics(&_metrics);
    _keys->start();
    _started = true;
}

void Kernel::stop()
{
    if (!_started) return;
    _started = false;
    if (_keys) _keys->stop();
    if (_scheduler) _scheduler->stop();
    _host->stop();
    _keys.reset();
}

std::string Kernel::ensureFirstAdmin()
{
    Storage& store = storage();
    if (store.countUsers() > 0) return "";
    std::string password = _options.adminPassword;
    bool generated = password.empty();
    if (generated) password = SecretBox::randomToken(15);
    User user;
    user.username = _options.adminUsername;
    user.role = "admin";
    user.passwordHash = auth().hashPassword(password);
    user.createdAt = _clock.now();
    store.addUser(user);
    Poco::Logger::get("kernel").information("created the first admin account \"" + user.username + "\"" +
                                           (generated ? " with a generated password" : " from ADMIN_PASSWORD"));
    return generated ? password : "";
}

} // namespace steadyproxy::kernel
