#pragma once
#include <string>

namespace steadyproxy::kernel {

/// Encrypts secrets at rest (provider keys, endpoint passwords) with AES-256-GCM under a
/// master key kept outside the database. Thread-safe after construction.
///
/// Sealed form: "v1:" + base64(12-byte nonce | ciphertext | 16-byte tag).
class SecretBox
{
public:
    /// Uses the 32-byte key given base64-encoded in `encodedKey` if not empty; otherwise
    /// reads `keyFile`, creating it (mode 0600, random key) when it does not exist.
    /// Throws Error when the key is malformed or the file unusable (e.g. group-readable).
    SecretBox(const std::string& encodedKey, const std::string& keyFile);
    /// A box with a given raw 32-byte key (tests).
    explicit SecretBox(const std::string& rawKey);

    std::string seal(const std::string& plaintext) const;
    /// Throws Error when the value was not sealed with this master key or was altered.
    std::string open(const std::string& sealed) const;
    /// A keyed hash (HMAC-SHA256, hex) of `secret`, for finding duplicates without decrypting.
    std::string fingerprint(const std::string& secret) const;

    /// `bytes` random bytes from the OS.
    static std::string randomBytes(std::size_t bytes);
    /// A random token of `bytes` random bytes, URL-safe base64 without padding.
    static std::string randomToken(std::size_t bytes);
    /// SHA-256 hex digest.
    static std::string sha256Hex(const std::string& data);

private:
    std::string _key;
};

} // namespace steadyproxy::kernel
