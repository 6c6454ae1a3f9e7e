#pragma once
#include <Poco/Net/Context.h>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace steadyproxy::httpapi {

/// One HTTP answer, whatever its status: the body is read for every status.
struct HttpReply
{
    int status = 0;
    std::string reason;
    std::string body;
    long long retryAfterMs = -1; ///< from a Retry-After header in seconds, -1 when absent
};

/// A fault of one exchange that is worth retrying (network error, timeout, 429, 5xx, broken
/// or incomplete answer). `maybeProcessed` is true when the request was sent and may have
/// taken effect at the vendor (which matters for "new").
class ApiFault : public std::runtime_error
{
public:
    ApiFault(const std::string& what, bool maybeProcessed, long long retryAfterMs = -1):
        std::runtime_error(what), _maybeProcessed(maybeProcessed), _retryAfterMs(retryAfterMs) {}
    bool maybeProcessed() const { return _maybeProcessed; }
    long long retryAfterMs() const { return _retryAfterMs; }
private:
    bool _maybeProcessed;
    long long _retryAfterMs;
};

/// Performs single HTTP(S) requests. Holds no connection between calls; thread-safe after
/// construction. Error texts name the host, never the URL's path or query (they may carry
/// the key).
class HttpExchange
{
public:
    using Headers = std::vector<std::pair<std::string, std::string>>;

    /// Prepares a TLS client context (system CAs, host name checked) for https URLs.
    HttpExchange();

    /// Sends `method url` with `body` (when not empty, as application/json unless `headers`
    /// name a Content-Type), giving up after `timeout`. Returns the reply for every HTTP
    /// status; throws ApiFault for network faults and timeouts.
    HttpReply send(const std::string& method, const std::string& url, const std::string& body,
                   const Headers& headers, std::chrono::milliseconds timeout) const;

private:
    Poco::Net::Context::Ptr _tls;
};

} // namespace steadyproxy::httpapi
