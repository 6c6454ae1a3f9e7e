#include "ClientAccess.h"
#include <arpa/inet.h>
#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace steadyproxy::forward {

Cidr Cidr::parse(const std::string& text)
{
    Cidr c;
    std::string addr = text;
    int bits = -1;
    std::size_t slash = text.find('/');
    if (slash != std::string::npos)
    {
        addr = text.substr(0, slash);
        std::string b = text.substr(slash + 1);
        if (b.empty() || b.size() > 3 || b.find_first_not_of("0123456789") != std::string::npos)
            throw std::invalid_argument("invalid prefix length in allow-list entry '" + text + "'");
        bits = std::stoi(b);
    }
    if (::inet_pton(AF_INET, addr.c_str(), c.addr) == 1) { c.family = AF_INET; if (bits < 0) bits = 32; if (bits > 32) throw std::invalid_argument("prefix over 32 in '" + text + "'"); }
    else if (::inet_pton(AF_INET6, addr.c_str(), c.addr) == 1) { c.family = AF_INET6; if (bits < 0) bits = 128; if (bits > 128) throw std::invalid_argument("prefix over 128 in '" + text + "'"); }
    else throw std::invalid_argument("allow-list entry '" + text + "' is not an IPv4/IPv6 address or CIDR");
    c.bits = bits;
    return c;
}

namespace {
bool prefixMatch(const unsigned char* a, const unsigned char* b, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (std::memcmp(a, b, full) != 0) return false;
    if (rest == 0) return true;
    unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}
} // namespace

bool Cidr::contains(const sockaddr_storage& peer) const
{
    if (peer.ss_family == AF_INET)
    {
        if (family != AF_INET) return false;
        auto* sin = reinterpret_cast<const sockaddr_in*>(&peer);
        return prefixMatch(reinterpret_cast<const unsigned char*>(&sin->sin_addr), addr, bits);
    }
    if (peer.ss_family == AF_INET6)
    {
        auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&peer);
        const unsigned char* a = reinterpret_cast<const unsigned char*>(&sin6->sin6_addr);
        if (family == AF_INET6) return prefixMatch(a, addr, bits);
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) return prefixMatch(a + 12, addr, bits);
    }
    return false;
}

std::string Cidr::text() const
{
    char buf[INET6_ADDRSTRLEN] = "?";
    ::inet_ntop(family, addr, buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(bits);
}

bool isAllowed(const std::vector<Cidr>& allow, const sockaddr_storage& peer)
{
    if (allow.empty()) return true;
    return std::any_of(allow.begin(), allow.end(), [&](const Cidr& c) { return c.contains(peer); });
}

std::string addressText(const sockaddr_storage& peer)
{
    char buf[INET6_ADDRSTRLEN] = "?";
    if (peer.ss_family == AF_INET)
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&peer)->sin_addr, buf, sizeof buf);
    else if (peer.ss_family == AF_INET6)
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr, buf, sizeof buf);
    return buf;
}

long long AuthThrottle::fail(const std::string& address, long long nowMs)
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (_entries.size() >= _capacity && !_entries.count(address))
    {
        for (auto it = _entries.begin(); it != _entries.end();)
            it = nowMs - it->second.last > 60000 ? _entries.erase(it) : std::next(it);
        if (_entries.size() >= _capacity) _entries.clear();
    }
    Entry& e = _entries[address];
    if (nowMs - e.last > 60000) e.failures = 0;
    e.last = nowMs;
    ++e.failures;
    _count = _entries.size();
    // The first few mistakes are answered at once (a typo); then each answer waits longer.
    if (e.failures <= 3) return 0;
    return std::min<long long>(5000, 500LL * (e.failures - 3));
}

void AuthThrottle::succeed(const std::string& address)
{
    // Every authenticated request passes here: with no recorded failure (the usual case)
    // it must not take the lock shared by all event loops.
    if (_count.load(std::memory_order_relaxed) == 0) return;
    std::lock_guard<std::mutex> lock(_mutex);
    if (_entries.erase(address)) _count = _entries.size();
}

} // namespace steadyproxy::forward
