#pragma once
#include <Poco/Data/Binding.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <cstdint>
#include <memory>
#include <string>

namespace steadyproxy::sqlite {

/// One open SQLite connection (a Poco::Data::Session) with the pragmas the store relies on:
/// WAL journal, synchronous=FULL (a commit is on disk before it returns), foreign keys on,
/// and a busy timeout. Not thread-safe: the owner serializes every call (SqliteStorage holds
/// a mutex around it). Poco and SQLite exceptions pass through unchanged.
class Database
{
public:
    /// Creates the file's parent folders, opens (or creates) the file and applies the pragmas.
    Database(const std::string& path, int busyTimeoutMs);
    ~Database();

    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// The absolute path of the database file.
    const std::string& path() const { return _path; }

    /// Runs one statement with the given parameters bound (copied) in order.
    template <class... Args>
    void execute(const std::string& sql, const Args&... args)
    {
        Poco::Data::Statement statement(*_session);
        statement << sql;
        (statement.addBind(Poco::Data::Keywords::bind(args)), ...);
        statement.execute();
    }

    /// Runs one query with the given parameters and returns all its rows.
    template <class... Args>
    Poco::Data::RecordSet query(const std::string& sql, const Args&... args)
    {
        Poco::Data::Statement statement(*_session);
        statement << sql;
        (statement.addBind(Poco::Data::Keywords::bind(args)), ...);
        statement.execute();
        return Poco::Data::RecordSet(statement);
    }

    /// Runs a query whose first column of the first row is an integer; `fallback` if no row.
    template <class... Args>
    std::int64_t queryInt(const std::string& sql, std::int64_t fallback, const Args&... args)
    {
        Poco::Data::RecordSet rows = query(sql, args...);
        if (rows.rowCount() == 0 || rows.value(0, 0).isEmpty()) return fallback;
        return rows.value(0, 0).convert<Poco::Int64>();
    }

    /// The rowid of the last row inserted through this connection.
    std::int64_t lastInsertId();

    /// How many rows the last INSERT, UPDATE or DELETE changed.
    std::int64_t changes();

    /// PRAGMA user_version: the schema version stored in the file header.
    int userVersion();

    /// The underlying Poco session (for callers that need Poco::Data directly).
    Poco::Data::Session& session() { return *_session; }

private:
    std::string _path;
    std::unique_ptr<Poco::Data::Session> _session;
};

} // namespace steadyproxy::sqlite
