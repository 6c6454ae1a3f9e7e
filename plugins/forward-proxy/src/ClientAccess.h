#pragma once
#include <cstddef>
#include <cstdint>
#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>
#include <netinet/in.h>
#include <sys/socket.h>

namespace steadyproxy::forward {

/// One IPv4 or IPv6 network ("10.0.0.0/8", "2001:db8::/32", a bare address = /32 or /128).
struct Cidr
{
    int family = 0;
    unsigned char addr[16] = {};
    int bits = 0;

    /// Throws std::invalid_argument naming the text when it is not a CIDR.
    static Cidr parse(const std::string& text);
    bool contains(const sockaddr_storage& peer) const;
    /// "10.0.0.0/8", "2001:db8::/32".
    std::string text() const;
};

/// True when `allow` is empty or one network contains the peer (IPv4-mapped IPv6 peers are
/// matched as IPv4).
bool isAllowed(const std::vector<Cidr>& allow, const sockaddr_storage& peer);

/// The peer's address as text ("127.0.0.1", "::1").
std::string addressText(const sockaddr_storage& peer);

/// Remembers failed authentications per client address and says how long to hold back
/// the answer to the next failure. Bounded memory (at most `capacity` addresses; the table
/// is cleared of stale entries, then entirely, when full). Thread-safe.
class AuthThrottle
{
public:
    explicit AuthThrottle(std::size_t capacity = 4096): _capacity(capacity) {}
    /// Records a failure at `nowMs`; returns the delay in ms for answering it.
    long long fail(const std::string& address, long long nowMs);
    /// Forgets the address after a success.
    void succeed(const std::string& address);

private:
    struct Entry { int failures = 0; long long last = 0; };
    std::mutex _mutex;
    std::unordered_map<std::string, Entry> _entries;
    std::atomic<std::size_t> _count{0}; ///< _entries.size(), readable without the lock
    std::size_t _capacity;
};

} // namespace steadyproxy::forward
