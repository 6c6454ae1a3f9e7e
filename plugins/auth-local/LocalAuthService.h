#pragma once
#include "Argon2Hasher.h"
#include "PasswordPolicy.h"
#include <steadyproxy/sdk/Auth.h>

namespace steadyproxy::auth {

/// The `auth.local` plugin: hashes new passwords with Argon2id at OWASP's cost and verifies
/// Argon2 and bcrypt hashes (bcrypt ones, imported from KiotProxy Manager, always ask for a
/// rehash). Configured once before use; afterwards every method is const and thread-safe.
class LocalAuthService : public AuthService
{
public:
    LocalAuthService();

    std::vector<ConfigOption> configOptions() const override;
    /// Reads argon2.memory_kib, argon2.iterations, argon2.parallelism, password.min_length.
    /// Throws ConfigError for costs below OWASP's minimum.
    void configure(const Poco::Util::AbstractConfiguration& config) override;

    std::string hashPassword(const std::string& password) const override;
    bool verifyPassword(const std::string& password, const std::string& hash, bool& needsRehash) const override;
    std::string passwordPolicy() const override;

private:
    Argon2Hasher _argon2;
    PasswordPolicy _policy;
};

} // namespace steadyproxy::auth
