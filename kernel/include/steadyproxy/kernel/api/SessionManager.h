#pragma once
#include <steadyproxy/kernel/api/Api.h>
#include <steadyproxy/sdk/Auth.h>
#include <steadyproxy/sdk/Clock.h>
#include <steadyproxy/sdk/Storage.h>
#include <map>
#include <mutex>

namespace steadyproxy::kernel::api {

/// Slows down password guessing: failures are counted per client address and per account
/// in a sliding window; past the allowance each further attempt must wait, doubling up to a
/// cap. Memory is bounded (old entries are dropped). Thread-safe.
class LoginThrottle
{
public:
    explicit LoginThrottle(Clock& clock, int allowance = 5, EpochMs windowMs = 15 * 60 * 1000,
                           EpochMs maxDelayMs = 15 * 60 * 1000);
    /// 0 when an attempt may go ahead, else the epoch ms before which it is refused.
    EpochMs blockedUntil(const std::string& address, const std::string& account);
    void failure(const std::string& address, const std::string& account);
    void success(const std::string& address, const std::string& account);
private:
    struct Entry { int failures = 0; EpochMs first = 0; EpochMs until = 0; };
    void record(std::map<std::string, Entry>& table, const std::string& name, EpochMs now);
    void prune(std::map<std::string, Entry>& table, EpochMs now);
    Clock& _clock;
    int _allowance;
    EpochMs _window, _maxDelay;
    std::mutex _mutex;
    std::map<std::string, Entry> _byAddress, _byAccount;
};

/// Login sessions (cookie) and personal API tokens (Bearer), on top of the store.
/// Cookie values and tokens are 128-bit+ random; only their SHA-256 is stored.
class SessionManager
{
public:
    SessionManager(Storage& storage, AuthService& auth, Clock& clock, EpochMs idleMs, EpochMs absoluteMs);

    struct Login { User user; Session session; std::string cookieValue; };
    /// Checks the password (throttled); on success a new session. ApiError 401/429.
    Login login(const std::string& username, const std::string& password, const std::string& address);
    /// The user and session for a cookie value, or nullopt when unknown, expired or idle
    /// (an expired one is removed). Touches the session.
    std::optional<std::pair<User, Session>> fromCookie(const std::string& cookieValue);
    /// The user for a Bearer token, or nullopt.
    std::optional<User> fromToken(const std::string& token);
    void logout(const std::string& cookieValue);
    /// A new session for a user (after a password change).
    Login issue(const User& user);
    /// A new token (returned once) and its stored record.
    std::pair<std::string, ApiToken> createToken(std::int64_t userId, const std::string& name);
    LoginThrottle& throttle() { return _throttle; }
    EpochMs absoluteMs() const { return _absolute; }

private:
    Storage& _storage;
    AuthService& _auth;
    Clock& _clock;
    EpochMs _idle, _absolute;
    LoginThrottle _throttle;
    std::string _dummyHash;
};

} // namespace steadyproxy::kernel::api
