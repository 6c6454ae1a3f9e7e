#include "UserTable.h"
#include "Row.h"

namespace steadyproxy::sqlite {

std::vector<User> UserTable::select(const std::string& where, std::int64_t id, const std::string& name)
{
    const std::string columns = "SELECT id, username, password_hash, role, disabled, created_at FROM users ";
    Poco::Data::RecordSet rows = where.empty() ? _db.query(columns + "ORDER BY id")
        : where == "id" ? _db.query(columns + "WHERE id = ?", id)
        : _db.query(columns + "WHERE username = ?", name);
    std::vector<User> out;
    for (std::size_t i = 0; i < rows.rowCount(); ++i)
    {
        Row row(rows, i);
        User u;
        u.id = row.int64("id");
        u.username = row.text("username");
        u.passwordHash = row.text("password_hash");
        u.role = row.text("role");
        u.disabled = row.boolean("disabled");
        u.createdAt = row.int64("created_at");
        out.push_back(std::move(u));
    }
    return out;
}

std::vector<User> UserTable::list()
{
    return select("", 0, "");
}

std::optional<User> UserTable::find(std::int64_t id)
{
    auto users = select("id", id, "");
    if (users.empty()) return std::nullopt;
    return users.front();
}

std::optional<User> UserTable::findByName(const std::string& username)
{
    auto users = select("username", 0, username);
    if (users.empty()) return std::nullopt;
    return users.front();
}

std::int64_t UserTable::insert(const User& u)
{
    _db.execute("INSERT INTO users(username, password_hash, role, disabled, created_at) VALUES(?, ?, ?, ?, ?)",
        u.username, u.passwordHash, u.role, u.disabled ? 1 : 0, u.createdAt);
    return _db.lastInsertId();
}

bool UserTable::update(const User& u)
{
    _db.execute("UPDATE users SET username = ?, password_hash = ?, role = ?, disabled = ? WHERE id = ?",
        u.username, u.passwordHash, u.role, u.disabled ? 1 : 0, u.id);
    return _db.changes() > 0;
}

bool UserTable::remove(std::int64_t id)
{
    _db.execute("DELETE FROM users WHERE id = ?", id);
    if (_db.changes() == 0) return false;
    _db.execute("UPDATE proxy_keys SET owner_id = 0 WHERE owner_id = ?", id);
    return true;
}

std::size_t UserTable::count()
{
    return static_cast<std::size_t>(_db.queryInt("SELECT COUNT(*) FROM users", 0));
}

} // namespace steadyproxy::sqlite
