#include "Migrations.h"
#include "Transaction.h"
#include <steadyproxy/sdk/Errors.h>

namespace steadyproxy::sqlite {

namespace {

// AUTOINCREMENT on tables whose ids outlive their rows (log entries keep the id of a
// deleted key; owners and tokens are referred to by id): an id is never handed out twice.
const std::vector<Migration> kMigrations = {
    {1, "initial schema", {
        "CREATE TABLE settings ("
        " key TEXT PRIMARY KEY NOT NULL,"
        " value TEXT NOT NULL)",

        "CREATE TABLE users ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " username TEXT NOT NULL UNIQUE,"
        " password_hash TEXT NOT NULL,"
        " role TEXT NOT NULL,"
        " disabled INTEGER NOT NULL DEFAULT 0,"
        " created_at INTEGER NOT NULL DEFAULT 0)",

        "CREATE TABLE sessions ("
        " id_hash TEXT PRIMARY KEY NOT NULL,"
        " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " csrf_token TEXT NOT NULL,"
        " created_at INTEGER NOT NULL DEFAULT 0,"
        " last_seen_at INTEGER NOT NULL DEFAULT 0,"
        " expires_at INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX sessions_user ON sessions(user_id)",
        "CREATE INDEX sessions_expires ON sessions(expires_at)",

        "CREATE TABLE api_tokens ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " name TEXT NOT NULL,"
        " token_hash TEXT NOT NULL UNIQUE,"
        " created_at INTEGER NOT NULL DEFAULT 0,"
        " last_used_at INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX api_tokens_user ON api_tokens(user_id)",

        // owner_id has no foreign key: 0 means the admin, and removing a user hands their
        // keys to 0 instead of deleting them.
        "CREATE TABLE proxy_keys ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " owner_id INTEGER NOT NULL DEFAULT 0,"
        " name TEXT NOT NULL,"
        " provider_id TEXT NOT NULL,"
        " secret_sealed TEXT NOT NULL,"
        " secret_masked TEXT NOT NULL,"
        " secret_fingerprint TEXT NOT NULL UNIQUE,"
        " region TEXT NOT NULL,"
        " subdomain TEXT NOT NULL UNIQUE,"
        " port INTEGER NOT NULL UNIQUE CHECK (port BETWEEN 0 AND 65535),"
        " active INTEGER NOT NULL DEFAULT 1,"
        " endpoint_user TEXT NOT NULL,"
        " endpoint_pass_sealed TEXT NOT NULL,"
        " allow_cidrs TEXT NOT NULL DEFAULT '[]',"
        " overrides TEXT NOT NULL DEFAULT '{}',"
        " status TEXT NOT NULL,"
        " status_message TEXT NOT NULL,"
        " created_at INTEGER NOT NULL DEFAULT 0,"
        " last_rotated_at INTEGER NOT NULL DEFAULT 0)",

        "CREATE TABLE leases ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " key_id INTEGER NOT NULL REFERENCES proxy_keys(id) ON DELETE CASCADE,"
        " http_kind TEXT NOT NULL,"
        " http_host TEXT NOT NULL,"
        " http_port INTEGER NOT NULL,"
        " http_user TEXT NOT NULL,"
        " http_pass TEXT NOT NULL,"
        " socks_kind TEXT NOT NULL,"
        " socks_host TEXT NOT NULL,"
        " socks_port INTEGER NOT NULL,"
        " socks_user TEXT NOT NULL,"
        " socks_pass TEXT NOT NULL,"
        " real_ip TEXT NOT NULL,"
        " location TEXT NOT NULL,"
        " region TEXT NOT NULL,"
        " obtained_at INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL,"
        " next_change_at INTEGER NOT NULL,"
        " ttl_seconds INTEGER NOT NULL,"
        " reason TEXT NOT NULL,"
        " ended_at INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX leases_key_ended ON leases(key_id, ended_at)",
        "CREATE INDEX leases_key_obtained ON leases(key_id, obtained_at)",
        // At most one current lease per key, enforced by the database itself.
        "CREATE UNIQUE INDEX leases_one_current ON leases(key_id) WHERE ended_at = 0",

        "CREATE TABLE health_samples ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " key_id INTEGER NOT NULL REFERENCES proxy_keys(id) ON DELETE CASCADE,"
        " at INTEGER NOT NULL,"
        " ok INTEGER NOT NULL,"
        " state TEXT NOT NULL,"
        " latency_ms INTEGER NOT NULL,"
        " exit_ip TEXT NOT NULL,"
        " http_status INTEGER NOT NULL,"
        " error TEXT NOT NULL)",
        "CREATE INDEX health_samples_key_at ON health_samples(key_id, at, id)",

        // key_id without a foreign key: the log of a deleted key must survive it.
        "CREATE TABLE logs ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " key_id INTEGER NOT NULL DEFAULT 0,"
        " action TEXT NOT NULL,"
        " reason TEXT NOT NULL,"
        " region TEXT NOT NULL,"
        " status TEXT NOT NULL,"
        " details TEXT NOT NULL,"
        " at INTEGER NOT NULL)",
        "CREATE INDEX logs_at ON logs(at, id)",
        "CREATE INDEX logs_key_at ON logs(key_id, at, id)",
        "CREATE INDEX logs_action_at ON logs(action, at, id)",
    }},
};

} // namespace

const std::vector<Migration>& Migrations::all()
{
    return kMigrations;
}

int Migrations::latestVersion()
{
    return kMigrations.empty() ? 0 : kMigrations.back().version;
}

int Migrations::apply(Database& db)
{
    auto refuseNewer = [&db](int current) {
        if (current > latestVersion())
            throw StorageError("the database " + db.path() + " has schema version " + std::to_string(current) +
                ", but this storage.sqlite understands versions up to " + std::to_string(latestVersion()) +
                "; it was written by a newer steadyproxy: run that version, or point plugins.storage.sqlite.path "
                "at another file");
    };
    int current = db.userVersion();
    refuseNewer(current);
    if (current == latestVersion()) return 0;

    int applied = 0;
    for (const Migration& migration : kMigrations)
    {
        Transaction tx(db);
        // Read again inside the write lock: another process may have migrated meanwhile.
        current = db.userVersion();
        refuseNewer(current);
        if (current >= migration.version) continue;
        if (current != migration.version - 1)
            throw StorageError("the database " + db.path() + " has schema version " + std::to_string(current) +
                " and cannot be migrated to " + std::to_string(migration.version));
        for (const std::string& sql : migration.statements) db.execute(sql);
        db.execute("PRAGMA user_version = " + std::to_string(migration.version));
        tx.commit();
        ++applied;
    }
    return applied;
}

} // namespace steadyproxy::sqlite
