#pragma once
#include "Database.h"
#include <steadyproxy/sdk/Types.h>
#include <optional>
#include <vector>

namespace steadyproxy::sqlite {

/// The `users` table.
class UserTable
{
public:
    explicit UserTable(Database& db): _db(db) {}

    /// Every user, by id.
    std::vector<User> list();
    std::optional<User> find(std::int64_t id);
    std::optional<User> findByName(const std::string& username);
    /// Inserts and returns the new id (user.id is ignored).
    std::int64_t insert(const User& user);
    /// Replaces every field but id and createdAt; returns false if the id does not exist.
    bool update(const User& user);
    /// Deletes the user (their sessions and tokens go by ON DELETE CASCADE) and hands their
    /// keys to owner 0; returns false if the id does not exist.
    bool remove(std::int64_t id);
    std::size_t count();

private:
    std::vector<User> select(const std::string& where, std::int64_t id, const std::string& name);
    Database& _db;
};

} // namespace steadyproxy::sqlite
