#include "LocalAuthService.h"
#include "BcryptVerifier.h"

namespace steadyproxy::auth {

namespace {

const std::string Section = "plugins.auth.local.";

std::uint32_t readCost(const Poco::Util::AbstractConfiguration& config, const std::string& key, int def, int min, int max)
{
    int v = config.getInt(key, def);
    if (v < min || v > max)
        throw ConfigError(Section + key, "is " + std::to_string(v) + "; use a value from " + std::to_string(min) +
            " to " + std::to_string(max) + " (OWASP's minimum for Argon2id is m=19456, t=2, p=1)");
    return static_cast<std::uint32_t>(v);
}

} // namespace

LocalAuthService::LocalAuthService() = default;

std::vector<ConfigOption> LocalAuthService::configOptions() const
{
    return {
        ConfigOption::integer("argon2.memory_kib", 19456, 19456, Argon2Hasher::MaxMemoryKiB, "Argon2id memory cost in KiB (OWASP: 19456)"),
        ConfigOption::integer("argon2.iterations", 2, 2, Argon2Hasher::MaxIterations, "Argon2id time cost, passes over memory (OWASP: 2)"),
        ConfigOption::integer("argon2.parallelism", 1, 1, 16, "Argon2id lanes (OWASP: 1)"),
        ConfigOption::integer("password.min_length", 10, 8, 256, "Minimum length of a new password, in characters"),
    };
}

void LocalAuthService::configure(const Poco::Util::AbstractConfiguration& config)
{
    Argon2Params p;
    p.memoryKiB = readCost(config, "argon2.memory_kib", 19456, 19456, static_cast<int>(Argon2Hasher::MaxMemoryKiB));
    p.iterations = readCost(config, "argon2.iterations", 2, 2, static_cast<int>(Argon2Hasher::MaxIterations));
    p.parallelism = readCost(config, "argon2.parallelism", 1, 1, 16);
    int minLength = config.getInt("password.min_length", 10);
    if (minLength < 8 || minLength > 256)
        throw ConfigError(Section + "password.min_length", "is " + std::to_string(minLength) + "; use 8 to 256");
    _argon2 = Argon2Hasher(p);
    _policy = PasswordPolicy(static_cast<std::size_t>(minLength));
}

std::string LocalAuthService::hashPassword(const std::string& password) const
{
    _policy.check(password);
    return _argon2.hash(password);
}

bool LocalAuthService::verifyPassword(const std::string& password, const std::string& hash, bool& needsRehash) const
{
    needsRehash = false;
    try
    {
        if (Argon2Hasher::isArgon2(hash)) return _argon2.verify(password, hash, needsRehash);
        if (BcryptVerifier::isBcrypt(hash))
        {
            bool ok = BcryptVerifier::verify(password, hash);
            needsRehash = ok; // bcrypt is only accepted for imported accounts: move them to Argon2id
            return ok;
        }
    }
    catch (...)
    {
        // The contract is "unknown or malformed never matches": never let a bad row throw.
        needsRehash = false;
    }
    return false;
}

std::string LocalAuthService::passwordPolicy() const
{
    return _policy.describe();
}

} // namespace steadyproxy::auth

STEADYPROXY_PLUGIN(steadyproxy::auth::LocalAuthService, "auth.local", "1.0.0", "",
    "Local accounts: Argon2id password hashes, imported bcrypt hashes verified and upgraded")
