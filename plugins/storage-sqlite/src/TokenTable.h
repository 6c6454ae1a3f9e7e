#pragma once
#include "Database.h"
#include <steadyproxy/sdk/Types.h>
#include <optional>
#include <vector>

namespace steadyproxy::sqlite {

/// The `api_tokens` table (personal API tokens, stored hashed).
class TokenTable
{
public:
    explicit TokenTable(Database& db): _db(db) {}

    /// Inserts and returns the new id (token.id is ignored).
    std::int64_t insert(const ApiToken& token);
    std::optional<ApiToken> findByHash(const std::string& tokenHash);
    /// The user's tokens, by id.
    std::vector<ApiToken> listOfUser(std::int64_t userId);
    void touch(std::int64_t id, EpochMs lastUsedAt);
    void remove(std::int64_t id);

private:
    std::vector<ApiToken> read(Poco::Data::RecordSet& rows);
    Database& _db;
};

} // namespace steadyproxy::sqlite
