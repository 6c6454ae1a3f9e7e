#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace steadyproxy::auth {

/// Cost parameters of an Argon2 hash.
struct Argon2Params
{
    std::uint32_t memoryKiB = 19456; ///< OWASP (2023+): 19 MiB
    std::uint32_t iterations = 2;
    std::uint32_t parallelism = 1;
};

/// What an encoded "$argon2{i,d,id}$v=..$m=..,t=..,p=..$salt$hash" string says about itself.
struct Argon2Encoded
{
    std::string variant;   ///< "argon2id", "argon2i" or "argon2d"
    std::uint32_t version = 0x10;
    Argon2Params params;
};

/// Argon2id hashing and Argon2 verification through libargon2. Stateless apart from the
/// parameters; thread-safe.
class Argon2Hasher
{
public:
    static constexpr std::size_t SaltBytes = 16;
    static constexpr std::size_t HashBytes = 32;
    /// Encoded hashes asking for more memory than this are treated as malformed, so that a
    /// bad row cannot make a login allocate gigabytes.
    static constexpr std::uint32_t MaxMemoryKiB = 1u << 20;
    static constexpr std::uint32_t MaxIterations = 64;

    explicit Argon2Hasher(Argon2Params params = {});

    /// A new "$argon2id$v=19$..." hash with a fresh random salt. Throws steadyproxy::Error
    /// if the library fails (out of memory).
    std::string hash(const std::string& password) const;

    /// Whether `encoded` is an Argon2 hash of `password`. Malformed input never matches and
    /// never throws. Sets `needsRehash` when the hash is weaker than the current parameters.
    bool verify(const std::string& password, const std::string& encoded, bool& needsRehash) const;

    /// Parses the header of an encoded hash; nullopt when it is not one this class accepts.
    static std::optional<Argon2Encoded> parse(const std::string& encoded);

    /// Whether a string looks like an Argon2 hash at all ("$argon2").
    static bool isArgon2(const std::string& encoded);

    const Argon2Params& params() const { return _params; }

private:
    Argon2Params _params;
};

} // namespace steadyproxy::auth
