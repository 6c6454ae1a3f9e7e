#include "HaproxyReloader.h"
#include "CommandRunner.h"
#include "MasterSocket.h"
#include <steadyproxy/sdk/Errors.h>
#include <Poco/Exception.h>
#include <Poco/FileStream.h>
#include <Poco/String.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

namespace steadyproxy::router::haproxy {

namespace {

long long nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string oneLine(std::string text)
{
    text = Poco::trim(text);
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

} // namespace

HaproxyReloader::HaproxyReloader(ReloadOptions options): _options(std::move(options))
{
}

bool HaproxyReloader::enabled() const
{
    return !_options.command.empty() || !_options.masterSocket.empty() || !_options.pidFile.empty();
}

std::string HaproxyReloader::reload(const std::string& file) const
{
    if (!_options.masterSocket.empty()) return reloadThroughSocket();
    if (!_options.pidFile.empty()) return reloadBySignal();
    if (!_options.command.empty()) return reloadByCommand(file);
    return "no reload configured";
}

std::string HaproxyReloader::reloadThroughSocket() const
{
    MasterSocket socket(_options.masterSocket, _options.timeoutMs);
    const long long deadline = nowMs() + _options.timeoutMs;
    MasterStatus before = socket.status();
    std::string answer = socket.command("reload");
    // HAProxy 2.7 and later answer the reload itself; 2.6 closes the connection.
    if (answer.find("Success=0") != std::string::npos)
        throw Error("HAProxy refused the new configuration and keeps the previous one: " + oneLine(answer));
    if (answer.find("Success=1") != std::string::npos)
        return "reloaded HAProxy through " + _options.masterSocket;

    // The master re-executes itself: wait until it counts the reload, then see whether it failed.
    std::string lastError;
    while (nowMs() < deadline)
    {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        MasterStatus after;
        try
        {
            after = socket.status();
        }
        catch (const Error& e)
        {
            lastError = e.what(); // the master is between two lives: ask again
            continue;
        }
        if (after.reloads <= before.reloads) continue;
        if (after.failed > 0)
            throw Error("HAProxy could not load the new configuration and keeps the previous one "
                "(see HAProxy's log; `show proc` on " + _options.masterSocket + " counts " +
                std::to_string(after.failed) + " failed reload(s))");
        return "reloaded HAProxy through " + _options.masterSocket + " (reload " + std::to_string(after.reloads) + ")";
    }
    throw Error("HAProxy did not report the reload on " + _options.masterSocket + " within " +
        std::to_string(_options.timeoutMs) + " ms" + (lastError.empty() ? "" : " (last: " + lastError + ")"));
}

std::string HaproxyReloader::reloadBySignal() const
{
    std::string text;
    try
    {
        Poco::FileInputStream in(_options.pidFile);
        std::getline(in, text);
    }
    catch (const Poco::Exception& e)
    {
        throw Error("cannot read HAProxy's master pid from " + _options.pidFile + ": " + e.message() +
            " (is HAProxy running with -W -p " + _options.pidFile + "?)");
    }
    text = Poco::trim(text);
    long pid = 0;
    try
    {
        std::size_t used = 0;
        pid = std::stol(text, &used);
        if (used != text.size()) pid = 0;
    }
    catch (...)
    {
        pid = 0;
    }
    if (pid <= 1)
        throw Error("the pid file " + _options.pidFile + " holds '" + text.substr(0, 40) +
            "', not the pid of HAProxy's master process");
    if (::kill(static_cast<pid_t>(pid), SIGUSR2) != 0)
    {
        int error = errno;
        std::string hint = error == ESRCH ? "HAProxy is not running, or the pid file is stale"
            : error == EPERM ? "steadyproxy may not signal HAProxy: run both as one user, or use master_socket"
                             : "";
        throw Error("cannot send SIGUSR2 to HAProxy's master (pid " + std::to_string(pid) + " from " +
            _options.pidFile + "): " + std::strerror(error) + " (errno " + std::to_string(error) +
            (hint.empty() ? "" : "; " + hint) + ")");
    }
    return "sent SIGUSR2 to HAProxy's master (pid " + std::to_string(pid) + ")";
}

std::string HaproxyReloader::reloadByCommand(const std::string& file) const
{
    std::vector<std::string> argv = substitute(_options.command, "file", file);
    CommandResult result = runCommand(argv, _options.timeoutMs);
    if (!result.succeeded())
        throw Error("the reload command '" + Poco::cat(std::string(" "), argv.begin(), argv.end()) + "' " +
            result.describe(_options.timeoutMs) + (result.output.empty() ? "" : ": " + oneLine(result.output)));
    return "ran the reload command " + argv[0];
}

} // namespace steadyproxy::router::haproxy
