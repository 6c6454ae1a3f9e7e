#pragma once
// One HTTP(S) request to a vendor's API, for provider plugins. Uses Poco::Net and
// Poco::NetSSL: a plugin that includes this links Poco::Net and Poco::NetSSL.
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
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
#include <chrono>
#include <istream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace steadyproxy {

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
/// taken effect at the vendor (which matters for a call that hands out a new upstream).
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

/// Performs single HTTP(S) requests: no connection is kept between calls; thread-safe after
/// construction. https is verified against the system's CAs and the host name. Error texts
/// name the host and port, never the URL's path or query (they may carry a key). Answers
/// over 1 MiB are refused.
class HttpCall
{
public:
    using Headers = std::vector<std::pair<std::string, std::string>>;

    explicit HttpCall(std::string userAgent):
        _userAgent(std::move(userAgent)),
        // VERIFY_RELAXED checks the chain against the system's CAs; Poco's extended
        // verification checks the host name.
        _tls(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_RELAXED, 9, true))
    {
    }

    /// Sends `method uri` with `body` (when not empty or for POST, as application/json
    /// unless `headers` name a Content-Type), giving up after `timeout`. Returns the reply
    /// for every HTTP status; throws ApiFault for network faults and timeouts.
    HttpReply send(const std::string& method, const Poco::URI& uri, const std::string& body, const Headers& headers,
                   std::chrono::milliseconds timeout) const
    {
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
        request.set("User-Agent", _userAgent);
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
                               std::to_string(timeout.count()) + " ms",
                           sent);
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
                               (sent ? " failed: " : ": ") + e.displayText(),
                           sent);
        }
        catch (const std::exception& e)
        {
            throw ApiFault("the exchange with " + authority + " failed: " + e.what(), sent);
        }
    }

private:
    static std::string readBody(std::istream& in)
    {
        constexpr std::size_t maxBody = 1 << 20; // an API answer is a few hundred bytes
        std::string body;
        char buf[8192];
        while (in)
        {
            in.read(buf, sizeof buf);
            body.append(buf, static_cast<std::size_t>(in.gcount()));
            if (body.size() > maxBody) throw ApiFault("the answer is larger than 1 MiB", true);
        }
        return body;
    }

    std::string _userAgent;
    Poco::Net::Context::Ptr _tls;
};

} // namespace steadyproxy
