#include "HaproxyRouterWriter.h"
#include "CommandRunner.h"
#include <steadyproxy/sdk/AtomicFile.h>
#include <Poco/Path.h>
#include <Poco/String.h>
#include <regex>

namespace steadyproxy::router::haproxy {

namespace {

const std::string Section = "plugins.router.haproxy.";

bool hasControl(const std::string& s)
{
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

/// HAProxy's time format: a number with an optional unit.
bool isDuration(const std::string& s)
{
    static const std::regex pattern("[0-9]{1,9}(us|ms|s|m|h|d)?");
    return std::regex_match(s, pattern);
}

std::string oneLine(std::string text)
{
    text = Poco::trim(text);
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

std::vector<std::string> commandOption(const Poco::Util::AbstractConfiguration& config, const std::string& key)
{
    std::string text = Poco::trim(config.getString(key, ""));
    if (text.empty()) return {};
    try
    {
        return splitCommand(text);
    }
    catch (const Error& e)
    {
        throw ConfigError(Section + key, e.what());
    }
}

} // namespace

std::vector<ConfigOption> HaproxyRouterWriter::configOptions() const
{
    return {
        ConfigOption::string("directory", "./data/haproxy", "Directory the HAProxy configuration is written to (created if missing)"),
        ConfigOption::string("file_name", "haproxy.cfg",
            "Name of the file written there; must end in .cfg (HAProxy reads only those from a directory given to -f)"),
        ConfigOption::string("bind_address", ":443",
            "Where HAProxy accepts TLS for proxyN.<DOMAIN> and app.<DOMAIN>: [address]:port, several comma-separated"),
        ConfigOption::string("certificate", "/etc/haproxy/certs/steadyproxy.pem",
            "Absolute path (as HAProxy sees it) of a PEM with the certificate chain and key for *.<DOMAIN>, or a directory of such PEMs"),
        ConfigOption::string("bind_options", "",
            "Extra words for the bind line, e.g. 'accept-proxy' behind a load balancer, or 'ssl-min-ver TLSv1.3'"),
        ConfigOption::boolean("proxy_protocol", false,
            "Send PROXY protocol v2 (send-proxy-v2) to the endpoints so they see the client's real address"),
        ConfigOption::boolean("global_section", true,
            "Start the file with a global section; false when HAProxy loads it after your own haproxy.cfg (-f haproxy.cfg -f this file)"),
        ConfigOption::string("idle_timeout", "1h",
            "HAProxy time (e.g. 30m, 1h): a tunnel with no traffic either way for this long is closed"),
        ConfigOption::string("hard_stop_after", "",
            "HAProxy time: after a reload, old workers close tunnels still open this long; empty = they wait for the last one"),
        ConfigOption::string("check_command", "",
            "Run before installing a new file, {file} = the new file, e.g. 'haproxy -c -q -f {file}'; a failure keeps the previous file; empty = no check"),
        ConfigOption::string("reload_command", "",
            "Run after installing the file, {file} = the installed file, e.g. 'systemctl reload haproxy'; no shell; empty = none"),
        ConfigOption::string("master_socket", "",
            "HAProxy's master CLI socket (haproxy -W -S <path>): reload through it and wait until HAProxy reports success"),
        ConfigOption::string("pid_file", "",
            "HAProxy's pid file (haproxy -W -p <path>): reload by sending SIGUSR2 to the master process"),
        ConfigOption::integer("reload_timeout_ms", 10000, 100, 600000,
            "How long check_command, reload_command or a reload through master_socket may take"),
    };
}

void HaproxyRouterWriter::configure(const Poco::Util::AbstractConfiguration& config)
{
    std::string directory = config.getString("directory", "./data/haproxy");
    while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
    if (directory.empty()) throw ConfigError(Section + "directory", "is empty: name the directory to write the HAProxy configuration to");

    std::string fileName = config.getString("file_name", "haproxy.cfg");
    if (fileName.empty() || fileName.find('/') != std::string::npos || fileName.front() == '.' ||
        !Poco::endsWith(fileName, std::string(".cfg")) || fileName.size() < 5)
        throw ConfigError(Section + "file_name", "'" + fileName +
            "' must be a plain file name ending in .cfg (HAProxy reads only those from a directory), e.g. haproxy.cfg");

    HaproxyOptions options;
    options.bindAddress = Poco::trim(config.getString("bind_address", ":443"));
    static const std::regex bindPattern("[A-Za-z0-9._:@/*,\\[\\]-]+");
    if (!std::regex_match(options.bindAddress, bindPattern) || options.bindAddress.find(':') == std::string::npos)
        throw ConfigError(Section + "bind_address", "'" + options.bindAddress +
            "' is not an HAProxy bind address: write [address]:port, e.g. :443 or 203.0.113.7:443 or [::]:443");

    options.certificate = Poco::trim(config.getString("certificate", "/etc/haproxy/certs/steadyproxy.pem"));
    if (options.certificate.empty() || options.certificate.front() != '/' || hasControl(options.certificate) ||
        options.certificate.find('\'') != std::string::npos)
        throw ConfigError(Section + "certificate", "'" + options.certificate +
            "' must be an absolute path without quotes (HAProxy resolves a relative one from its own working "
            "directory), e.g. /etc/haproxy/certs/steadyproxy.pem");

    options.bindOptions = Poco::trim(config.getString("bind_options", ""));
    if (hasControl(options.bindOptions) || options.bindOptions.find('#') != std::string::npos)
        throw ConfigError(Section + "bind_options", "must be one line of bind keywords, without '#'");

    options.proxyProtocol = config.getBool("proxy_protocol", false);
    options.globalSection = config.getBool("global_section", true);
    options.idleTimeout = Poco::trim(config.getString("idle_timeout", "1h"));
    if (!isDuration(options.idleTimeout) || options.idleTimeout == "0")
        throw ConfigError(Section + "idle_timeout", "'" + options.idleTimeout + "' is not an HAProxy time such as 30m or 1h");
    options.hardStopAfter = Poco::trim(config.getString("hard_stop_after", ""));
    if (!options.hardStopAfter.empty() && !isDuration(options.hardStopAfter))
        throw ConfigError(Section + "hard_stop_after", "'" + options.hardStopAfter + "' is not an HAProxy time such as 30m or 1h");
    if (!options.hardStopAfter.empty() && !options.globalSection)
        throw ConfigError(Section + "hard_stop_after", "is a global setting, and global_section is false: put "
            "`hard-stop-after " + options.hardStopAfter + "` in the global section of your own haproxy.cfg instead");

    ReloadOptions reload;
    reload.command = commandOption(config, "reload_command");
    reload.masterSocket = Poco::trim(config.getString("master_socket", ""));
    reload.pidFile = Poco::trim(config.getString("pid_file", ""));
    reload.timeoutMs = config.getInt("reload_timeout_ms", 10000);
    if (reload.timeoutMs < 100 || reload.timeoutMs > 600000)
        throw ConfigError(Section + "reload_timeout_ms", "is " + std::to_string(reload.timeoutMs) + "; use 100 to 600000");
    int ways = !reload.command.empty() + !reload.masterSocket.empty() + !reload.pidFile.empty();
    if (ways > 1)
        throw ConfigError(Section + "reload_command", "reload_command, master_socket and pid_file are three ways to "
            "reload HAProxy: set only one of them");

    std::vector<std::string> checkCommand = commandOption(config, "check_command");

    _directory = directory;
    _fileName = fileName;
    _renderer = HaproxyConfigRenderer(options);
    _reloader = HaproxyReloader(reload);
    _checkCommand = checkCommand;
    _timeoutMs = reload.timeoutMs;
}

void HaproxyRouterWriter::start(PluginContext& context)
{
    _logger = &context.logger();
}

void HaproxyRouterWriter::stop()
{
    _logger = nullptr;
}

void HaproxyRouterWriter::log(const std::string& message)
{
    if (_logger) _logger->information(message);
}

std::string HaproxyRouterWriter::render(const RouterSnapshot& snapshot) const
{
    return _renderer.render(snapshot);
}

void HaproxyRouterWriter::check(const std::string& temporary) const
{
    std::vector<std::string> argv = substitute(_checkCommand, "file", temporary);
    CommandResult result;
    try
    {
        result = runCommand(argv, _timeoutMs);
    }
    catch (const Error& e)
    {
        throw Error("router.haproxy: could not check the new configuration: " + std::string(e.what()) +
            "; the previous configuration was left in place at " + path());
    }
    if (!result.succeeded())
        throw Error("router.haproxy: HAProxy rejected the new configuration (check_command '" +
            Poco::cat(std::string(" "), argv.begin(), argv.end()) + "' " + result.describe(_timeoutMs) +
            (result.output.empty() ? "" : ": " + oneLine(result.output)) +
            "); the previous configuration was left in place at " + path());
}

void HaproxyRouterWriter::write(const RouterSnapshot& snapshot)
{
    std::string text = render(snapshot);
    std::lock_guard<std::mutex> lock(_writeMutex);
    if (!_reloadPending && fileHolds(path(), text)) return; // unchanged: spare HAProxy a reload

    AtomicFile file(_directory, _fileName, "router.haproxy");
    file.write(text);
    if (!_checkCommand.empty()) check(file.temporaryPath());
    try
    {
        file.commit();
    }
    catch (...)
    {
        _reloadPending = true; // the rename may have happened before the directory flush failed
        throw;
    }

    if (!_reloader.enabled())
    {
        _reloadPending = false;
        return;
    }
    try
    {
        std::string how = _reloader.reload(path());
        _reloadPending = false;
        log("installed " + path() + " (" + std::to_string(snapshot.routes.size()) + " endpoints); " + how);
    }
    catch (const std::exception& e)
    {
        _reloadPending = true;
        throw Error("router.haproxy: installed " + path() + ", but HAProxy was not reloaded: " + e.what() +
            ". HAProxy keeps serving its previous configuration; the next change retries the reload");
    }
}

} // namespace steadyproxy::router::haproxy

STEADYPROXY_PLUGIN(steadyproxy::router::haproxy::HaproxyRouterWriter, "router.haproxy", "1.0.0", "",
    "Publishes endpoints through HAProxy: TLS terminated, proxyN.<DOMAIN> chosen by SNI, graceful reloads")
