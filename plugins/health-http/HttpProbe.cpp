#include "HttpProbe.h"
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Exception.h>
#include <chrono>
#include <memory>
#ifdef STEADYPROXY_HEALTH_HTTPS
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#endif

namespace steadyproxy::health {

namespace {

using Clock = std::chrono::steady_clock;

std::string hostPort(const std::string& host, unsigned port)
{
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

int elapsedMs(Clock::time_point since)
{
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

#ifdef STEADYPROXY_HEALTH_HTTPS
Poco::Net::Context::Ptr clientContext()
{
    // One context for every check: it only holds the trusted CAs and the TLS settings.
    static Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
        Poco::Net::Context::VERIFY_RELAXED, 9, true);
    return context;
}
#endif

} // namespace

HttpProbe::HttpProbe(const Poco::URI& url, int timeoutMs): _url(url), _timeoutMs(timeoutMs)
{
}

std::string HttpProbe::displayUrl() const
{
    Poco::URI shown(_url);
    shown.setUserInfo("");
    return shown.toString();
}

ProbeResponse HttpProbe::fetch(const HealthTarget& target) const
{
    ProbeResponse r;
    const std::string endpoint = hostPort(target.proxyHost, target.proxyPort);
    const Clock::time_point started = Clock::now();
    try
    {
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
#ifdef STEADYPROXY_HEALTH_HTTPS
        if (_url.getScheme() == "https")
            session = std::make_unique<Poco::Net::HTTPSClientSession>(_url.getHost(), _url.getPort(), clientContext());
#endif
        if (!session)
        {
            if (_url.getScheme() != "http")
            {
                r.error = "cannot check " + displayUrl() + ": this build supports only http:// check URLs";
                return r;
            }
            session = std::make_unique<Poco::Net::HTTPClientSession>(_url.getHost(), _url.getPort());
        }
        Poco::Net::HTTPClientSession::ProxyConfig proxy;
        proxy.host = target.proxyHost;
        proxy.port = target.proxyPort;
        proxy.username = target.username;
        proxy.password = target.password;
        session->setProxyConfig(proxy);
        session->setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(_timeoutMs) * 1000));
        session->setKeepAlive(false);

        std::string path = _url.getPathAndQuery();
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path.empty() ? "/" : path,
            Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("User-Agent", "steadyproxy-health/1.0");
        request.set("Accept", "application/json, text/plain;q=0.9, */*;q=0.1");
        request.setKeepAlive(false);
        session->sendRequest(request);

        Poco::Net::HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        in.exceptions(std::ios::badbit); // surface socket errors (timeouts) as exceptions
        char buffer[8192];
        while (r.body.size() < MaxBody && in)
        {
            if (elapsedMs(started) > _timeoutMs) throw Poco::TimeoutException("body too slow");
            in.read(buffer, static_cast<std::streamsize>(std::min(sizeof buffer, MaxBody - r.body.size())));
            r.body.append(buffer, static_cast<std::size_t>(in.gcount()));
        }
        r.latencyMs = elapsedMs(started);
        if (r.latencyMs > _timeoutMs) throw Poco::TimeoutException("answer too slow");
        r.answered = true;
        r.status = static_cast<int>(response.getStatus());
        r.reason = response.getReason();
    }
    catch (const Poco::TimeoutException&)
    {
        r = ProbeResponse();
        r.error = "no complete answer within " + std::to_string(_timeoutMs) + " ms through the endpoint " + endpoint +
            " for " + displayUrl() + " (timeout)";
    }
    catch (const Poco::Net::ConnectionRefusedException&)
    {
        r = ProbeResponse();
        r.error = "cannot connect to the endpoint " + endpoint + ": connection refused (is its listener running?)";
    }
    catch (const Poco::Exception& e)
    {
        r = ProbeResponse();
        std::string text = e.displayText();
        // CONNECT refused by the endpoint (https:// URLs): Poco reports the proxy's reason.
        if (text.find("Proxy Authentication Required") != std::string::npos)
        {
            r.answered = true;
            r.status = 407;
            r.reason = "Proxy Authentication Required";
            r.latencyMs = elapsedMs(started);
            return r;
        }
        r.error = "request for " + displayUrl() + " through the endpoint " + endpoint + " failed: " + text;
    }
    catch (const std::exception& e)
    {
        r = ProbeResponse();
        r.error = "request for " + displayUrl() + " through the endpoint " + endpoint + " failed: " + e.what();
    }
    return r;
}

} // namespace steadyproxy::health
