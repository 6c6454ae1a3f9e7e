#pragma once
#include "Plugin.h"
#include "Types.h"
#include <optional>
#include <string>
#include <vector>

namespace steadyproxy {

/// The one place state is written. Exactly one storage plugin is loaded; the kernel is its
/// only caller for writes (plugins read through the kernel, never the store).
///
/// Every method is thread-safe and atomic: a method that changes several rows does so in
/// one transaction, and when it throws nothing it started is left written. A method returns
/// only after the change is durable. Errors: NotFoundError (the id does not exist),
/// ConflictError (a unique value is taken), StorageError (anything else).
class SP_API Storage : public Plugin
{
public:
    // --- settings -------------------------------------------------------------------
    /// The stored settings, or the defaults of Settings when none were saved.
    virtual Settings loadSettings() = 0;
    virtual void saveSettings(const Settings& settings, const LogEntry& log) = 0;

    // --- users ----------------------------------------------------------------------
    virtual std::vector<User> listUsers() = 0;
    virtual std::optional<User> findUser(std::int64_t id) = 0;
    virtual std::optional<User> findUserByName(const std::string& username) = 0;
    /// Inserts; returns the new id. ConflictError if the name is taken.
    virtual std::int64_t addUser(const User& user) = 0;
    /// Replaces every field but id and createdAt.
    virtual void updateUser(const User& user) = 0;
    /// Removes the user, their sessions and tokens. Keys they own are kept (owner 0 = admin).
    virtual void removeUser(std::int64_t id) = 0;
    virtual std::size_t countUsers() = 0;

    // --- sessions and API tokens ----------------------------------------------------
    virtual void addSession(const Session& session) = 0;
    virtual std::optional<Session> findSession(const std::string& idHash) = 0;
    virtual void touchSession(const std::string& idHash, EpochMs lastSeenAt) = 0;
    virtual void removeSession(const std::string& idHash) = 0;
    virtual void removeSessionsOfUser(std::int64_t userId) = 0;
    /// Removes sessions whose expiresAt is before `now`; returns how many.
    virtual std::size_t purgeSessions(EpochMs now) = 0;

    virtual std::int64_t addToken(const ApiToken& token) = 0;
    virtual std::optional<ApiToken> findTokenByHash(const std::string& tokenHash) = 0;
    virtual std::vector<ApiToken> listTokens(std::int64_t userId) = 0;
    virtual void touchToken(std::int64_t id, EpochMs lastUsedAt) = 0;
    virtual void removeToken(std::int64_t id) = 0;

    // --- keys and endpoints ---------------------------------------------------------
    virtual std::vector<ProxyKey> listKeys() = 0;
    virtual std::optional<ProxyKey> findKey(std::int64_t id) = 0;
    /// Inserts the key and `log` together; returns the new id. ConflictError if the
    /// subdomain, port or secretFingerprint is taken.
    virtual std::int64_t addKey(const ProxyKey& key, const LogEntry& log) = 0;
    /// Replaces the mutable fields (name, region, active, endpoint credentials, allow-list,
    /// overrides, status, statusMessage, secret). Never changes subdomain or port.
    virtual void updateKey(const ProxyKey& key) = 0;
    /// Removes the key with its leases and health samples, and writes `log`, together.
    virtual void removeKey(std::int64_t id, const LogEntry& log) = 0;

    // --- leases ---------------------------------------------------------------------
    /// The key's current lease (endedAt == 0), if any.
    virtual std::optional<Lease> currentLease(std::int64_t keyId) = 0;
    /// Every key's current lease.
    virtual std::vector<Lease> currentLeases() = 0;
    /// In one transaction: ends the key's current lease (endedAt = lease.obtainedAt), stores
    /// `lease` as current, sets the key's lastRotatedAt = lease.obtainedAt, and writes `log`.
    /// Returns the new lease id.
    virtual std::int64_t recordLease(const Lease& lease, const LogEntry& log) = 0;
    /// Ends the key's current lease without a successor (released, expired).
    virtual void endLease(std::int64_t keyId, EpochMs at, const LogEntry& log) = 0;
    /// Past and current leases, newest first.
    virtual std::vector<Lease> leaseHistory(std::int64_t keyId, int limit) = 0;

    // --- health and logs ------------------------------------------------------------
    /// Stores a sample; keeps at most the retention number of samples per key.
    virtual void addHealthSample(const HealthSample& sample) = 0;
    /// Newest first.
    virtual std::vector<HealthSample> healthSamples(std::int64_t keyId, int limit) = 0;

    /// Returns the new id. Old entries beyond the retention limits are dropped.
    virtual std::int64_t addLog(const LogEntry& entry) = 0;
    /// Newest first.
    virtual std::vector<LogEntry> listLogs(const LogQuery& query) = 0;
    virtual std::size_t countLogs(const LogQuery& query) = 0;
};

} // namespace steadyproxy
