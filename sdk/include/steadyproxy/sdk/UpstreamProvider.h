#pragma once
#include "Plugin.h"
#include "Types.h"
#include <optional>
#include <string>
#include <vector>

namespace steadyproxy {

/// What a provider needs to know about a key. `secret` is the provider key in plaintext:
/// never log it or put it in an error message (mask it as first 8 chars + "..." + last 6).
struct ProviderKey
{
    std::int64_t keyId = 0;
    std::string secret;
    std::string region;
};

/// Hands out upstreams for keys ("give me a lease / the current lease / release").
/// Providers keep no state the kernel depends on; every call may block on the network
/// (the kernel calls them from its worker threads, never from the proxy's event loop) and
/// must give up after the provider's configured timeout. Thread-safe.
///
/// Errors: ProviderError with a kind telling the kernel what to do. Retrying transient
/// faults inside one call is allowed but must stay within the timeout.
class SP_API UpstreamProvider : public Plugin
{
public:
    /// The regions this provider accepts in acquire(); empty = any string.
    virtual std::vector<std::string> regions() const { return {}; }

    /// Checks a secret's form before it is stored (throws ValidationError with field
    /// "secret"). Default: not empty.
    virtual void validateSecret(const std::string& secret) const
    {
        if (secret.empty()) throw ValidationError("secret", "the provider key is empty");
    }

    /// The lease the provider has assigned to this key now, or nullopt when none is.
    virtual std::optional<Lease> current(const ProviderKey& key) = 0;

    /// Asks for a new upstream (or the first one) in `region`. The caller has already
    /// waited for the current lease's nextChangeAt. If the provider still refuses as too
    /// early, throw ProviderError::Kind::TooEarly with retryAt; if it answers with the
    /// unchanged upstream, return it unchanged (the kernel compares).
    virtual Lease acquire(const ProviderKey& key, const std::string& region) = 0;

    /// Gives the key's upstream back (key deleted). Must not throw for "nothing assigned".
    virtual void release(const ProviderKey& key) = 0;
};

} // namespace steadyproxy
