#pragma once
#include <string>

namespace steadyproxy::auth {

/// Verifies bcrypt hashes ("$2a$", "$2b$", "$2y$") such as those in an imported data.json,
/// through libxcrypt's crypt_r. Stateless; thread-safe.
class BcryptVerifier
{
public:
    /// Hashes with a cost above this are treated as malformed (a cost of 31 would keep a
    /// login thread busy for days).
    static constexpr int MaxCost = 20;

    /// Whether `hash` has the bcrypt shape: prefix, two-digit cost 04..MaxCost, 53 characters
    /// of bcrypt's base64 alphabet.
    static bool isBcrypt(const std::string& hash);

    /// Whether `hash` is a bcrypt hash of `password`. Malformed input never matches and never
    /// throws. The result is compared in constant time.
    static bool verify(const std::string& password, const std::string& hash);
};

} // namespace steadyproxy::auth
