// SqliteStorage: keys, leases, health samples and logs.
#include "HealthTable.h"
#include "KeyTable.h"
#include "LeaseTable.h"
#include "LogTable.h"
#include "SqliteStorage.h"
#include "Transaction.h"

namespace steadyproxy::sqlite {

namespace {

ConstraintHandler keyConflict(const ProxyKey& key)
{
    return [key](const std::string& message) {
        if (namesColumn(message, "proxy_keys.port"))
            throw ConflictError("port " + std::to_string(key.port) + " is already used by another key");
        if (namesColumn(message, "proxy_keys.subdomain"))
            throw ConflictError("subdomain \"" + key.subdomain + "\" is already used by another key");
        if (namesColumn(message, "proxy_keys.secret_fingerprint"))
            throw ConflictError("the provider key " + key.secretMasked + " is already added");
    };
}

ConstraintHandler needsKey(std::int64_t keyId)
{
    return [keyId](const std::string& message) {
        if (isForeignKeyFailure(message)) throw NotFoundError("key " + std::to_string(keyId) + " does not exist");
    };
}

NotFoundError keyNotFound(std::int64_t id)
{
    return NotFoundError("key " + std::to_string(id) + " does not exist");
}

} // namespace

std::vector<ProxyKey> SqliteStorage::listKeys()
{
    return locked("list keys", [](Database& db) { return KeyTable(db).list(); });
}

std::optional<ProxyKey> SqliteStorage::findKey(std::int64_t id)
{
    return locked("find key " + std::to_string(id), [id](Database& db) { return KeyTable(db).find(id); });
}

std::int64_t SqliteStorage::addKey(const ProxyKey& key, const LogEntry& log)
{
    return locked("add key \"" + key.subdomain + "\"", [&](Database& db) {
        Transaction tx(db);
        std::int64_t id = KeyTable(db).insert(key);
        LogEntry entry = log;
        if (entry.keyId == 0) entry.keyId = id;
        writeLog(db, entry);
        tx.commit();
        return id;
    }, keyConflict(key));
}

void SqliteStorage::updateKey(const ProxyKey& key)
{
    locked("update key " + std::to_string(key.id), [&](Database& db) {
        Transaction tx(db);
        if (!KeyTable(db).update(key)) throw keyNotFound(key.id);
        tx.commit();
    }, keyConflict(key));
}

void SqliteStorage::removeKey(std::int64_t id, const LogEntry& log)
{
    locked("remove key " + std::to_string(id), [&](Database& db) {
        Transaction tx(db);
        if (!KeyTable(db).remove(id)) throw keyNotFound(id);
        writeLog(db, log);
        tx.commit();
    });
}

std::optional<Lease> SqliteStorage::currentLease(std::int64_t keyId)
{
    return locked("read the current lease of key " + std::to_string(keyId),
        [keyId](Database& db) { return LeaseTable(db).current(keyId); });
}

std::vector<Lease> SqliteStorage::currentLeases()
{
    return locked("read the current leases", [](Database& db) { return LeaseTable(db).allCurrent(); });
}

std::int64_t SqliteStorage::recordLease(const Lease& lease, const LogEntry& log)
{
    return locked("record a lease for key " + std::to_string(lease.keyId), [&](Database& db) {
        Transaction tx(db);
        KeyTable keys(db);
        if (!keys.exists(lease.keyId)) throw keyNotFound(lease.keyId);
        Lease current = lease;
        if (current.obtainedAt == 0) current.obtainedAt = now();
        LeaseTable leases(db);
        leases.endCurrent(current.keyId, current.obtainedAt);
        std::int64_t id = leases.insertCurrent(current);
        keys.setLastRotatedAt(current.keyId, current.obtainedAt);
        writeLog(db, log);
        tx.commit();
        return id;
    }, needsKey(lease.keyId));
}

void SqliteStorage::endLease(std::int64_t keyId, EpochMs at, const LogEntry& log)
{
    locked("end the lease of key " + std::to_string(keyId), [&](Database& db) {
        Transaction tx(db);
        if (!KeyTable(db).exists(keyId)) throw keyNotFound(keyId);
        LeaseTable(db).endCurrent(keyId, at != 0 ? at : now());
        writeLog(db, log);
        tx.commit();
    });
}

std::vector<Lease> SqliteStorage::leaseHistory(std::int64_t keyId, int limit)
{
    return locked("read the lease history of key " + std::to_string(keyId),
        [=](Database& db) { return LeaseTable(db).history(keyId, limit); });
}

void SqliteStorage::addHealthSample(const HealthSample& sample)
{
    locked("add a health sample for key " + std::to_string(sample.keyId), [&](Database& db) {
        Transaction tx(db);
        HealthTable health(db);
        HealthSample s = sample;
        if (s.at == 0) s.at = now();
        health.insert(s);
        health.trim(s.keyId, _options.healthSamplesPerKey);
        tx.commit();
    }, needsKey(sample.keyId));
}

std::vector<HealthSample> SqliteStorage::healthSamples(std::int64_t keyId, int limit)
{
    return locked("read the health samples of key " + std::to_string(keyId),
        [=](Database& db) { return HealthTable(db).list(keyId, limit); });
}

std::int64_t SqliteStorage::addLog(const LogEntry& entry)
{
    return locked("add a log entry", [&](Database& db) {
        Transaction tx(db);
        std::int64_t id = writeLog(db, entry);
        tx.commit();
        return id;
    });
}

std::vector<LogEntry> SqliteStorage::listLogs(const LogQuery& query)
{
    return locked("list log entries", [&](Database& db) { return LogTable(db).list(query); });
}

std::size_t SqliteStorage::countLogs(const LogQuery& query)
{
    return locked("count log entries", [&](Database& db) { return LogTable(db).count(query); });
}

} // namespace steadyproxy::sqlite
