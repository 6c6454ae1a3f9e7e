#pragma once
#include <atomic>
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
    std::string protocol;      ///< "HTTP/1.1", "HTTP/1.0", "SOCKS5" ("" if unknown)
    int status = 0;            ///< HTTP status or SOCKS5 reply code
    std::uint64_t bytesIn = 0; ///< client -> upstream
    std::uint64_t bytesOut = 0;///< upstream -> client
    long long durationMs = 0;
    std::string upstream;      ///< Upstream::describe() (never credentials)
    std::string referer;       ///< the request's Referer header, if any
    std::string userAgent;     ///< the request's User-Agent header, if any
};

/// Appends one line per record to a file: a JSON object (format "json") or Apache's
/// combined format ("combined", the endpoint name in the user field). Thread-safe; a
/// no-op when not opened.
class AccessLog
{
public:
    /// Opens (appends to) `path`; throws std::runtime_error naming the path on failure (the
    /// file open before, if any, stays in use).
    void open(const std::string& path, const std::string& format = "json");
    /// Reopens the file by its name (after a rotation renamed it). Returns "" or what failed.
    std::string reopen();
    bool enabled() const { return _enabled; }
    void write(const AccessRecord& record);
    void close();
    /// The line written for a record, without the newline.
    static std::string format(const AccessRecord& record, bool combined);

private:
    std::mutex _mutex;
    std::ofstream _out;
    std::string _path;
    std::atomic<bool> _enabled{false};
    std::atomic<bool> _combined{false};
};

} // namespace steadyproxy::forward
