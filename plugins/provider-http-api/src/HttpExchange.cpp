#include "HttpExchange.h"
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <algorithm>
#include <istream>
#include <memory>

namespace steadyproxy::httpapi {

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

HttpExchange::HttpExchange():
    // VERIFY_RELAXED checks the chain against the system's CAs; Poco's extended
    // verification checks the host name.
    _tls(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_RELAXED, 9, true))
{
}

HttpReply HttpExchange::send(const std::string& method, const std::string& url, const std::string& body,
                             const Headers& headers, std::chrono::milliseconds timeout) const
{
    const Poco::URI uri(url);
    const std::string authority = uri.getHost() + ":" + std::to_string(uri.getPort());
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https")
        session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), _tls);
    else
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    const Poco::Timespan span(static_cast<Poco::Timespan::TimeDiff>(std::max<long long>(timeout.count(), 1)) * 1000);
    session->setTimeout(span, span, span);
    session->setKeepAlive(false);

    std::string target = uri.getPathEtc();
    if (target.empty()) target = "/";
    Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "application/json");
    request.set("User-Agent", "steadyproxy-provider-http-api/1.0");
    if (!body.empty() || method == "POST")
    {
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    for (const auto& [name, value] : headers) request.set(name, value);

    bool sent = false;
    try
    {
        std::ostream& out = session->sendRequest(request);
        out << body;
        out.flush();
        sent = true;
        Poco::Net::HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        HttpReply reply;
        reply.status = static_cast<int>(response.getStatus());
        reply.reason = response.getReason();
        if (response.has("Retry-After"))
        {
            int seconds = 0;
            if (Poco::NumberParser::tryParse(Poco::trim(response.get("Retry-After")), seconds) && seconds >= 0)
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
        throw ApiFault(std::string(sent ? "no answer from " : "could not connect to ") + authority + " within " +
                           std::to_string(timeout.count()) + " ms", sent);
    }
    catch (const Poco::Net::ConnectionRefusedException&)
    {
        throw ApiFault("connection refused by " + authority + " (is the API reachable?)", false);
    }
    catch (const Poco::Net::NoMessageException&)
    {
        throw ApiFault(authority + " closed the connection without an answer", sent);
    }
    catch (const Poco::Exception& e)
    {
        throw ApiFault(std::string(sent ? "the exchange with " : "could not connect to ") + authority +
                           (sent ? " failed: " : ": ") + e.displayText(), sent);
    }
    catch (const std::exception& e)
    {
        throw ApiFault("the exchange with " + authority + " failed: " + e.what(), sent);
    }
}

} // namespace steadyproxy::httpapi
