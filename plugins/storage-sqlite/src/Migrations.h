#pragma once
#include "Database.h"
#include <string>
#include <vector>

namespace steadyproxy::sqlite {

/// One step of the schema: the statements that take a database from version-1 to version.
struct Migration
{
    int version;
    std::string description;
    std::vector<std::string> statements;
};

/// The versioned schema of storage.sqlite, recorded in PRAGMA user_version. Each migration
/// runs in its own transaction together with the version bump, so a crash leaves the
/// database at the previous version, never between two.
class Migrations
{
public:
    /// Every migration, oldest first; versions are 1, 2, 3, ... without gaps.
    static const std::vector<Migration>& all();

    /// The version a fully migrated database has.
    static int latestVersion();

    /// Applies the migrations the database lacks. Throws StorageError when the database was
    /// written by a newer version of the plugin (its user_version is above latestVersion()).
    /// Returns the number of migrations applied (0 when already current).
    static int apply(Database& db);
};

} // namespace steadyproxy::sqlite
