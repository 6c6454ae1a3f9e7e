#include "HealthTable.h"
#include "Row.h"

namespace steadyproxy::sqlite {

void HealthTable::insert(const HealthSample& s)
{
    _db.execute("INSERT INTO health_samples(key_id, at, ok, state, latency_ms, exit_ip, http_status, error) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
        s.keyId, s.at, s.ok ? 1 : 0, s.state, s.latencyMs, s.exitIp, s.httpStatus, s.error);
}

void HealthTable::trim(std::int64_t keyId, int keep)
{
    _db.execute("DELETE FROM health_samples WHERE key_id = ? AND id NOT IN "
                "(SELECT id FROM health_samples WHERE key_id = ? ORDER BY at DESC, id DESC LIMIT ?)",
        keyId, keyId, keep);
}

std::vector<HealthSample> HealthTable::list(std::int64_t keyId, int limit)
{
    Poco::Data::RecordSet rows = _db.query(
        "SELECT key_id, at, ok, state, latency_ms, exit_ip, http_status, error FROM health_samples "
        "WHERE key_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        keyId, limit > 0 ? limit : -1);
    std::vector<HealthSample> out;
    for (std::size_t i = 0; i < rows.rowCount(); ++i)
    {
        Row row(rows, i);
        HealthSample s;
        s.keyId = row.int64("key_id");
        s.at = row.int64("at");
        s.ok = row.boolean("ok");
        s.state = row.text("state");
        s.latencyMs = row.int32("latency_ms");
        s.exitIp = row.text("exit_ip");
        s.httpStatus = row.int32("http_status");
        s.error = row.text("error");
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace steadyproxy::sqlite
