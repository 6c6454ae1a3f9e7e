#include "LogTable.h"
#include "Row.h"
#include <algorithm>

namespace steadyproxy::sqlite {

namespace {

// The filter as SQL plus its parameters; built per query so that SQLite can use the
// (key_id, at) and (action, at) indexes.
struct Filter
{
    std::string where;
    int kind = 0; // 0 none, 1 key, 2 action, 3 key and action
};

Filter filterOf(const LogQuery& q)
{
    Filter f;
    if (q.keyId != 0 && !q.action.empty()) { f.where = "WHERE key_id = ? AND action = ? "; f.kind = 3; }
    else if (q.keyId != 0) { f.where = "WHERE key_id = ? "; f.kind = 1; }
    else if (!q.action.empty()) { f.where = "WHERE action = ? "; f.kind = 2; }
    return f;
}

template <class... Tail>
Poco::Data::RecordSet run(Database& db, const std::string& sql, const LogQuery& q, int kind, const Tail&... tail)
{
    switch (kind)
    {
    case 1: return db.query(sql, q.keyId, tail...);
    case 2: return db.query(sql, q.action, tail...);
    case 3: return db.query(sql, q.keyId, q.action, tail...);
    default: return db.query(sql, tail...);
    }
}

} // namespace

std::int64_t LogTable::insert(const LogEntry& e)
{
    _db.execute("INSERT INTO logs(key_id, action, reason, region, status, details, at) VALUES(?, ?, ?, ?, ?, ?, ?)",
        e.keyId, e.action, e.reason, e.region, e.status, e.details, e.at);
    return _db.lastInsertId();
}

void LogTable::trim(EpochMs before, int keepRows, std::int64_t newestId)
{
    _db.execute("DELETE FROM logs WHERE at < ?", before);
    // Ids only grow (AUTOINCREMENT), so the newest keepRows entries are those with the
    // largest ids. If the id span is within keepRows there cannot be more rows than that.
    std::int64_t oldest = _db.queryInt("SELECT MIN(id) FROM logs", 0);
    if (oldest == 0 || newestId - oldest + 1 <= keepRows) return;
    // Finding the cut walks keepRows index entries; for large limits do it every
    // keepRows/1000 inserts, so the table holds at most 0.1% more than the limit meanwhile.
    std::int64_t every = std::max<std::int64_t>(1, keepRows / 1000);
    if (newestId % every != 0) return;
    std::int64_t cut = _db.queryInt("SELECT id FROM logs ORDER BY id DESC LIMIT 1 OFFSET ?", 0,
        static_cast<std::int64_t>(keepRows));
    if (cut > 0) _db.execute("DELETE FROM logs WHERE id <= ?", cut);
}

std::vector<LogEntry> LogTable::list(const LogQuery& q)
{
    Filter f = filterOf(q);
    Poco::Data::RecordSet rows = run(_db,
        "SELECT id, key_id, action, reason, region, status, details, at FROM logs " + f.where +
            "ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
        q, f.kind, q.limit > 0 ? q.limit : -1, q.offset > 0 ? q.offset : 0);
    std::vector<LogEntry> out;
    for (std::size_t i = 0; i < rows.rowCount(); ++i)
    {
        Row row(rows, i);
        LogEntry e;
        e.id = row.int64("id");
        e.keyId = row.int64("key_id");
        e.action = row.text("action");
        e.reason = row.text("reason");
        e.region = row.text("region");
        e.status = row.text("status");
        e.details = row.text("details");
        e.at = row.int64("at");
        out.push_back(std::move(e));
    }
    return out;
}

std::size_t LogTable::count(const LogQuery& q)
{
    Filter f = filterOf(q);
    Poco::Data::RecordSet rows = run(_db, "SELECT COUNT(*) FROM logs " + f.where, q, f.kind);
    if (rows.rowCount() == 0) return 0;
    return static_cast<std::size_t>(rows.value(0, 0).convert<Poco::Int64>());
}

} // namespace steadyproxy::sqlite
