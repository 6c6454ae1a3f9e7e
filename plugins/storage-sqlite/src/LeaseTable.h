#pragma once
#include "Database.h"
#include <steadyproxy/sdk/Types.h>
#include <optional>
#include <vector>

namespace steadyproxy::sqlite {

/// The `leases` table. A lease with ended_at = 0 is its key's current one; a partial unique
/// index keeps that to at most one per key.
class LeaseTable
{
public:
    explicit LeaseTable(Database& db): _db(db) {}

    std::optional<Lease> current(std::int64_t keyId);
    /// Every key's current lease, by key id.
    std::vector<Lease> allCurrent();
    /// Sets ended_at = at on the key's current lease; returns how many were ended (0 or 1).
    std::size_t endCurrent(std::int64_t keyId, EpochMs at);
    /// Inserts `lease` as current (its endedAt is ignored); returns the new id.
    std::int64_t insertCurrent(const Lease& lease);
    /// Newest first (by obtainedAt, then id); limit <= 0 = all.
    std::vector<Lease> history(std::int64_t keyId, int limit);

private:
    std::vector<Lease> read(Poco::Data::RecordSet& rows);
    Database& _db;
};

} // namespace steadyproxy::sqlite
