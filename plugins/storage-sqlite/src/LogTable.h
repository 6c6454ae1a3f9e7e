#pragma once
#include "Database.h"
#include <steadyproxy/sdk/Types.h>
#include <vector>

namespace steadyproxy::sqlite {

/// The `logs` table. key_id is a plain column (no foreign key), so the entries about a key
/// outlive it.
class LogTable
{
public:
    explicit LogTable(Database& db): _db(db) {}

    /// Inserts and returns the new id (entry.id is ignored).
    std::int64_t insert(const LogEntry& entry);
    /// Deletes entries older than `before`, and all but the newest `keepRows` entries
    /// (checked on every insert up to 1000 rows of limit, every keepRows/1000 inserts above,
    /// so at most 0.1% more rows are kept meanwhile). `newestId` is the id just inserted.
    void trim(EpochMs before, int keepRows, std::int64_t newestId);
    /// Newest first (by at, then id), filtered and paged by `query`; limit <= 0 = all.
    std::vector<LogEntry> list(const LogQuery& query);
    std::size_t count(const LogQuery& query);

private:
    Database& _db;
};

} // namespace steadyproxy::sqlite
