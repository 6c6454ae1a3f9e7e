#pragma once
#include "HttpApiSettings.h"
#include <steadyproxy/sdk/Types.h>
#include <Poco/Dynamic/Var.h>
#include <optional>
#include <stdexcept>
#include <string>

namespace steadyproxy::httpapi {

/// An answer that is not what the configuration says it should be (not JSON, a configured
/// field missing or ill-typed). The message names the JSON path and the configuration key;
/// it never quotes the provider key.
class AnswerError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// What one vendor answer says, before it is turned into a lease or an error.
struct Answer
{
    int httpStatus = 0;
    bool success = false;
    Poco::Dynamic::Var root;   ///< the parsed JSON (empty when the body was not JSON)
    std::string code;          ///< the failure's code as text ("" when none)
    std::string message;       ///< the failure's message, UTF-8 ("" when none)
    long long retryAfterMs = -1; ///< the reply's Retry-After, -1 when absent
};

/// Reads an answer of any HTTP status. A 2xx answer must be JSON (AnswerError otherwise);
/// a non-2xx answer that is not JSON is a failure without code or message (it can still
/// match an "http:NNN" error entry). Throws AnswerError when a 2xx answer has no
/// success_path value and no error code or message either.
Answer readAnswer(const HttpApiSettings& settings, int httpStatus, const std::string& body);

/// The fields of a successful answer, checked.
struct ProxyFields
{
    Upstream upstream;          ///< kind from protocol / protocol_path / a scheme prefix
    std::string realIp;         ///< "" when real_ip_path is not configured
    std::string location;
    EpochMs expiresAt = 0;
    EpochMs nextChangeAt = 0;
    int ttlSeconds = 0;
};

/// Reads every configured field of a success. `now` resolves relative times and
/// change_interval_seconds. Throws AnswerError naming the path when a configured field is
/// missing or malformed (username, password and location may be absent).
ProxyFields readProxy(const HttpApiSettings& settings, const Poco::Dynamic::Var& root, EpochMs now);

/// Which configured error list a failure matches. Codes are compared first (exactly,
/// case-insensitive) over every list, then "http:NNN" entries, then message fragments.
enum class FailureKind { Other, KeyNotFound, KeyExpired, TooEarly, NoLease };
FailureKind classify(const HttpApiSettings& settings, const Answer& answer);

/// A time value at `path` written in `unit`, as epoch ms. Throws AnswerError.
EpochMs readTime(const Poco::Dynamic::Var& value, TimeUnit unit, EpochMs now, const std::string& what);

/// The waiting time a message names ("wait 42 s", "in 42 seconds", "2 minutes"), in ms.
std::optional<long long> waitMsIn(const std::string& message);

/// Splits "host:port" / "[v6]:port"; the host must be an IP literal or a DNS name.
/// Throws AnswerError naming `what`.
Upstream parseHostPort(const std::string& what, const std::string& value, Upstream::Kind kind);

} // namespace steadyproxy::httpapi
