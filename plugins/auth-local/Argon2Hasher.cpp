#include "Argon2Hasher.h"
#include <steadyproxy/sdk/Errors.h>
#include <Poco/NumberParser.h>
#include <Poco/RandomStream.h>
#include <Poco/StringTokenizer.h>
#include <argon2.h>
#include <vector>

namespace steadyproxy::auth {

namespace {

bool parseUInt(const std::string& text, const std::string& prefix, std::uint32_t& out)
{
    if (text.compare(0, prefix.size(), prefix) != 0) return false;
    std::string digits = text.substr(prefix.size());
    if (digits.empty() || digits.size() > 10) return false;
    for (char c : digits)
        if (c < '0' || c > '9') return false;
    unsigned long long v = std::stoull(digits);
    if (v > 0xFFFFFFFFull) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
}

} // namespace

Argon2Hasher::Argon2Hasher(Argon2Params params): _params(params)
{
}

std::string Argon2Hasher::hash(const std::string& password) const
{
    unsigned char salt[SaltBytes];
    Poco::RandomInputStream random;
    random.read(reinterpret_cast<char*>(salt), sizeof salt);
    if (random.gcount() != static_cast<std::streamsize>(sizeof salt))
        throw Error("auth.local: could not read random bytes for a password salt");

    std::size_t length = argon2_encodedlen(_params.iterations, _params.memoryKiB, _params.parallelism,
        SaltBytes, HashBytes, Argon2_id);
    std::vector<char> encoded(length + 1, '\0');
    int rc = argon2id_hash_encoded(_params.iterations, _params.memoryKiB, _params.parallelism,
        password.data(), password.size(), salt, sizeof salt, HashBytes, encoded.data(), encoded.size());
    if (rc != ARGON2_OK)
        throw Error(std::string("auth.local: Argon2id hashing failed: ") + argon2_error_message(rc) +
            " (check argon2.memory_kib against the memory available)");
    return std::string(encoded.data());
}

bool Argon2Hasher::isArgon2(const std::string& encoded)
{
    return encoded.compare(0, 7, "$argon2") == 0;
}

std::optional<Argon2Encoded> Argon2Hasher::parse(const std::string& encoded)
{
    // $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>  (the "v=" field is absent in v1.0 hashes)
    if (!isArgon2(encoded) || encoded.size() > 512) return std::nullopt;
    Poco::StringTokenizer parts(encoded, "$");
    // parts[0] is the empty text before the first '$'.
    std::size_t i = 1;
    if (parts.count() < 5) return std::nullopt;
    Argon2Encoded out;
    out.variant = parts[i++];
    if (out.variant != "argon2id" && out.variant != "argon2i" && out.variant != "argon2d") return std::nullopt;
    if (parts[i].compare(0, 2, "v=") == 0)
    {
        if (!parseUInt(parts[i++], "v=", out.version)) return std::nullopt;
    }
    if (parts.count() != i + 3) return std::nullopt;
    Poco::StringTokenizer costs(parts[i], ",");
    if (costs.count() != 3) return std::nullopt;
    if (!parseUInt(costs[0], "m=", out.params.memoryKiB) || !parseUInt(costs[1], "t=", out.params.iterations) ||
        !parseUInt(costs[2], "p=", out.params.parallelism))
        return std::nullopt;
    if (out.params.memoryKiB > MaxMemoryKiB || out.params.iterations > MaxIterations || out.params.parallelism > 64 ||
        out.params.iterations == 0 || out.params.parallelism == 0)
        return std::nullopt;
    if (parts[i + 1].empty() || parts[i + 2].empty()) return std::nullopt;
    return out;
}

bool Argon2Hasher::verify(const std::string& password, const std::string& encoded, bool& needsRehash) const
{
    needsRehash = false;
    std::optional<Argon2Encoded> header = parse(encoded);
    if (!header) return false;
    argon2_type type = header->variant == "argon2id" ? Argon2_id : header->variant == "argon2i" ? Argon2_i : Argon2_d;
    // argon2_verify recomputes with the encoded parameters and compares in constant time.
    if (argon2_verify(encoded.c_str(), password.data(), password.size(), type) != ARGON2_OK) return false;

    const Argon2Params& p = header->params;
    needsRehash = type != Argon2_id || header->version != ARGON2_VERSION_13 ||
        p.memoryKiB < _params.memoryKiB || p.iterations < _params.iterations;
    return true;
}

} // namespace steadyproxy::auth
