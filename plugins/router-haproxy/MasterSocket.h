#pragma once
#include <string>

namespace steadyproxy::router::haproxy {

/// The numbers `show proc` on HAProxy's master CLI gives for the master process.
struct MasterStatus
{
    long reloads = -1; ///< reloads since the master started
    long failed = -1;  ///< failed reloads since the last successful one
};

/// A client for HAProxy's master CLI (`haproxy -W -S <path>`), a Unix socket. Each call
/// opens a connection, sends one command, half-closes and reads the answer until HAProxy
/// closes it or the timeout passes. Throws steadyproxy::Error naming the socket and errno.
/// Stateless; thread-safe.
class MasterSocket
{
public:
    MasterSocket(std::string path, long timeoutMs);

    /// Sends `command` (without newline) and returns the answer.
    std::string command(const std::string& command) const;
    /// `show proc`, parsed. Throws Error when the answer has no master line.
    MasterStatus status() const;

    /// Parses the answer of `show proc` (HAProxy 2.6: "<pid> master <reloads> [failed: <n>] ...").
    static MasterStatus parseShowProc(const std::string& answer);

    const std::string& path() const { return _path; }

private:
    std::string _path;
    long _timeoutMs;
};

} // namespace steadyproxy::router::haproxy
