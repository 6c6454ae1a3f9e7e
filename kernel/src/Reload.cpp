#include <steadyproxy/kernel/Cli.h>
#include <steadyproxy/kernel/Kernel.h>
#include <Poco/Logger.h>
#include <Poco/File.h>
#include <algorithm>
#include <set>

namespace steadyproxy::kernel {

namespace {

/// Kernel keys that apply without a restart.
bool liveKernelKey(const std::string& key)
{
    static const std::set<std::string> live{"log.level", "log.format", "log.file", "health.interval_seconds",
                                            "shutdown.drain_seconds"};
    return live.count(key) > 0;
}

std::string valueOf(const Config& c, const std::string& key)
{
    return c.has(key) ? c.values().getString(key) : std::string();
}

std::string join(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out.empty() ? "nothing" : out;
}

} // namespace

ReloadReport Kernel::reload()
{
    std::lock_guard<std::mutex> lock(_reloadMutex);
    Poco::Logger& log = Poco::Logger::get("kernel");
    ReloadReport report;
    // keys added or removed by the CLI while this server runs (whatever the file says)
    if (_keys)
    {
        try
        {
            report.notes = _keys->syncWithStore();
        }
        catch (const std::exception& e)
        {
            log.error(std::string("could not compare the served keys with the store: ") + e.what());
        }
    }
    const std::string path = _config->source();
    if (!Poco::File(path).exists())
    {
        report.error = "the server was started from " + path + ", which is not a file: there is nothing to re-read";
        return report;
    }
    std::unique_ptr<Config> fresh;
    try
    {
        fresh = std::make_unique<Config>(Config::load(path));
        auto problems = buildSchema(*_host).validate(*fresh);
        if (!problems.empty())
        {
            for (const auto& p : problems) report.error += (report.error.empty() ? "" : "\n") + p.toString();
            throw ConfigError("", report.error);
        }
        KernelOptions::from(fresh->values());
    }
    catch (const std::exception& e)
    {
        report.error = e.what();
        log.warning("configuration reload refused, the old configuration stays: " + report.error);
        return report;
    }

    std::set<std::string> keys;
    for (const auto& k : _config->keys()) keys.insert(k);
    for (const auto& k : fresh->keys()) keys.insert(k);
    std::vector<std::string> changed;
    for (const auto& k : keys)
        if (valueOf(*_config, k) != valueOf(*fresh, k)) changed.push_back(k);

    // Each plugin whose section changed is offered its new section.
    for (auto& p : _host->plugins())
    {
        std::string prefix = "plugins." + p.id + ".";
        std::vector<std::string> mine;
        for (const auto& k : changed)
            if (k.compare(0, prefix.size(), prefix) == 0) mine.push_back(k);
        if (mine.empty()) continue;
        Poco::AutoPtr<Poco::Util::AbstractConfiguration> view(
            const_cast<Poco::Util::AbstractConfiguration&>(fresh->values()).createView("plugins." + p.id));
        std::vector<std::string> needRestart;
        try
        {
            needRestart = p.started ? p.instance->reconfigure(*view) : std::vector<std::string>{"*"};
        }
        catch (const std::exception& e)
        {
            report.error = "plugin " + p.id + " refused its new section: " + e.what();
            report.notes.push_back("plugins reconfigured before " + p.id + " keep their new values");
            log.warning("configuration reload stopped: " + report.error);
            return report;
        }
        for (const auto& k : mine)
        {
            std::string rel = k.substr(prefix.size());
            std::string base = rel.substr(0, rel.find('['));
            bool restart = std::find(needRestart.begin(), needRestart.end(), "*") != needRestart.end() ||
                           std::find(needRestart.begin(), needRestart.end(), base) != needRestart.end();
            (restart ? report.restartRequired : report.applied).push_back(k);
        }
    }

    // The kernel's own keys.
    KernelOptions next = KernelOptions::from(fresh->values());
    for (const auto& k : changed)
    {
        if (k.rfind("plugins.", 0) == 0 && k.rfind("plugins.load", 0) != 0 && k.rfind("plugins.directories", 0) != 0)
            continue;
        if (!liveKernelKey(k))
        {
            report.restartRequired.push_back(k);
            continue;
        }
        report.applied.push_back(k);
    }
    configureLogging(next.logLevel, next.logFormat, next.logFile);
    _options.logLevel = next.logLevel;
    _options.logFormat = next.logFormat;
    _options.logFile = next.logFile;
    _options.drainSeconds = next.drainSeconds;
    if (next.healthIntervalSeconds != _options.healthIntervalSeconds)
    {
        _options.healthIntervalSeconds = next.healthIntervalSeconds;
        if (_keys && !_keys->seedHealthInterval(next.healthIntervalSeconds))
            report.notes.push_back("health.interval_seconds: the interval saved through the API (PUT /api/settings) stays in force");
    }
    _config = std::move(fresh);
    report.ok = true;
    log.information("configuration reloaded from " + path + ": applied " + join(report.applied) +
                    "; needs a restart: " + join(report.restartRequired));
    return report;
}

void Kernel::reopenLogs()
{
    reopenLogFile();
    for (auto& p : _host->plugins())
        if (p.started) p.instance->reopenLogs();
    Poco::Logger::get("kernel").information("log files reopened");
}

} // namespace steadyproxy::kernel
