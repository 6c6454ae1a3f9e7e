#pragma once
#include "Database.h"
#include <steadyproxy/sdk/Types.h>

namespace steadyproxy::sqlite {

/// The `settings` table: one row per Settings field (key, value as text), so that a field
/// added later needs no migration and an old file simply lacks it (its default applies).
class SettingsTable
{
public:
    explicit SettingsTable(Database& db): _db(db) {}

    /// The stored settings; a field never saved keeps the default of Settings.
    Settings load();
    /// Writes every field (insert or replace).
    void save(const Settings& settings);

private:
    Database& _db;
};

} // namespace steadyproxy::sqlite
