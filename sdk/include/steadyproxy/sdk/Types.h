#pragma once
#include "Time.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

/// Plain value types exchanged between the kernel and plugins. They own all their data
/// (no pointers into plugin memory), are copyable, and carry no behaviour beyond small
/// helpers. Secrets are held as "sealed" strings (encrypted by the kernel) except where a
/// field's comment says otherwise.

namespace steadyproxy {

/// Where an endpoint sends its traffic.
struct Upstream
{
    enum class Kind
    {
        Http,   ///< an HTTP proxy: CONNECT for tunnels, absolute-form for plain HTTP
        Socks5, ///< a SOCKS5 proxy (RFC 1928), optional username/password (RFC 1929)
        Direct  ///< no proxy: only when an endpoint is explicitly configured so
    };

    Kind kind = Kind::Http;
    std::string host;     ///< IP literal or host name of the upstream proxy
    std::uint16_t port = 0;
    std::string username; ///< plaintext, may be empty; may contain '@', ':' and '%'
    std::string password; ///< plaintext, may be empty

    /// "http://host:port", "socks5://host:port" or "direct"; never includes credentials.
    std::string describe() const
    {
        if (kind == Kind::Direct) return "direct";
        std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
        return std::string(kind == Kind::Http ? "http://" : "socks5://") + h + ":" + std::to_string(port);
    }
    bool operator==(const Upstream& o) const
    {
        return kind == o.kind && host == o.host && port == o.port && username == o.username && password == o.password;
    }
};

/// The upstream a provider has currently assigned to a key. A key has at most one current
/// lease; older ones are history.
struct Lease
{
    std::int64_t id = 0;      ///< storage id, 0 before it is stored
    std::int64_t keyId = 0;
    Upstream http;            ///< the provider's HTTP proxy address (kind Http); port 0 if none
    Upstream socks5;          ///< the provider's SOCKS5 address (kind Socks5); port 0 if none
    std::string realIp;       ///< the exit IP the provider announces
    std::string location;     ///< UTF-8, as the provider sent it (e.g. "Phú Thọ")
    std::string region;       ///< the region asked for ("bac", "trung", "nam", "random", ...)
    EpochMs obtainedAt = 0;   ///< when the kernel received it
    EpochMs expiresAt = 0;    ///< when the provider stops serving this IP (0 = unknown/never)
    EpochMs nextChangeAt = 0; ///< earliest moment the provider allows a change (0 = any time)
    int ttlSeconds = 0;       ///< the whole lifetime the provider announced
    std::string reason;       ///< why it was obtained: "add", "manual", "expiry", "interval", "failure", ...
    EpochMs endedAt = 0;      ///< when it stopped being current (0 while current)

    bool hasHttp() const { return http.port != 0; }
    bool hasSocks5() const { return socks5.port != 0; }
};

/// Global rotation and health settings. Per-key overrides (KeyOverrides) win.
struct Settings
{
    bool autoRotateOnExpiration = true;
    bool autoRotateIntervalEnabled = false;
    int autoRotateIntervalMinutes = 10;   ///< at least 2
    int expiryLeadSeconds = 60;           ///< rotate this long before expiresAt
    int healthCheckIntervalSeconds = 30;
    int failureThreshold = 3;             ///< consecutive failed checks before a failure rotation
    bool rotateOnFailure = true;
    /// Set by storage when these were read from a saved row (false: never saved, the
    /// values are defaults and the kernel may seed them from its configuration).
    bool saved = false;
};

/// Per-key overrides of Settings; an unset field means "use the global value".
struct KeyOverrides
{
    std::optional<bool> autoRotateOnExpiration;
    std::optional<bool> autoRotateIntervalEnabled;
    std::optional<int> autoRotateIntervalMinutes;
    std::optional<bool> rotateOnFailure;

