#include "TokenTable.h"
#include "Row.h"

namespace steadyproxy::sqlite {

namespace {
const std::string kColumns = "SELECT id, user_id, name, token_hash, created_at, last_used_at FROM api_tokens ";
}

std::vector<ApiToken> TokenTable::read(Poco::Data::RecordSet& rows)
{
    std::vector<ApiToken> out;
    for (std::size_t i = 0; i < rows.rowCount(); ++i)
    {
        Row row(rows, i);
        ApiToken t;
        t.id = row.int64("id");
        t.userId = row.int64("user_id");
        t.name = row.text("name");
        t.tokenHash = row.text("token_hash");
        t.createdAt = row.int64("created_at");
        t.lastUsedAt = row.int64("last_used_at");
        out.push_back(std::move(t));
    }
    return out;
}

std::int64_t TokenTable::insert(const ApiToken& t)
{
    _db.execute("INSERT INTO api_tokens(user_id, name, token_hash, created_at, last_used_at) VALUES(?, ?, ?, ?, ?)",
        t.userId, t.name, t.tokenHash, t.createdAt, t.lastUsedAt);
    return _db.lastInsertId();
}

std::optional<ApiToken> TokenTable::findByHash(const std::string& tokenHash)
{
    Poco::Data::RecordSet rows = _db.query(kColumns + "WHERE token_hash = ?", tokenHash);
    auto tokens = read(rows);
    if (tokens.empty()) return std::nullopt;
    return tokens.front();
}

std::vector<ApiToken> TokenTable::listOfUser(std::int64_t userId)
{
    Poco::Data::RecordSet rows = _db.query(kColumns + "WHERE user_id = ? ORDER BY id", userId);
    return read(rows);
}

void TokenTable::touch(std::int64_t id, EpochMs lastUsedAt)
{
    _db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", lastUsedAt, id);
}

void TokenTable::remove(std::int64_t id)
{
    _db.execute("DELETE FROM api_tokens WHERE id = ?", id);
}

} // namespace steadyproxy::sqlite
