#include "KiotApiClient.h"
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/NumberParser.h>
#include <Poco/Timespan.h>
#include <istream>
#include <memory>

namespace steadyproxy::kiotproxy {

namespace {

constexpr std::size_t kMaxBody = 1 << 20; // an API answer is a few hundred bytes

std::string readBody(std::istream& in)
{
    std::string body;
    char buf[8192];
    while (in)
    {
        in.read(buf, sizeof buf);
        body.append(buf, static_cast<std::size_t>(in.gcount()));
        if (body.size() > kMaxBody) throw ApiFault("the answer is larger than 1 MiB", true);
    }
    return body;
}

} // namespace

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
    _https = _uri.getScheme() == "https";
    if (_https)
    {
        // Verify the server against the system's CAs (VERIFY_RELAXED checks the chain and
        // Poco's extended verification checks the host name).
        _tls = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "",
                                      Poco::Net::Context::VERIFY_RELAXED, 9, true);
    }
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

    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (_https)
        session = std::make_unique<Poco::Net::HTTPSClientSession>(_uri.getHost(), _uri.getPort(), _tls);
    else
        session = std::make_unique<Poco::Net::HTTPClientSession>(_uri.getHost(), _uri.getPort());
    const Poco::Timespan span(static_cast<Poco::Timespan::TimeDiff>(std::max<long long>(timeout.count(), 1)) * 1000);
    session->setTimeout(span, span, span);
    session->setKeepAlive(false);

    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "application/json");
    request.set("User-Agent", "steadyproxy-provider-kiotproxy/1.0");

    bool sent = false;
    try
    {
        session->sendRequest(request);
        sent = true;
        Poco::Net::HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        HttpReply reply;
        reply.status = static_cast<int>(response.getStatus());
        reply.reason = response.getReason();
        if (response.has("Retry-After"))
        {
            int seconds = 0;
            if (Poco::NumberParser::tryParse(response.get("Retry-After"), seconds) && seconds >= 0)
                reply.retryAfterMs = static_cast<long long>(seconds) * 1000;
        }
        reply.body = readBody(in);
        return reply;
    }
    catch (const ApiFault&)
    {
        throw;
    }
    catch (const Poco::TimeoutException&)
    {
        throw ApiFault(std::string(sent ? "no answer" : "could not connect") + " within " +
                       std::to_string(timeout.count()) + " ms", sent);
    }
    catch (const Poco::Net::ConnectionRefusedException&)
    {
        throw ApiFault("connection refused by " + _uri.getAuthority() + " (is the API reachable?)", false);
    }
    catch (const Poco::Net::NoMessageException&)
    {
        throw ApiFault("the connection was closed without an answer", sent);
    }
    catch (const Poco::Exception& e)
    {
        throw ApiFault(std::string(sent ? "the exchange failed: " : "could not connect: ") + e.displayText(), sent);
    }
    catch (const std::exception& e)
    {
        throw ApiFault(std::string("the exchange failed: ") + e.what(), sent);
    }
}

} // namespace steadyproxy::kiotproxy
