#pragma once
#include "Plugin.h"
#include "Types.h"
#include <string>

namespace steadyproxy {

/// Password hashing and verification for user accounts. Thread-safe.
class SP_API AuthService : public Plugin
{
public:
    /// A new hash of `password` at the plugin's current cost (e.g. "$argon2id$...").
    /// Throws ValidationError(field "password") for a password the policy rejects.
    virtual std::string hashPassword(const std::string& password) const = 0;

    /// Whether `password` matches `hash`; sets `needsRehash` when the hash uses an older
    /// scheme or cost and should be replaced by hashPassword(password). Unknown hash
    /// formats never match.
    virtual bool verifyPassword(const std::string& password, const std::string& hash, bool& needsRehash) const = 0;

    /// Describes the password policy for a person (e.g. "at least 10 characters").
    virtual std::string passwordPolicy() const = 0;
};

} // namespace steadyproxy
