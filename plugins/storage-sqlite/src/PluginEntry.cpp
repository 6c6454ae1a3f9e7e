// The library's exported entry points.
#include "SqliteStorage.h"

using steadyproxy::sqlite::SqliteStorage;

STEADYPROXY_PLUGIN(SqliteStorage, "storage.sqlite", "1.0.0", "", "SQLite store through Poco::Data")
