#include <steadyproxy/kernel/Config.h>
#include <steadyproxy/kernel/KernelOptions.h>
#include <Poco/Path.h>

namespace steadyproxy::kernel {

const std::vector<ConfigOption>& kernelOptions()
{
    using T = ConfigOption::Type;
    static const std::vector<ConfigOption> options{
        {"data_dir", T::String, "./data", "folder for the store, the master key and plugin data", 0, 0, {}, "STEADYPROXY_DATA_DIR"},
        {"log.level", T::String, "information", "application log level", 0, 0,
         {"fatal", "critical", "error", "warning", "notice", "information", "debug", "trace"}, "STEADYPROXY_LOG_LEVEL"},
        {"log.format", T::String, "text", "application log format", 0, 0, {"text", "json"}, "STEADYPROXY_LOG_FORMAT"},
        {"log.file", T::String, "", "application log file (reopened on SIGUSR1); empty: standard error", 0, 0, {}, "STEADYPROXY_LOG_FILE"},
        {"shutdown.drain_seconds", T::Integer, "30", "on SIGTERM, how long requests and tunnels may take to finish", 0, 3600},
        {"admin.host", T::String, "127.0.0.1", "address the admin API and web pages listen on", 0, 0, {}, "STEADYPROXY_ADMIN_HOST"},
        {"admin.port", T::Integer, "8000", "port of the admin API and web pages", 1, 65535, {}, "STEADYPROXY_ADMIN_PORT"},
        {"admin.www_dir", T::String, "", "folder of the built web pages; empty: www/dist of the source tree, else the installed copy", 0, 0, {}, "STEADYPROXY_WWW_DIR"},
        {"admin.max_body_bytes", T::Integer, "1048576", "largest request body the API accepts (413 above)", 1024, 104857600},
        {"admin.session_idle_minutes", T::Integer, "60", "a session unused this long ends", 1, 10080},
        {"admin.session_absolute_hours", T::Integer, "12", "a session ends this long after login", 1, 720},
        {"admin.trusted_proxies", T::StringList, "127.0.0.1,::1", "peers whose X-Forwarded-Proto/For are believed (a TLS-terminating router)"},
        {"admin.metrics_allow", T::StringList, "127.0.0.0/8,::1/128", "client addresses (CIDR) that may read /metrics without logging in"},
        {"endpoints.domain", T::String, "localhost", "public base domain: endpoints are proxyN.<domain>, the admin app app.<domain>", 0, 0, {}, "DOMAIN"},
        {"endpoints.proxy_host", T::String, "127.0.0.1", "address routers and health checks use to reach endpoint ports", 0, 0, {}, "STEADYPROXY_PROXY_HOST"},
        {"endpoints.port_start", T::Integer, "9001", "first port handed to endpoints", 1, 65535, {}, "PROXY_PORT_START"},
        {"endpoints.port_end", T::Integer, "9100", "last port handed to endpoints", 1, 65535, {}, "PROXY_PORT_END"},
        {"endpoints.upstream", T::String, "http", "which of the provider's addresses endpoints use", 0, 0, {"http", "socks5"}, "STEADYPROXY_UPSTREAM"},
        {"health.interval_seconds", T::Integer, "30", "seconds between health checks of each endpoint", 5, 86400, {}, "HEALTH_CHECK_INTERVAL"},
        {"bootstrap.admin_username", T::String, "admin", "the first admin account, created when the store has no user", 0, 0, {}, "ADMIN_USERNAME"},
        {"bootstrap.admin_password", T::String, "", "its password; empty: a random one is printed once", 0, 0, {}, "ADMIN_PASSWORD"},
        {"secrets.master_key", T::String, "", "base64 32-byte key encrypting secrets at rest (prefer the environment)", 0, 0, {}, "STEADYPROXY_MASTER_KEY"},
        {"secrets.master_key_file", T::String, "", "file holding the master key; empty: <data_dir>/master.key (created 0600)", 0, 0, {}, "STEADYPROXY_MASTER_KEY_FILE"},
        {"testing.clock_control", T::Boolean, "false", "tests only: POST /api/testing/clock moves the kernel's clock forward", 0, 0, {}, "STEADYPROXY_TESTING_CLOCK"},
        {"plugins.directories", T::StringList, "", "folders searched for <plugin id>.so, before the built-in ones", 0, 0, {}, "STEADYPROXY_PLUGIN_DIRS"},
        {"plugins.load", T::StringList, "", "the plugins to load, by id (or path to a .so)", 0, 0, {}, "", true},
    };
    return options;
}

KernelOptions KernelOptions::from(const Poco::Util::AbstractConfiguration& c)
{
    KernelOptions o;
    o.dataDir = Poco::Path(c.getString("data_dir", "./data")).absolute().toString();
    while (o.dataDir.size() > 1 && o.dataDir.back() == '/') o.dataDir.pop_back();
    o.logLevel = c.getString("log.level", "information");
    o.logFormat = c.getString("log.format", "text");
    o.logFile = c.getString("log.file", "");
    o.drainSeconds = c.getInt("shutdown.drain_seconds", 30);
    o.adminHost = c.getString("admin.host", "127.0.0.1");
    o.adminPort = static_cast<std::uint16_t>(c.getInt("admin.port", 8000));
    o.wwwDir = c.getString("admin.www_dir", "");
    o.maxBodyBytes = c.getInt("admin.max_body_bytes", 1048576);
    o.sessionIdleMinutes = c.getInt("admin.session_idle_minutes", 60);
    o.sessionAbsoluteHours = c.getInt("admin.session_absolute_hours", 12);
    o.trustedProxies = readList(c, "admin.trusted_proxies");
    o.metricsAllow = readList(c, "admin.metrics_allow");
    o.domain = c.getString("endpoints.domain", "localhost");
    o.proxyHost = c.getString("endpoints.proxy_host", "127.0.0.1");
    o.portStart = static_cast<std::uint16_t>(c.getInt("endpoints.port_start", 9001));
    o.portEnd = static_cast<std::uint16_t>(c.getInt("endpoints.port_end", 9100));
    o.upstreamProtocol = c.getString("endpoints.upstream", "http");
    o.healthIntervalSeconds = c.getInt("health.interval_seconds", 30);
    o.adminUsername = c.getString("bootstrap.admin_username", "admin");
    o.adminPassword = c.getString("bootstrap.admin_password", "");
    o.masterKey = c.getString("secrets.master_key", "");
    o.masterKeyFile = c.getString("secrets.master_key_file", "");
    if (o.masterKeyFile.empty()) o.masterKeyFile = o.dataDir + "/master.key";
    o.clockControl = parseBool(c.getString("testing.clock_control", "false"));
    o.pluginDirectories = readList(c, "plugins.directories");
    o.plugins = readList(c, "plugins.load");
    if (o.portStart > o.portEnd)
        throw ConfigError("endpoints.port_start", "must not be above endpoints.port_end (" + std::to_string(o.portStart) +
                                                      " > " + std::to_string(o.portEnd) + ")");
    if (o.adminPort >= o.portStart && o.adminPort <= o.portEnd)
        throw ConfigError("admin.port", std::to_string(o.adminPort) + " lies inside the endpoint port range " +
                                            std::to_string(o.portStart) + "-" + std::to_string(o.portEnd));
    if (o.plugins.empty())
        throw ConfigError("plugins.load", "names no plugin: at least a storage plugin is needed");
    return o;
}

} // namespace steadyproxy::kernel
