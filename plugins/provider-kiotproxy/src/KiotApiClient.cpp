#include "KiotApiClient.h"
#include <Poco/Exception.h>
#include <stdexcept>

namespace steadyproxy::kiotproxy {

KiotApiClient::KiotApiClient(const std::string& apiBase)
{
    std::string base = apiBase;
    while (!base.empty() && base.back() == '/') base.pop_back();
    try
    {
        _uri = Poco::URI(base);
    }
    catch (const Poco::Exception& e)
    {
        throw std::invalid_argument("'" + apiBase + "' is not a URL: " + e.message());
    }
    if (_uri.getScheme() != "http" && _uri.getScheme() != "https")
        throw std::invalid_argument("'" + apiBase + "' must start with http:// or https://");
    if (_uri.getHost().empty())
        throw std::invalid_argument("'" + apiBase + "' names no host");
    if (!_uri.getRawQuery().empty() || !_uri.getFragment().empty() || !_uri.getUserInfo().empty())
        throw std::invalid_argument("'" + apiBase + "' must not carry a query, fragment or user info");
    _base = base;
}

std::string KiotApiClient::describe(const std::string& path) const
{
    return "GET " + _base + "/" + path;
}

HttpReply KiotApiClient::get(const std::string& path, const Query& query, std::chrono::milliseconds timeout) const
{
    Poco::URI uri(_uri);
    uri.setPath(_uri.getPath() + "/" + path);
    for (const auto& [name, value] : query) uri.addQueryParameter(name, value);
    return _http.send("GET", uri, "", {}, timeout);
}

} // namespace steadyproxy::kiotproxy
