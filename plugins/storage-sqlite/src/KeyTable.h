#pragma once
#include "Database.h"
#include <steadyproxy/sdk/Types.h>
#include <optional>
#include <vector>

namespace steadyproxy::sqlite {

/// The `proxy_keys` table: a provider key together with its endpoint. The allow-list and
/// the overrides are stored as JSON text (see KeyJson).
class KeyTable
{
public:
    explicit KeyTable(Database& db): _db(db) {}

    /// Every key, by id.
    std::vector<ProxyKey> list();
    std::optional<ProxyKey> find(std::int64_t id);
    bool exists(std::int64_t id);
    /// Inserts and returns the new id (key.id is ignored).
    std::int64_t insert(const ProxyKey& key);
    /// Replaces the mutable fields (never subdomain, port, owner, provider, createdAt,
    /// lastRotatedAt); returns false if the id does not exist.
    bool update(const ProxyKey& key);
    /// Sets lastRotatedAt; returns false if the id does not exist.
    bool setLastRotatedAt(std::int64_t id, EpochMs at);
    /// Deletes the key; its leases and health samples go by ON DELETE CASCADE. Returns false
    /// if the id does not exist.
    bool remove(std::int64_t id);

private:
    std::vector<ProxyKey> read(Poco::Data::RecordSet& rows);
    Database& _db;
};

} // namespace steadyproxy::sqlite
