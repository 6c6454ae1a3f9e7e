#pragma once
#include <functional>
#include <string>

namespace steadyproxy::sqlite {

/// Receives SQLite's text of a constraint violation (e.g. "UNIQUE constraint failed:
/// proxy_keys.port") and throws the sdk error that tells a person what is taken or missing.
/// If it returns, a generic ConflictError is thrown.
using ConstraintHandler = std::function<void(const std::string& sqliteMessage)>;

/// Call only inside a catch block: rethrows the exception being handled as an sdk error.
/// steadyproxy::Error passes unchanged; a constraint violation goes to `onConstraint`
/// (ConflictError by default); any other Poco or standard exception becomes StorageError
/// naming `operation` (e.g. "add key proxy3") and the database path.
[[noreturn]] void rethrowAsSdkError(const std::string& operation, const std::string& dbPath,
    const ConstraintHandler& onConstraint = {});

/// True when `sqliteMessage` names the column `table.column` (as SQLite reports UNIQUE
/// and NOT NULL failures).
bool namesColumn(const std::string& sqliteMessage, const std::string& tableDotColumn);

/// True when `sqliteMessage` is a foreign key failure.
bool isForeignKeyFailure(const std::string& sqliteMessage);

} // namespace steadyproxy::sqlite
