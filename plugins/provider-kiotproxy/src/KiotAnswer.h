#pragma once
#include <steadyproxy/sdk/Time.h>
#include <steadyproxy/sdk/Types.h>
#include <Poco/Dynamic/Var.h>
#include <optional>
#include <stdexcept>
#include <string>

namespace steadyproxy::kiotproxy {

/// An answer that is not what the API promises (broken JSON, missing or ill-typed field).
/// The message says what was wrong, for a person; it never quotes the key.
class AnswerError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// The common frame of every KiotProxy answer:
/// {"success", "code", "status", "timestamp", "data"} or {"success": false, "error", "message", ...}.
struct Envelope
{
    bool success = false;
    long long code = 0;
    std::string status;     ///< "SUCCESS" / "FAIL"
    std::string error;      ///< e.g. "KEY_NOT_FOUND" (failures)
    std::string message;    ///< UTF-8, as sent (failures)
    EpochMs timestamp = 0;  ///< the API's clock, 0 when absent
    Poco::Dynamic::Var data;
};

/// Parses a body into its envelope. Throws AnswerError when it is not JSON, not an object,
/// or has no boolean "success".
Envelope parseEnvelope(const std::string& body);

/// The proxy an answer of /proxies/new or /proxies/current describes.
struct ProxyData
{
    Upstream http;            ///< kind Http; port 0 when the answer has none
    Upstream socks5;          ///< kind Socks5; port 0 when the answer has none
    std::string realIp;
    std::string location;     ///< UTF-8 as sent, "" when absent
    EpochMs expirationAt = 0;
    EpochMs nextRequestAt = 0;
    int ttl = 0;
    int ttc = -1;             ///< -1 when absent
};

/// Validates every field of a success's `data` and returns them. `requireHttp` /
/// `requireSocks5` say which address must be present. Throws AnswerError naming the
/// field and what was wrong.
ProxyData parseProxyData(const Poco::Dynamic::Var& data, bool requireHttp, bool requireSocks5);

/// Splits "host:port" ("[v6]:port" too); the host must be an IP literal or a DNS name and
/// the port 1..65535. Throws AnswerError naming `field`.
Upstream parseHostPort(const std::string& field, const std::string& value, Upstream::Kind kind);

/// Failure classification, by `error` name, `code` or message text.
bool isKeyNotFound(const Envelope& e);
bool isKeyExpired(const Envelope& e);
bool isNoProxy(const Envelope& e);
/// True when the failure says a change is not allowed yet (by name or by its words).
bool looksTooEarly(const Envelope& e);
/// The waiting time a message names ("... 42 giây", "wait 42 seconds", "2 minutes"), in ms.
std::optional<long long> waitMsIn(const std::string& message);

} // namespace steadyproxy::kiotproxy
