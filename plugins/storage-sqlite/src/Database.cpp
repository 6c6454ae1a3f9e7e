#include "Database.h"
#include <Poco/Data/SQLite/SessionImpl.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <steadyproxy/sdk/Errors.h>

namespace steadyproxy::sqlite {

Database::Database(const std::string& path, int busyTimeoutMs):
    _path(path)
{
    Poco::Path file(path);
    Poco::Path parent = file.parent();
    if (!parent.toString().empty()) Poco::File(parent).createDirectories();

    // Constructed directly rather than through the SessionFactory so that the plugin does not
    // register a process-wide connector it would have to unregister on stop().
    // SessionImpl's timeout is in seconds; the exact busy timeout is set by the pragma below.
    Poco::AutoPtr<Poco::Data::SessionImpl> impl(
        new Poco::Data::SQLite::SessionImpl(path, static_cast<std::size_t>((busyTimeoutMs + 999) / 1000)));
    _session = std::make_unique<Poco::Data::Session>(impl);

    std::int64_t timeout = busyTimeoutMs;
    queryInt("PRAGMA busy_timeout = " + std::to_string(timeout), 0);
    Poco::Data::RecordSet mode = query("PRAGMA journal_mode = WAL");
    std::string journal = mode.rowCount() ? mode.value(0, 0).convert<std::string>() : "";
    if (journal != "wal")
        throw StorageError("cannot use write-ahead logging on " + path + " (journal mode is \"" + journal +
            "\"); put the database on a local file system");
    execute("PRAGMA synchronous = FULL");
    execute("PRAGMA foreign_keys = ON");
    if (queryInt("PRAGMA foreign_keys", 0) != 1)
        throw StorageError("this SQLite library cannot enforce foreign keys; storage.sqlite needs them");
}

Database::~Database()
{
    try
    {
        if (_session) _session->close();
    }
    catch (...)
    {
    }
}

std::int64_t Database::lastInsertId()
{
    return queryInt("SELECT last_insert_rowid()", 0);
}

std::int64_t Database::changes()
{
    return queryInt("SELECT changes()", 0);
}

int Database::userVersion()
{
    return static_cast<int>(queryInt("PRAGMA user_version", 0));
}

} // namespace steadyproxy::sqlite
