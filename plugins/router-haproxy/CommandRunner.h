#pragma once
#include <string>
#include <vector>

namespace steadyproxy::router::haproxy {

/// What a finished command did.
struct CommandResult
{
    int exitCode = -1;     ///< exit status when it exited, else -1
    int signal = 0;        ///< the signal that ended it, else 0
    bool timedOut = false; ///< it was killed at the deadline
    std::string output;    ///< stdout and stderr interleaved, at most 16 KiB (the end is kept)

    bool succeeded() const { return exitCode == 0 && !timedOut; }
    /// "exited with status 1", "was killed by signal 9", "did not finish within 5000 ms".
    std::string describe(long timeoutMs) const;
};

/// Splits a command line into words the way a POSIX shell does for plain words: blanks
/// separate, '...' keeps everything literally, "..." and a backslash protect blanks and
/// quotes. No variables, globs or pipes: the command is run without a shell (write
/// `sh -c '...'` to have one). Throws steadyproxy::Error for an unclosed quote.
std::vector<std::string> splitCommand(const std::string& command);

/// Replaces every `{name}` in each word by the value given for it.
std::vector<std::string> substitute(std::vector<std::string> words, const std::string& name, const std::string& value);

/// Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null, no inherited
/// descriptors beyond 0-2, and the process environment; waits at most timeoutMs, then
/// kills it. Returns once the command has exited (its own children may outlive it).
/// Throws steadyproxy::Error when it cannot be started, naming the program and errno.
/// Thread-safe.
CommandResult runCommand(const std::vector<std::string>& argv, long timeoutMs);

} // namespace steadyproxy::router::haproxy
