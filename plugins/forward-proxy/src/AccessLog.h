#pragma once
#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>

namespace steadyproxy::forward {

/// One finished request or tunnel.
struct AccessRecord
{
    long long time = 0;        ///< epoch ms when it started
    std::string endpoint;      ///< endpoint name ("" if none was identified)
    std::string client;        ///< client address
    std::string method;        ///< HTTP method, "CONNECT" or "SOCKS5"
    std::string target;        ///< host:port or absolute URL
    int status = 0;            ///< HTTP status or SOCKS5 reply code
    std::uint64_t bytesIn = 0; ///< client -> upstream
    std::uint64_t bytesOut = 0;///< upstream -> client
    long long durationMs = 0;
    std::string upstream;      ///< Upstream::describe() (never credentials)
};

/// Appends one JSON object per line to a file. Thread-safe; a no-op when not opened.
class AccessLog
{
public:
    /// Opens (appends to) `path`; throws std::runtime_error naming the path on failure.
    void open(const std::string& path);
    bool enabled() const { return _enabled; }
    void write(const AccessRecord& record);
    void close();

private:
    std::mutex _mutex;
    std::ofstream _out;
    bool _enabled = false;
};

} // namespace steadyproxy::forward
