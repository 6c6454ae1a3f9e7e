#include "KeyTable.h"
#include "KeyJson.h"
#include "Row.h"

namespace steadyproxy::sqlite {

namespace {
const std::string kColumns =
    "SELECT id, owner_id, name, provider_id, secret_sealed, secret_masked, secret_fingerprint, region, subdomain, "
    "port, active, endpoint_user, endpoint_pass_sealed, allow_cidrs, overrides, status, status_message, created_at, "
    "last_rotated_at FROM proxy_keys ";
}

std::vector<ProxyKey> KeyTable::read(Poco::Data::RecordSet& rows)
{
    std::vector<ProxyKey> out;
    for (std::size_t i = 0; i < rows.rowCount(); ++i)
    {
        Row row(rows, i);
        ProxyKey k;
        k.id = row.int64("id");
        k.ownerId = row.int64("owner_id");
        k.name = row.text("name");
        k.providerId = row.text("provider_id");
        k.secretSealed = row.text("secret_sealed");
        k.secretMasked = row.text("secret_masked");
        k.secretFingerprint = row.text("secret_fingerprint");
        k.region = row.text("region");
        k.subdomain = row.text("subdomain");
        k.port = static_cast<std::uint16_t>(row.int32("port"));
        k.active = row.boolean("active");
        k.endpointUser = row.text("endpoint_user");
        k.endpointPassSealed = row.text("endpoint_pass_sealed");
        k.allowCidrs = KeyJson::allowCidrsFromJson(row.text("allow_cidrs"));
        k.overrides = KeyJson::overridesFromJson(row.text("overrides"));
        k.status = row.text("status");
        k.statusMessage = row.text("status_message");
        k.createdAt = row.int64("created_at");
        k.lastRotatedAt = row.int64("last_rotated_at");
        out.push_back(std::move(k));
    }
    return out;
}

std::vector<ProxyKey> KeyTable::list()
{
    Poco::Data::RecordSet rows = _db.query(kColumns + "ORDER BY id");
    return read(rows);
}

std::optional<ProxyKey> KeyTable::find(std::int64_t id)
{
    Poco::Data::RecordSet rows = _db.query(kColumns + "WHERE id = ?", id);
    auto keys = read(rows);
    if (keys.empty()) return std::nullopt;
    return keys.front();
}

bool KeyTable::exists(std::int64_t id)
{
    return _db.queryInt("SELECT COUNT(*) FROM proxy_keys WHERE id = ?", 0, id) > 0;
}

std::int64_t KeyTable::insert(const ProxyKey& k)
{
    _db.execute(
        "INSERT INTO proxy_keys(owner_id, name, provider_id, secret_sealed, secret_masked, secret_fingerprint, region, "
        "subdomain, port, active, endpoint_user, endpoint_pass_sealed, allow_cidrs, overrides, status, status_message, "
        "created_at, last_rotated_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        k.ownerId, k.name, k.providerId, k.secretSealed, k.secretMasked, k.secretFingerprint, k.region,
        k.subdomain, static_cast<int>(k.port), k.active ? 1 : 0, k.endpointUser, k.endpointPassSealed,
        KeyJson::allowCidrsToJson(k.allowCidrs), KeyJson::overridesToJson(k.overrides), k.status, k.statusMessage,
        k.createdAt, k.lastRotatedAt);
    return _db.lastInsertId();
}

bool KeyTable::update(const ProxyKey& k)
{
    _db.execute(
        "UPDATE proxy_keys SET name = ?, region = ?, active = ?, endpoint_user = ?, endpoint_pass_sealed = ?, "
        "allow_cidrs = ?, overrides = ?, status = ?, status_message = ?, secret_sealed = ?, secret_masked = ?, "
        "secret_fingerprint = ? WHERE id = ?",
        k.name, k.region, k.active ? 1 : 0, k.endpointUser, k.endpointPassSealed,
        KeyJson::allowCidrsToJson(k.allowCidrs), KeyJson::overridesToJson(k.overrides), k.status, k.statusMessage,
        k.secretSealed, k.secretMasked, k.secretFingerprint, k.id);
    return _db.changes() > 0;
}

bool KeyTable::setLastRotatedAt(std::int64_t id, EpochMs at)
{
    _db.execute("UPDATE proxy_keys SET last_rotated_at = ? WHERE id = ?", at, id);
    return _db.changes() > 0;
}

bool KeyTable::remove(std::int64_t id)
{
    _db.execute("DELETE FROM proxy_keys WHERE id = ?", id);
    return _db.changes() > 0;
}

} // namespace steadyproxy::sqlite
