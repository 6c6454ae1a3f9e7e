// Lifecycle and the shared log writer of SqliteStorage; the Storage methods live in
// SqliteStorageAccounts.cpp (settings, users, sessions, tokens) and SqliteStorageKeys.cpp
// (keys, leases, health samples, logs).
#include "SqliteStorage.h"
#include "LogTable.h"
#include "Migrations.h"
#include <Poco/Exception.h>

namespace steadyproxy::sqlite {

SqliteStorage::SqliteStorage() = default;

SqliteStorage::~SqliteStorage()
{
    stop();
}

std::vector<ConfigOption> SqliteStorage::configOptions() const
{
    return StorageOptions::declare();
}

void SqliteStorage::configure(const Poco::Util::AbstractConfiguration& config)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _options = StorageOptions::read(config);
}

void SqliteStorage::start(PluginContext& context)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _context = &context;
    _dbPath = _options.resolvePath(context.dataDir());
    try
    {
        auto db = std::make_unique<Database>(_dbPath, _options.busyTimeoutMs);
        int before = db->userVersion();
        int applied = Migrations::apply(*db);
        if (applied > 0)
            context.logger().information("%s: schema migrated from version %d to %d", _dbPath, before, db->userVersion());
        else
            context.logger().information("%s: schema version %d is current", _dbPath, db->userVersion());
        _db = std::move(db);
    }
    catch (...)
    {
        rethrowAsSdkError("open the database (plugins.storage.sqlite.path)", _dbPath);
    }
}

void SqliteStorage::stop()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _db.reset();
    _context = nullptr;
}

EpochMs SqliteStorage::now() const
{
    return _context ? _context->clock().now() : 0;
}

std::int64_t SqliteStorage::writeLog(Database& db, LogEntry entry)
{
    EpochMs current = now();
    if (entry.at == 0) entry.at = current;
    LogTable logs(db);
    std::int64_t id = logs.insert(entry);
    logs.trim(current - static_cast<EpochMs>(_options.logRetentionDays) * 24 * 3600 * 1000, _options.logRetentionRows, id);
    return id;
}

} // namespace steadyproxy::sqlite
