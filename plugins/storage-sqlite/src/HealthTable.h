#pragma once
#include "Database.h"
#include <steadyproxy/sdk/Types.h>
#include <vector>

namespace steadyproxy::sqlite {

/// The `health_samples` table, with a per-key retention limit.
class HealthTable
{
public:
    explicit HealthTable(Database& db): _db(db) {}

    void insert(const HealthSample& sample);
    /// Keeps the newest `keep` samples of the key (by at, then id) and deletes the rest.
    void trim(std::int64_t keyId, int keep);
    /// Newest first; limit <= 0 = all.
    std::vector<HealthSample> list(std::int64_t keyId, int limit);

private:
    Database& _db;
};

} // namespace steadyproxy::sqlite
