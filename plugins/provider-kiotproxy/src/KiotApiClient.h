#pragma once
#include <steadyproxy/sdk/HttpCall.h>
#include <Poco/URI.h>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace steadyproxy::kiotproxy {

/// GET calls against the KiotProxy API base (http or https), one at a time through the
/// sdk's HttpCall (HttpReply and ApiFault come from there). Thread-safe after construction.
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
    std::string _base; ///< without a trailing slash
    Poco::URI _uri;
    HttpCall _http{"steadyproxy-provider-kiotproxy/1.0"};
};

} // namespace steadyproxy::kiotproxy
