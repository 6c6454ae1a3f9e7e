#pragma once
#include "Export.h"
#include <stdexcept>
#include <string>

namespace steadyproxy {

/// Base of every error the sdk defines. The message is meant for a person: what failed,
/// with which input, and what to do about it. Never put a secret in a message.
class SP_API Error : public std::runtime_error
{
public:
    explicit Error(const std::string& message): std::runtime_error(message) {}
};

/// A configuration value is missing, malformed or out of range. `key` is the full
/// configuration path (for example `plugins.provider.kiotproxy.api_base`).
class SP_API ConfigError : public Error
{
public:
    ConfigError(const std::string& key, const std::string& message):
        Error(key.empty() ? message : key + ": " + message), _key(key) {}
    const std::string& key() const { return _key; }
private:
    std::string _key;
};

/// A value given by a user or a peer is invalid. `field` names what was wrong
/// (an API field name, a CLI argument, a protocol element).
class SP_API ValidationError : public Error
{
public:
    ValidationError(const std::string& field, const std::string& message):
        Error(message), _field(field) {}
    const std::string& field() const { return _field; }
private:
    std::string _field;
};

/// The thing asked for does not exist (a key id, a user name, a session).
class SP_API NotFoundError : public Error
{
public:
    using Error::Error;
};

/// The change conflicts with what is stored (a duplicate user name, key or port).
class SP_API ConflictError : public Error
{
public:
    using Error::Error;
};

/// The storage back-end failed (I/O, corruption, locked). Nothing was written.
class SP_API StorageError : public Error
{
public:
    using Error::Error;
};

/// A provider call failed. kind() says what the kernel should do about it.
class SP_API ProviderError : public Error
{
public:
    enum class Kind
    {
        Transient,   ///< network fault, timeout, 429, 5xx, broken answer: retry later with backoff
        TooEarly,    ///< the provider will not change the upstream before retryAt()
        KeyNotFound, ///< the provider does not know this key: stop calling for it
        KeyExpired,  ///< the key's subscription ran out: stop calling for it
        NoLease,     ///< the key has no upstream assigned right now (ask for a new one)
        Rejected     ///< any other refusal the provider explained (message says why)
    };

    /// `retryAt` is an epoch-ms hint for Transient and TooEarly (0 when unknown).
    ProviderError(Kind kind, const std::string& message, long long retryAt = 0):
        Error(message), _kind(kind), _retryAt(retryAt) {}
    Kind kind() const { return _kind; }
    long long retryAt() const { return _retryAt; }
    /// True when calling again for the same key cannot help until a person acts.
    bool isPermanent() const { return _kind == Kind::KeyNotFound || _kind == Kind::KeyExpired; }
private:
    Kind _kind;
    long long _retryAt;
};

} // namespace steadyproxy
