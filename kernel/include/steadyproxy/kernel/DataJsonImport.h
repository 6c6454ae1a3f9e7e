#pragma once
#include <Poco/JSON/Object.h>

namespace steadyproxy::kernel {

class Kernel;

/// Imports the earlier KiotProxy Manager's data.json (format: shared compat page):
/// settings, users (bcrypt hashes kept: they verify and are re-hashed at next login),
/// keys (subdomain, port, region and name kept; provider key encrypted) and the logs of the
/// keys it imports. Not all-or-nothing: each item is stored in its own transaction, and
/// the report says what was imported and what was skipped and why. Running it again
/// changes nothing (existing users, keys and unchanged settings are skipped).
///
/// Report: {"imported": {"settings": 0|1, "users": N, "keys": N, "logs": N},
///          "skipped": [{"what": "...", "why": "..."}]}
/// Throws ValidationError when `data` is not a data.json at all.
Poco::JSON::Object::Ptr importDataJson(Kernel& kernel, const Poco::JSON::Object::Ptr& data);

} // namespace steadyproxy::kernel
