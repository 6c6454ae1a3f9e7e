#pragma once
#include <Poco/Dynamic/Var.h>
#include <string>

namespace steadyproxy::httpapi {

/// Whether `path` is a dotted JSON path: names separated by '.', each optionally followed
/// by [n] array indexes ("result.proxy.host", "data.items[0].ip", "[0].ip"). Names cannot
/// contain '.', '[' or ']'.
bool validJsonPath(const std::string& path);

/// The value at `path` in `root` (parsed with Poco::JSON::Parser), or an empty Var when
/// any step is missing, null, or of the wrong kind. Uses Poco::JSON::Query.
Poco::Dynamic::Var lookup(const Poco::Dynamic::Var& root, const std::string& path);

} // namespace steadyproxy::httpapi
