#include <steadyproxy/kernel/SecretBox.h>
#include <steadyproxy/kernel/api/SessionManager.h>
#include <Poco/Logger.h>
#include <Poco/String.h>
#include <algorithm>

namespace steadyproxy::kernel::api {

LoginThrottle::LoginThrottle(Clock& clock, int allowance, EpochMs windowMs, EpochMs maxDelayMs):
    _clock(clock), _allowance(allowance), _window(windowMs), _maxDelay(maxDelayMs) {}

EpochMs LoginThrottle::blockedUntil(const std::string& address, const std::string& account)
{
    std::lock_guard<std::mutex> lock(_mutex);
    EpochMs now = _clock.now();
    EpochMs until = 0;
    auto a = _byAddress.find(address);
    if (a != _byAddress.end() && a->second.until > now) until = std::max(until, a->second.until);
    auto b = _byAccount.find(account);
    if (b != _byAccount.end() && b->second.until > now) until = std::max(until, b->second.until);
    return until;
}

void LoginThrottle::record(std::map<std::string, Entry>& table, const std::string& name, EpochMs now)
{
    Entry& e = table[name];
    if (now - e.first > _window)
    {
        e.failures = 0;
        e.first = now;
    }
    ++e.failures;
    if (e.failures > _allowance)
    {
        int extra = std::min(e.failures - _allowance, 20);
        e.until = now + std::min<EpochMs>(_maxDelay, 1000LL << (extra - 1));
    }
}

void LoginThrottle::prune(std::map<std::string, Entry>& table, EpochMs now)
{
    if (table.size() < 10000) return;
    for (auto it = table.begin(); it != table.end();)
        it = (now - it->second.first > _window && it->second.until < now) ? table.erase(it) : std::next(it);
    while (table.size() >= 10000) table.erase(table.begin());
}

void LoginThrottle::failure(const std::string& address, const std::string& account)
{
    std::lock_guard<std::mutex> lock(_mutex);
    EpochMs now = _clock.now();
    prune(_byAddress, now);
    prune(_byAccount, now);
    record(_byAddress, address, now);
    record(_byAccount, Poco::toLower(account), now);
}

void LoginThrottle::success(const std::string& address, const std::string& account)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _byAccount.erase(Poco::toLower(account));
    auto a = _byAddress.find(address);
    if (a != _byAddress.end() && a->second.until == 0) _byAddress.erase(a);
}

SessionManager::SessionManager(Storage& storage, AuthService& auth, Clock& clock, EpochMs idleMs, EpochMs absoluteMs):
    _storage(storage), _auth(auth), _clock(clock), _idle(idleMs), _absolute(absoluteMs), _throttle(clock)
{
    // Verifying against a real hash when the user does not exist keeps timing uniform.
    _dummyHash = _auth.hashPassword(SecretBox::randomToken(16));
}

SessionManager::Login SessionManager::issue(const User& user)
{
    Login l;
    l.user = user;
    l.cookieValue = SecretBox::randomToken(32);
    EpochMs now = _clock.now();
    l.session.idHash = SecretBox::sha256Hex(l.cookieValue);
    l.session.userId = user.id;
    l.session.csrfToken = SecretBox::randomToken(32);
    l.session.createdAt = now;
    l.session.lastSeenAt = now;
    l.session.expiresAt = now + _absolute;
    _storage.addSession(l.session);
    return l;
}

SessionManager::Login SessionManager::login(const std::string& username, const std::string& password,
                                            const std::string& address)
{
    EpochMs until = _throttle.blockedUntil(address, Poco::toLower(username));
    if (until)
    {
        ApiError e(429, "rate_limited", "too many failed logins; try again in " +
                                            std::to_string((until - _clock.now() + 999) / 1000) + " s");
        e.headers.emplace_back("Retry-After", std::to_string((until - _clock.now() + 999) / 1000));
        throw e;
    }
    auto user = _storage.findUserByName(username);
    bool rehash = false;
    bool good = _auth.verifyPassword(password, user ? user->passwordHash : _dummyHash, rehash) && user;
    if (!good || user->disabled)
    {
        _throttle.failure(address, username);
        Poco::Logger::get("kernel.auth").warning("failed login for \"" + username + "\" from " + address);
        throw ApiError(401, "unauthenticated", good ? "this account is disabled" : "wrong user name or password");
    }
    _throttle.success(address, username);
    if (rehash)
    {
        User u = *user;
        u.passwordHash = _auth.hashPassword(password);
        _storage.updateUser(u);
        user = u;
        Poco::Logger::get("kernel.auth").information("re-hashed the password of \"" + username + "\" with the current scheme");
    }
    _storage.purgeSessions(_clock.now());
    Poco::Logger::get("kernel.auth").information("\"" + username + "\" logged in from " + address);
    return issue(*user);
}

std::optional<std::pair<User, Session>> SessionManager::fromCookie(const std::string& cookieValue)
{
    if (cookieValue.empty() || cookieValue.size() > 256) return std::nullopt;
    std::string idHash = SecretBox::sha256Hex(cookieValue);
    auto session = _storage.findSession(idHash);
    if (!session) return std::nullopt;
    EpochMs now = _clock.now();
    if (session->expiresAt <= now || now - session->lastSeenAt > _idle)
    {
        _storage.removeSession(idHash);
        return std::nullopt;
    }
    auto user = _storage.findUser(session->userId);
    if (!user || user->disabled) return std::nullopt;
    if (now - session->lastSeenAt > 30000)
    {
        _storage.touchSession(idHash, now);
        session->lastSeenAt = now;
    }
    return std::make_pair(*user, *session);
}

std::optional<User> SessionManager::fromToken(const std::string& token)
{
    if (token.empty() || token.size() > 256) return std::nullopt;
    auto record = _storage.findTokenByHash(SecretBox::sha256Hex(token));
    if (!record) return std::nullopt;
    auto user = _storage.findUser(record->userId);
    if (!user || user->disabled) return std::nullopt;
    EpochMs now = _clock.now();
    if (now - record->lastUsedAt > 60000) _storage.touchToken(record->id, now);
    return user;
}

void SessionManager::logout(const std::string& cookieValue)
{
    if (!cookieValue.empty()) _storage.removeSession(SecretBox::sha256Hex(cookieValue));
}

std::pair<std::string, ApiToken> SessionManager::createToken(std::int64_t userId, const std::string& name)
{
    std::string token = "spt_" + SecretBox::randomToken(32);
    ApiToken t;
    t.userId = userId;
    t.name = name;
    t.tokenHash = SecretBox::sha256Hex(token);
    t.createdAt = _clock.now();
    t.id = _storage.addToken(t);
    return {token, t};
}

} // namespace steadyproxy::kernel::api
