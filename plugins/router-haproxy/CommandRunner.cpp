#include "CommandRunner.h"
#include <steadyproxy/sdk/Errors.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace steadyproxy::router::haproxy {

namespace {

constexpr std::size_t MaxOutput = 16 * 1024;

long long nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void keepTail(std::string& output)
{
    if (output.size() > MaxOutput) output.erase(0, output.size() - MaxOutput);
}

/// Fills `result` from a waitpid() status.
void decode(int status, CommandResult& result)
{
    if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
}

} // namespace

std::string CommandResult::describe(long timeoutMs) const
{
    if (timedOut) return "did not finish within " + std::to_string(timeoutMs) + " ms and was killed";
    if (signal != 0) return "was killed by signal " + std::to_string(signal);
    return "exited with status " + std::to_string(exitCode);
}

std::vector<std::string> splitCommand(const std::string& command)
{
    std::vector<std::string> words;
    std::string word;
    bool inWord = false;
    for (std::size_t i = 0; i < command.size(); ++i)
    {
        char c = command[i];
        if (c == ' ' || c == '\t' || c == '\n')
        {
            if (inWord) words.push_back(word);
            word.clear();
            inWord = false;
        }
        else if (c == '\'')
        {
            std::size_t end = command.find('\'', i + 1);
            if (end == std::string::npos) throw Error("unclosed ' in the command: " + command);
            word += command.substr(i + 1, end - i - 1);
            i = end;
            inWord = true;
        }
        else if (c == '"')
        {
            std::size_t j = i + 1;
            for (; j < command.size() && command[j] != '"'; ++j)
            {
                if (command[j] == '\\' && j + 1 < command.size() &&
                    (command[j + 1] == '"' || command[j + 1] == '\\' || command[j + 1] == '$' || command[j + 1] == '`'))
                    ++j;
                word += command[j];
            }
            if (j >= command.size()) throw Error("unclosed \" in the command: " + command);
            i = j;
            inWord = true;
        }
        else if (c == '\\' && i + 1 < command.size())
        {
            word += command[++i];
            inWord = true;
        }
        else
        {
            word += c;
            inWord = true;
        }
    }
    if (inWord) words.push_back(word);
    return words;
}

std::vector<std::string> substitute(std::vector<std::string> words, const std::string& name, const std::string& value)
{
    const std::string placeholder = "{" + name + "}";
    for (std::string& word : words)
    {
        for (std::size_t at = word.find(placeholder); at != std::string::npos;
             at = word.find(placeholder, at + value.size()))
            word.replace(at, placeholder.size(), value);
    }
    return words;
}

CommandResult runCommand(const std::vector<std::string>& argv, long timeoutMs)
{
    if (argv.empty()) throw Error("empty command");
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) != 0)
        throw Error("cannot create a pipe to run " + argv[0] + ": " + std::strerror(errno));

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 2);
    // Listening sockets and database files of steadyproxy stay out of the child.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    // The child starts with default signal dispositions and an empty mask, whatever the
    // calling thread blocks.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(pipeFds[1]);
    if (rc != 0)
    {
        ::close(pipeFds[0]);
        throw Error("cannot run " + argv[0] + ": " + std::strerror(rc) + " (errno " + std::to_string(rc) +
            "; is it installed and in PATH?)");
    }

    CommandResult result;
    const long long deadline = nowMs() + timeoutMs;
    bool exited = false;
    bool open = true;
    int status = 0;
    char buffer[4096];
    while (!exited)
    {
        long long left = deadline - nowMs();
        if (left <= 0)
        {
            result.timedOut = true;
            ::kill(pid, SIGKILL);
            break;
        }
        if (open)
        {
            pollfd p{pipeFds[0], POLLIN, 0};
            int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 50)));
            if (ready > 0)
            {
                ssize_t n = ::read(pipeFds[0], buffer, sizeof buffer);
                if (n > 0)
                {
                    result.output.append(buffer, static_cast<std::size_t>(n));
                    keepTail(result.output);
                }
                else if (n == 0 || errno != EINTR)
                    open = false;
            }
        }
        else
            ::usleep(20 * 1000);
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) exited = true;
        else if (done < 0 && errno != EINTR)
        {
            int error = errno;
            ::close(pipeFds[0]);
            throw Error("cannot learn how " + argv[0] + " ended: " + std::strerror(error));
        }
    }
    if (result.timedOut)
    {
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    }
    else
    {
        decode(status, result);
        // What the command wrote just before it exited (a child that inherited the pipe
        // and lives on must not hold us: read only what is there now).
        for (;;)
        {
            pollfd p{pipeFds[0], POLLIN, 0};
            if (!open || ::poll(&p, 1, 0) <= 0) break;
            ssize_t n = ::read(pipeFds[0], buffer, sizeof buffer);
            if (n <= 0) break;
            result.output.append(buffer, static_cast<std::size_t>(n));
            keepTail(result.output);
        }
    }
    ::close(pipeFds[0]);
    return result;
}

} // namespace steadyproxy::router::haproxy
