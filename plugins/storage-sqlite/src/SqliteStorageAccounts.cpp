// SqliteStorage: settings, users, sessions and API tokens.
#include "SessionTable.h"
#include "SettingsTable.h"
#include "SqliteStorage.h"
#include "TokenTable.h"
#include "Transaction.h"
#include "UserTable.h"

namespace steadyproxy::sqlite {

namespace {

ConstraintHandler userConflict(const std::string& username)
{
    return [username](const std::string& message) {
        if (namesColumn(message, "users.username"))
            throw ConflictError("the user name \"" + username + "\" is already taken; choose another");
    };
}

ConstraintHandler needsUser(std::int64_t userId, const std::string& taken)
{
    return [userId, taken](const std::string& message) {
        if (isForeignKeyFailure(message))
            throw NotFoundError("user " + std::to_string(userId) + " does not exist");
        throw ConflictError(taken);
    };
}

} // namespace

Settings SqliteStorage::loadSettings()
{
    return locked("load settings", [](Database& db) { return SettingsTable(db).load(); });
}

void SqliteStorage::saveSettings(const Settings& settings, const LogEntry& log)
{
    locked("save settings", [&](Database& db) {
        Transaction tx(db);
        SettingsTable(db).save(settings);
        writeLog(db, log);
        tx.commit();
    });
}

std::vector<User> SqliteStorage::listUsers()
{
    return locked("list users", [](Database& db) { return UserTable(db).list(); });
}

std::optional<User> SqliteStorage::findUser(std::int64_t id)
{
    return locked("find user " + std::to_string(id), [id](Database& db) { return UserTable(db).find(id); });
}

std::optional<User> SqliteStorage::findUserByName(const std::string& username)
{
    return locked("find user \"" + username + "\"", [&](Database& db) { return UserTable(db).findByName(username); });
}

std::int64_t SqliteStorage::addUser(const User& user)
{
    return locked("add user \"" + user.username + "\"", [&](Database& db) { return UserTable(db).insert(user); },
        userConflict(user.username));
}

void SqliteStorage::updateUser(const User& user)
{
    locked("update user " + std::to_string(user.id), [&](Database& db) {
        Transaction tx(db);
        if (!UserTable(db).update(user)) throw NotFoundError("user " + std::to_string(user.id) + " does not exist");
        tx.commit();
    }, userConflict(user.username));
}

void SqliteStorage::removeUser(std::int64_t id)
{
    locked("remove user " + std::to_string(id), [id](Database& db) {
        Transaction tx(db);
        // Explicit although ON DELETE CASCADE would do it: the intent stays visible here.
        SessionTable(db).removeOfUser(id);
        db.execute("DELETE FROM api_tokens WHERE user_id = ?", id);
        if (!UserTable(db).remove(id)) throw NotFoundError("user " + std::to_string(id) + " does not exist");
        tx.commit();
    });
}

std::size_t SqliteStorage::countUsers()
{
    return locked("count users", [](Database& db) { return UserTable(db).count(); });
}

void SqliteStorage::addSession(const Session& session)
{
    locked("add a session for user " + std::to_string(session.userId),
        [&](Database& db) { SessionTable(db).insert(session); },
        needsUser(session.userId, "a session with this id already exists"));
}

std::optional<Session> SqliteStorage::findSession(const std::string& idHash)
{
    return locked("find a session", [&](Database& db) { return SessionTable(db).find(idHash); });
}

void SqliteStorage::touchSession(const std::string& idHash, EpochMs lastSeenAt)
{
    locked("touch a session", [&](Database& db) { SessionTable(db).touch(idHash, lastSeenAt); });
}

void SqliteStorage::removeSession(const std::string& idHash)
{
    locked("remove a session", [&](Database& db) { SessionTable(db).remove(idHash); });
}

void SqliteStorage::removeSessionsOfUser(std::int64_t userId)
{
    locked("remove the sessions of user " + std::to_string(userId),
        [userId](Database& db) { SessionTable(db).removeOfUser(userId); });
}

std::size_t SqliteStorage::purgeSessions(EpochMs now)
{
    return locked("purge sessions", [now](Database& db) { return SessionTable(db).purge(now); });
}

std::int64_t SqliteStorage::addToken(const ApiToken& token)
{
    return locked("add API token \"" + token.name + "\"", [&](Database& db) { return TokenTable(db).insert(token); },
        needsUser(token.userId, "an API token with this hash already exists"));
}

std::optional<ApiToken> SqliteStorage::findTokenByHash(const std::string& tokenHash)
{
    return locked("find an API token", [&](Database& db) { return TokenTable(db).findByHash(tokenHash); });
}

std::vector<ApiToken> SqliteStorage::listTokens(std::int64_t userId)
{
    return locked("list the API tokens of user " + std::to_string(userId),
        [userId](Database& db) { return TokenTable(db).listOfUser(userId); });
}

void SqliteStorage::touchToken(std::int64_t id, EpochMs lastUsedAt)
{
    locked("touch API token " + std::to_string(id), [&](Database& db) { TokenTable(db).touch(id, lastUsedAt); });
}

void SqliteStorage::removeToken(std::int64_t id)
{
    locked("remove API token " + std::to_string(id), [id](Database& db) { TokenTable(db).remove(id); });
}

} // namespace steadyproxy::sqlite