    Settings applyTo(Settings s) const
    {
        if (autoRotateOnExpiration) s.autoRotateOnExpiration = *autoRotateOnExpiration;
        if (autoRotateIntervalEnabled) s.autoRotateIntervalEnabled = *autoRotateIntervalEnabled;
        if (autoRotateIntervalMinutes) s.autoRotateIntervalMinutes = *autoRotateIntervalMinutes;
        if (rotateOnFailure) s.rotateOnFailure = *rotateOnFailure;
        return s;
    }
};

/// A provider API key a user added, together with its endpoint (the two live and die
/// together). subdomain and port never change for the key's life.
struct ProxyKey
{
    std::int64_t id = 0;
    std::int64_t ownerId = 0;         ///< User::id
    std::string name;                 ///< free text, UTF-8
    std::string providerId;           ///< plugin id, e.g. "provider.kiotproxy"
    std::string secretSealed;         ///< the provider key, encrypted by the kernel
    std::string secretMasked;         ///< safe to show: "Ke4bb685...c24c47"
    std::string secretFingerprint;    ///< keyed hash of the secret, for duplicate detection
    std::string region = "random";
    std::string subdomain;            ///< "proxyN"
    std::uint16_t port = 0;           ///< the endpoint's own listening port
    bool active = true;
    std::string endpointUser;         ///< endpoint credentials (username in plaintext)
    std::string endpointPassSealed;   ///< endpoint password, encrypted by the kernel
    std::vector<std::string> allowCidrs; ///< client allow-list; empty = any address (auth still applies)
    KeyOverrides overrides;
    std::string status = "pending";   ///< "pending", "active", "degraded", "error", "waiting", "disabled"
    std::string statusMessage;        ///< why, for a person (UTF-8)
    EpochMs createdAt = 0;
    EpochMs lastRotatedAt = 0;
};

/// An account of the admin application.
struct User
{
    std::int64_t id = 0;
    std::string username;
    std::string passwordHash;  ///< "$argon2id$..." or "$2b$..." (never the password)
    std::string role = "user"; ///< "admin" or "user"
    bool disabled = false;
    EpochMs createdAt = 0;
};

/// A login session. `idHash` is a hash of the cookie value; the cookie itself is never stored.
struct Session
{
    std::string idHash;
    std::int64_t userId = 0;
    std::string csrfToken;
    EpochMs createdAt = 0;
    EpochMs lastSeenAt = 0;
    EpochMs expiresAt = 0;     ///< absolute timeout
};

/// A personal API token (used as `Authorization: Bearer`), stored hashed.
struct ApiToken
{
    std::int64_t id = 0;
    std::int64_t userId = 0;
    std::string name;
    std::string tokenHash;
    EpochMs createdAt = 0;
    EpochMs lastUsedAt = 0;
};

/// One health check of an endpoint.
struct HealthSample
{
    std::int64_t keyId = 0;
    EpochMs at = 0;
    bool ok = false;
    std::string state;     ///< "active", "degraded" or "error"
    int latencyMs = -1;    ///< -1 when the check did not complete
    std::string exitIp;    ///< the address the target saw, when it echoes it
    int httpStatus = 0;
    std::string error;     ///< why it failed, for a person
};

/// What happened, to which key, why, with what result.
struct LogEntry
{
    std::int64_t id = 0;
    std::int64_t keyId = 0;   ///< 0 when not about a key
    std::string action;       ///< "rotate", "add", "delete", "check", "settings", ...
    std::string reason;       ///< "manual", "expiry", "interval", "failure", "add", ...
    std::string region;
    std::string status;       ///< "success", "error", "skipped", ...
    std::string details;      ///< for a person, UTF-8, never a secret
    EpochMs at = 0;
};

/// Filter and page for LogEntry lists; newest first.
struct LogQuery
{
    std::int64_t keyId = 0;   ///< 0 = any key
    std::string action;       ///< empty = any action
    int limit = 100;
    int offset = 0;
};

} // namespace steadyproxy
