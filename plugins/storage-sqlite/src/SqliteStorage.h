#pragma once
#include "Database.h"
#include "ErrorMapping.h"
#include "StorageOptions.h"
#include <steadyproxy/sdk/Storage.h>
#include <memory>
#include <mutex>
#include <utility>

namespace steadyproxy::sqlite {

/// storage.sqlite: the Storage interface on one SQLite file through Poco::Data::SQLite.
///
/// One connection, serialized by a mutex: every public method may be called from any
/// thread. Every method that changes several rows runs in one BEGIN IMMEDIATE transaction,
/// and returns only after COMMIT (WAL with synchronous=FULL: the commit is on disk). Errors
/// are the sdk's: ConflictError names the value that is taken, NotFoundError the missing
/// id, StorageError everything else (with the database path).
///
/// Lifecycle: configure() reads the options, start() opens the file (creating its folders)
/// and migrates the schema, stop() closes it. Calls outside start()..stop() throw
/// StorageError.
class SqliteStorage : public Storage
{
public:
    SqliteStorage();
    ~SqliteStorage() override;

    std::vector<ConfigOption> configOptions() const override;
    void configure(const Poco::Util::AbstractConfiguration& config) override;
    void start(PluginContext& context) override;
    void stop() override;

    Settings loadSettings() override;
    void saveSettings(const Settings& settings, const LogEntry& log) override;

    std::vector<User> listUsers() override;
    std::optional<User> findUser(std::int64_t id) override;
    std::optional<User> findUserByName(const std::string& username) override;
    std::int64_t addUser(const User& user) override;
    void updateUser(const User& user) override;
    void removeUser(std::int64_t id) override;
    std::size_t countUsers() override;

    void addSession(const Session& session) override;
    std::optional<Session> findSession(const std::string& idHash) override;
    void touchSession(const std::string& idHash, EpochMs lastSeenAt) override;
    void removeSession(const std::string& idHash) override;
    void removeSessionsOfUser(std::int64_t userId) override;
    std::size_t purgeSessions(EpochMs now) override;

    std::int64_t addToken(const ApiToken& token) override;
    std::optional<ApiToken> findTokenByHash(const std::string& tokenHash) override;
    std::vector<ApiToken> listTokens(std::int64_t userId) override;
    void touchToken(std::int64_t id, EpochMs lastUsedAt) override;
    void removeToken(std::int64_t id) override;

    std::vector<ProxyKey> listKeys() override;
    std::optional<ProxyKey> findKey(std::int64_t id) override;
    std::int64_t addKey(const ProxyKey& key, const LogEntry& log) override;
    void updateKey(const ProxyKey& key) override;
    void removeKey(std::int64_t id, const LogEntry& log) override;

    std::optional<Lease> currentLease(std::int64_t keyId) override;
    std::vector<Lease> currentLeases() override;
    std::int64_t recordLease(const Lease& lease, const LogEntry& log) override;
    void endLease(std::int64_t keyId, EpochMs at, const LogEntry& log) override;
    std::vector<Lease> leaseHistory(std::int64_t keyId, int limit) override;

    void addHealthSample(const HealthSample& sample) override;
    std::vector<HealthSample> healthSamples(std::int64_t keyId, int limit) override;

    std::int64_t addLog(const LogEntry& entry) override;
    std::vector<LogEntry> listLogs(const LogQuery& query) override;
    std::size_t countLogs(const LogQuery& query) override;

private:
    /// Runs `work` on the open database under the mutex and turns whatever it throws into
    /// an sdk error (see rethrowAsSdkError).
    template <class Work>
    auto locked(const std::string& operation, Work&& work, const ConstraintHandler& onConstraint = {})
        -> decltype(work(std::declval<Database&>()))
    {
        std::lock_guard<std::mutex> lock(_mutex);
        try
        {
            if (!_db) throw StorageError("storage.sqlite is not started: cannot " + operation);
            return work(*_db);
        }
        catch (...)
        {
            rethrowAsSdkError(operation, _dbPath, onConstraint);
        }
    }

    /// The clock's now, or 0 before start().
    EpochMs now() const;
    /// Inserts a log entry (at = now when unset) and applies the log retention; inside the
    /// caller's transaction.
    std::int64_t writeLog(Database& db, LogEntry entry);

    std::mutex _mutex;
    StorageOptions _options;
    PluginContext* _context = nullptr;
    std::string _dbPath;
    std::unique_ptr<Database> _db;
};

} // namespace steadyproxy::sqlite
