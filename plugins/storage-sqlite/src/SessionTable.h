#pragma once
#include "Database.h"
#include <steadyproxy/sdk/Types.h>
#include <optional>

namespace steadyproxy::sqlite {

/// The `sessions` table (login sessions, keyed by the hash of the cookie).
class SessionTable
{
public:
    explicit SessionTable(Database& db): _db(db) {}

    void insert(const Session& session);
    std::optional<Session> find(const std::string& idHash);
    void touch(const std::string& idHash, EpochMs lastSeenAt);
    void remove(const std::string& idHash);
    void removeOfUser(std::int64_t userId);
    /// Deletes sessions with expiresAt < now; returns how many.
    std::size_t purge(EpochMs now);

private:
    Database& _db;
};

} // namespace steadyproxy::sqlite
