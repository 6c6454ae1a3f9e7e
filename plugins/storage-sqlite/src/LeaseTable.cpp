#include "LeaseTable.h"
#include "Row.h"

namespace steadyproxy::sqlite {

namespace {

const std::string kColumns =
    "SELECT id, key_id, http_kind, http_host, http_port, http_user, http_pass, socks_kind, socks_host, socks_port, "
    "socks_user, socks_pass, real_ip, location, region, obtained_at, expires_at, next_change_at, ttl_seconds, reason, "
    "ended_at FROM leases ";

std::string kindName(Upstream::Kind kind)
{
    switch (kind)
    {
    case Upstream::Kind::Http: return "http";
    case Upstream::Kind::Socks5: return "socks5";
    case Upstream::Kind::Direct: return "direct";
    }
    return "http";
}

Upstream::Kind kindFromName(const std::string& name, Upstream::Kind fallback)
{
    if (name == "http") return Upstream::Kind::Http;
    if (name == "socks5") return Upstream::Kind::Socks5;
    if (name == "direct") return Upstream::Kind::Direct;
    return fallback;
}

Upstream readUpstream(const Row& row, const std::string& prefix, Upstream::Kind fallback)
{
    Upstream u;
    u.kind = kindFromName(row.text(prefix + "_kind"), fallback);
    u.host = row.text(prefix + "_host");
    u.port = static_cast<std::uint16_t>(row.int32(prefix + "_port"));
    u.username = row.text(prefix + "_user");
    u.password = row.text(prefix + "_pass");
    return u;
}

} // namespace

std::vector<Lease> LeaseTable::read(Poco::Data::RecordSet& rows)
{
    std::vector<Lease> out;
    for (std::size_t i = 0; i < rows.rowCount(); ++i)
    {
        Row row(rows, i);
        Lease l;
        l.id = row.int64("id");
        l.keyId = row.int64("key_id");
        l.http = readUpstream(row, "http", Upstream::Kind::Http);
        l.socks5 = readUpstream(row, "socks", Upstream::Kind::Socks5);
        l.realIp = row.text("real_ip");
        l.location = row.text("location");
        l.region = row.text("region");
        l.obtainedAt = row.int64("obtained_at");
        l.expiresAt = row.int64("expires_at");
        l.nextChangeAt = row.int64("next_change_at");
        l.ttlSeconds = row.int32("ttl_seconds");
        l.reason = row.text("reason");
        l.endedAt = row.int64("ended_at");
        out.push_back(std::move(l));
    }
    return out;
}

std::optional<Lease> LeaseTable::current(std::int64_t keyId)
{
    Poco::Data::RecordSet rows = _db.query(kColumns + "WHERE key_id = ? AND ended_at = 0", keyId);
    auto leases = read(rows);
    if (leases.empty()) return std::nullopt;
    return leases.front();
}

std::vector<Lease> LeaseTable::allCurrent()
{
    Poco::Data::RecordSet rows = _db.query(kColumns + "WHERE ended_at = 0 ORDER BY key_id");
    return read(rows);
}

std::size_t LeaseTable::endCurrent(std::int64_t keyId, EpochMs at)
{
    _db.execute("UPDATE leases SET ended_at = ? WHERE key_id = ? AND ended_at = 0", at, keyId);
    return static_cast<std::size_t>(_db.changes());
}

std::int64_t LeaseTable::insertCurrent(const Lease& l)
{
    _db.execute(
        "INSERT INTO leases(key_id, http_kind, http_host, http_port, http_user, http_pass, socks_kind, socks_host, "
        "socks_port, socks_user, socks_pass, real_ip, location, region, obtained_at, expires_at, next_change_at, "
        "ttl_seconds, reason, ended_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        l.keyId, kindName(l.http.kind), l.http.host, static_cast<int>(l.http.port), l.http.username, l.http.password,
        kindName(l.socks5.kind), l.socks5.host, static_cast<int>(l.socks5.port), l.socks5.username, l.socks5.password,
        l.realIp, l.location, l.region, l.obtainedAt, l.expiresAt, l.nextChangeAt, l.ttlSeconds, l.reason);
    return _db.lastInsertId();
}

std::vector<Lease> LeaseTable::history(std::int64_t keyId, int limit)
{
    Poco::Data::RecordSet rows = _db.query(kColumns + "WHERE key_id = ? ORDER BY obtained_at DESC, id DESC LIMIT ?",
        keyId, limit > 0 ? limit : -1);
    return read(rows);
}

} // namespace steadyproxy::sqlite
