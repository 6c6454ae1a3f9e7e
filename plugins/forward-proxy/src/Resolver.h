#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <sys/socket.h>

namespace steadyproxy::forward {

/// Addresses for a name, or why there are none.
struct Resolved
{
    std::vector<sockaddr_storage> addresses;
    std::string error;
};

/// Parses an IP literal (IPv4, IPv6 with or without brackets) into `out`; false otherwise.
bool parseIpLiteral(const std::string& host, std::uint16_t port, sockaddr_storage& out);

/// What kind of this-host-only address `a` is ("loopback", "link-local", "unspecified",
/// "multicast", "broadcast"; IPv4-mapped IPv6 judged as IPv4), or nullptr for any other
/// (public or private network) address.
const char* internalAddressKind(const sockaddr_storage& a);

/// Resolves host names with getaddrinfo() on its own thread so that no event loop ever
/// blocks on DNS. The callback runs on the resolver thread (post it to a loop). Thread-safe.
class Resolver
{
public:
    using Callback = std::function<void(Resolved)>;
    Resolver() = default;
    ~Resolver() { stop(); }
    void start();
    /// Stops the thread; queued lookups are dropped (their callbacks never run).
    void stop();
    void resolve(const std::string& host, std::uint16_t port, Callback callback);

private:
    void run();
    struct Job { std::string host; std::uint16_t port; Callback callback; };
    std::mutex _mutex;
    std::condition_variable _cv;
    std::deque<Job> _jobs;
    bool _stopping = false;
    std::thread _thread;
};

} // namespace steadyproxy::forward
