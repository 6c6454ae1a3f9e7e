#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace steadyproxy::forward {

/// Milliseconds of a monotonic clock (rate limits must not jump with the wall clock).
long long monotonicMs();

/// A token bucket: `rate` tokens per second, holding at most `burst`. Starts full. The rate
/// and burst are passed on each call so that a reload applies at once. Not thread-safe.
class TokenBucket
{
public:
    /// Takes up to `want` tokens (none when fewer than `min` are there); returns how many.
    double take(double want, double min, double rate, double burst, long long nowMs);
    /// Gives back tokens taken but not used.
    void refund(double n, double burst);
    /// Milliseconds until `n` tokens are there (at least 1).
    long long waitMs(double n, double rate) const;

private:
    void refill(double rate, double burst, long long nowMs);
    double _tokens = -1; // < 0: not used yet (full)
    long long _last = 0;
};

/// A TokenBucket shared by the event-loop threads.
class SharedBucket
{
public:
    double take(double want, double min, double rate, double burst, long long nowMs)
    {
        std::lock_guard<std::mutex> l(_mutex);
        return _bucket.take(want, min, rate, burst, nowMs);
    }
    void refund(double n, double burst)
    {
        std::lock_guard<std::mutex> l(_mutex);
        _bucket.refund(n, burst);
    }
    long long waitMs(double n, double rate) const
    {
        std::lock_guard<std::mutex> l(_mutex);
        return _bucket.waitMs(n, rate);
    }

private:
    mutable std::mutex _mutex;
    TokenBucket _bucket;
};

/// What is known per client address: open connections and a request-rate bucket. Memory is
/// bounded: at most `capacity` addresses are remembered (plus those with open connections);
/// an address without open connections is forgotten `expiryMs` after it was last seen, or
/// sooner when the table is full. Thread-safe.
class ClientTable
{
public:
    explicit ClientTable(std::size_t capacity = 65536, long long expiryMs = 60000): _capacity(capacity), _expiryMs(expiryMs) {}
    /// A connection from `address` opens. False (and not counted) when `max` > 0 are open.
    bool open(const std::string& address, long long max, long long nowMs);
    /// A connection counted by open() closed.
    void close(const std::string& address, long long nowMs);
    /// A request from `address` at `rps` per second (0 = no limit): 0 when it may go on,
    /// else the milliseconds until one would be allowed.
    long long request(const std::string& address, double rps, long long nowMs);
    std::size_t size() const;

private:
    struct Entry
    {
        long long connections = 0;
        TokenBucket rate;
        long long lastSeen = 0;
    };
    Entry& entry(const std::string& address, long long nowMs);
    void evict(long long nowMs);

    mutable std::mutex _mutex;
    std::unordered_map<std::string, Entry> _entries;
    std::size_t _capacity;
    long long _expiryMs;
    long long _lastSweep = 0;
};

/// Lets a burst of log lines through, then one per interval; says how many were held back.
/// Thread-safe.
class LogThrottle
{
public:
    explicit LogThrottle(double perSecond = 2, double burst = 10): _rate(perSecond), _burst(burst) {}
    /// True when a line may be written now; `suppressed` receives the count of lines
    /// refused since the last one allowed.
    bool allow(long long nowMs, std::uint64_t& suppressed);

private:
    std::mutex _mutex;
    TokenBucket _bucket;
    double _rate, _burst;
    std::uint64_t _suppressed = 0;
};

} // namespace steadyproxy::forward
