#include "SessionTable.h"
#include "Row.h"

namespace steadyproxy::sqlite {

void SessionTable::insert(const Session& s)
{
    _db.execute("INSERT INTO sessions(id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) "
                "VALUES(?, ?, ?, ?, ?, ?)",
        s.idHash, s.userId, s.csrfToken, s.createdAt, s.lastSeenAt, s.expiresAt);
}

std::optional<Session> SessionTable::find(const std::string& idHash)
{
    Poco::Data::RecordSet rows = _db.query(
        "SELECT id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions WHERE id_hash = ?", idHash);
    if (rows.rowCount() == 0) return std::nullopt;
    Row row(rows, 0);
    Session s;
    s.idHash = row.text("id_hash");
    s.userId = row.int64("user_id");
    s.csrfToken = row.text("csrf_token");
    s.createdAt = row.int64("created_at");
    s.lastSeenAt = row.int64("last_seen_at");
    s.expiresAt = row.int64("expires_at");
    return s;
}

void SessionTable::touch(const std::string& idHash, EpochMs lastSeenAt)
{
    _db.execute("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", lastSeenAt, idHash);
}

void SessionTable::remove(const std::string& idHash)
{
    _db.execute("DELETE FROM sessions WHERE id_hash = ?", idHash);
}

void SessionTable::removeOfUser(std::int64_t userId)
{
    _db.execute("DELETE FROM sessions WHERE user_id = ?", userId);
}

std::size_t SessionTable::purge(EpochMs now)
{
    _db.execute("DELETE FROM sessions WHERE expires_at < ?", now);
    return static_cast<std::size_t>(_db.changes());
}

} // namespace steadyproxy::sqlite
