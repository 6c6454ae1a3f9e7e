#include "Limits.h"
#include <algorithm>
#include <chrono>
#include <cmath>

namespace steadyproxy::forward {

long long monotonicMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void TokenBucket::refill(double rate, double burst, long long nowMs)
{
    if (_tokens < 0)
    {
        _tokens = burst;
        _last = nowMs;
        return;
    }
    if (nowMs > _last)
    {
        _tokens = std::min(burst, _tokens + rate * static_cast<double>(nowMs - _last) / 1000.0);
        _last = nowMs;
    }
    else if (_tokens > burst) _tokens = burst;
}

double TokenBucket::take(double want, double min, double rate, double burst, long long nowMs)
{
    refill(rate, burst, nowMs);
    if (_tokens < min || _tokens <= 0) return 0;
    double got = std::min(want, _tokens);
    _tokens -= got;
    return got;
}

void TokenBucket::refund(double n, double burst)
{
    if (n > 0 && _tokens >= 0) _tokens = std::min(burst, _tokens + n);
}

long long TokenBucket::waitMs(double n, double rate) const
{
    if (rate <= 0) return 1000;
    double missing = n - std::max(0.0, _tokens);
    if (missing <= 0) return 1;
    return std::max(1LL, static_cast<long long>(std::ceil(missing * 1000.0 / rate)));
}

ClientTable::Entry& ClientTable::entry(const std::string& address, long long nowMs)
{
    auto it = _entries.find(address);
    if (it == _entries.end())
    {
        if (_entries.size() >= _capacity || nowMs - _lastSweep > _expiryMs) evict(nowMs);
        it = _entries.emplace(address, Entry()).first;
    }
    it->second.lastSeen = nowMs;
    return it->second;
}

void ClientTable::evict(long long nowMs)
{
    _lastSweep = nowMs;
    for (auto it = _entries.begin(); it != _entries.end();)
        it = it->second.connections == 0 && nowMs - it->second.lastSeen > _expiryMs ? _entries.erase(it) : std::next(it);
    if (_entries.size() < _capacity) return;
    // Still full: forget every address without an open connection (their request-rate
    // history is lost, which errs on the side of letting requests through).
    for (auto it = _entries.begin(); it != _entries.end();)
        it = it->second.connections == 0 ? _entries.erase(it) : std::next(it);
}

bool ClientTable::open(const std::string& address, long long max, long long nowMs)
{
    std::lock_guard<std::mutex> l(_mutex);
    Entry& e = entry(address, nowMs);
    if (max > 0 && e.connections >= max) return false;
    ++e.connections;
    return true;
}

void ClientTable::close(const std::string& address, long long nowMs)
{
    std::lock_guard<std::mutex> l(_mutex);
    auto it = _entries.find(address);
    if (it == _entries.end()) return;
    if (it->second.connections > 0) --it->second.connections;
    it->second.lastSeen = nowMs;
}

long long ClientTable::request(const std::string& address, double rps, long long nowMs)
{
    if (rps <= 0) return 0;
    std::lock_guard<std::mutex> l(_mutex);
    Entry& e = entry(address, nowMs);
    double burst = std::max(1.0, rps);
    if (e.rate.take(1, 1, rps, burst, nowMs) >= 1) return 0;
    return e.rate.waitMs(1, rps);
}

std::size_t ClientTable::size() const
{
    std::lock_guard<std::mutex> l(_mutex);
    return _entries.size();
}

bool LogThrottle::allow(long long nowMs, std::uint64_t& suppressed)
{
    std::lock_guard<std::mutex> l(_mutex);
    if (_bucket.take(1, 1, _rate, _burst, nowMs) >= 1)
    {
        suppressed = _suppressed;
        _suppressed = 0;
        return true;
    }
    ++_suppressed;
    return false;
}

} // namespace steadyproxy::forward
