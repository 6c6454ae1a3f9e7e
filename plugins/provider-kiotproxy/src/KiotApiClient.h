#pragma once
#include <Poco/Net/Context.h>
#include <Poco/URI.h>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace steadyproxy::kiotproxy {

/// One HTTP answer, whatever its status: the JSON body is read for every status.
struct HttpReply
{
    int status = 0;
    std::string reason;
    std::string body;
    long long retryAfterMs = -1; ///< from a Retry-After header in seconds, -1 when absent
};

/// A fault of one exchange that is worth retrying (network error, timeout, 429, 5xx, broken
/// or incomplete answer). `maybeProcessed` is true when the request may have reached the
/// API and taken effect (it was sent), which matters for /proxies/new.
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

/// Performs single GET calls against the KiotProxy API base (http or https). Holds no
/// connection between calls; thread-safe after construction.
class KiotApiClient
{
public:
    using Query = std::vector<std::pair<std::string, std::string>>;

    /// `apiBase` like "https://api.kiotproxy.com/api/v1". Throws std::invalid_argument
    /// saying what is wrong with it.
    explicit KiotApiClient(const std::string& apiBase);

    /// GET <apiBase>/<path>?<query>, giving up after `timeout`. Returns the reply for every
    /// HTTP status; throws ApiFault for network faults and timeouts. Error texts never
    /// contain the query (it carries the key).
    HttpReply get(const std::string& path, const Query& query, std::chrono::milliseconds timeout) const;

    /// "GET http://host:port/api/v1/<path>" for messages (no query).
    std::string describe(const std::string& path) const;

    const std::string& base() const { return _base; }

private:
    std::string _base;   ///< without a trailing slash
    Poco::URI _uri;
    bool _https = false;
    Poco::Net::Context::Ptr _tls;
};

} // namespace steadyproxy::kiotproxy
