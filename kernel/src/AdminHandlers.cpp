#include "AdminHandlers.h"
#include <steadyproxy/kernel/AdminServer.h>
#include <steadyproxy/kernel/Kernel.h>
#include <steadyproxy/kernel/api/Routes.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/NetException.h>
#include <Poco/Path.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <condition_variable>
#include <deque>
#include <sstream>

namespace steadyproxy::kernel {

namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void securityHeaders(HTTPServerResponse& response)
{
    response.set("X-Content-Type-Options", "nosniff");
    response.set("X-Frame-Options", "DENY");
    response.set("Referrer-Policy", "no-referrer");
    response.set("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
                 "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
}

void sendJson(HTTPServerResponse& response, int status, const Poco::Dynamic::Var& body)
{
    std::ostringstream out;
    if (body.isEmpty())
        out << "null";
    else
        Poco::JSON::Stringifier::stringify(body, out);
    std::string text = out.str();
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentType("application/json; charset=utf-8");
    response.set("Cache-Control", "no-store");
    securityHeaders(response);
    response.sendBuffer(text.data(), text.size());
}

void sendError(HTTPServerResponse& response, const api::ApiError& e)
{
    Poco::JSON::Object::Ptr error = new Poco::JSON::Object;
    error->set("status", e.status);
    error->set("code", e.code);
    error->set("message", std::string(e.what()));
    if (!e.field.empty()) error->set("field", e.field);
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("error", error);
    for (const auto& [name, value] : e.headers) response.set(name, value);
    sendJson(response, e.status, body);
}

bool trusted(AdminServer& server, const HTTPServerRequest& request)
{
    std::string peer = request.clientAddress().host().toString();
    for (const auto& t : server.kernel().options().trustedProxies)
        if (t == peer) return true;
    return false;
}

std::string clientAddress(AdminServer& server, const HTTPServerRequest& request)
{
    std::string peer = request.clientAddress().host().toString();
    if (trusted(server, request) && request.has("X-Forwarded-For"))
    {
        std::string chain = request.get("X-Forwarded-For");
        std::string last = Poco::trim(chain.substr(chain.rfind(',') == std::string::npos ? 0 : chain.rfind(',') + 1));
        if (!last.empty() && last.size() < 64) return last;
    }
    return peer;
}

bool isSecure(AdminServer& server, const HTTPServerRequest& request)
{
    return request.secure() ||
           (trusted(server, request) && Poco::icompare(request.get("X-Forwarded-Proto", ""), "https") == 0);
}

bool sameSecret(const std::string& a, const std::string& b)
{
    if (a.size() != b.size() || a.empty()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

/// Fills the caller from a Bearer token or the session cookie.
void authenticate(AdminServer& server, HTTPServerRequest& http, api::ApiRequest& r)
{
    std::string authorization = http.get("Authorization", "");
    if (Poco::icompare(authorization.substr(0, 7), "Bearer ") == 0)
    {
        r.user = server.sessions().fromToken(Poco::trim(authorization.substr(7)));
        if (!r.user) throw api::ApiError(401, "unauthenticated", "the API token is unknown or revoked");
        return;
    }
    Poco::Net::NameValueCollection cookies;
    http.getCookies(cookies);
    for (const char* name : {"__Host-sp_session", "sp_session"})
    {
        if (!cookies.has(name)) continue;
        r.sessionCookie = cookies.get(name);
        if (auto found = server.sessions().fromCookie(r.sessionCookie))
        {
            r.user = found->first;
            r.session = found->second;
            return;
        }
    }
}

std::string readBody(HTTPServerRequest& request, int limit)
{
    if (request.hasContentLength() && request.getContentLength64() > limit)
        throw api::ApiError(413, "body_too_large", "the body is larger than " + std::to_string(limit) + " bytes");
    std::string body;
    std::istream& in = request.stream();
    char buffer[8192];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
    {
        body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (body.size() > static_cast<std::size_t>(limit))
            throw api::ApiError(413, "body_too_large", "the body is larger than " + std::to_string(limit) + " bytes");
    }
    return body;
}

api::ApiRequest buildRequest(AdminServer& server, HTTPServerRequest& http)
{
    api::ApiRequest r;
    r.http = &http;
    r.method = http.getMethod();
    Poco::URI uri;
    try
    {
        uri = Poco::URI(http.getURI());
        for (const auto& [k, v] : uri.getQueryParameters()) r.query[k] = v;
    }
    catch (const Poco::Exception& e)
    {
        throw api::ApiError(400, "bad_request", "the request URI is malformed: " + e.message());
    }
    r.path = uri.getPath();
    r.clientAddress = clientAddress(server, http);
    r.secure = isSecure(server, http);
    return r;
}

class ApiHandler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit ApiHandler(AdminServer& server): _server(server) {}

    void handleRequest(HTTPServerRequest& http, HTTPServerResponse& response) override
    {
        Poco::Logger& log = Poco::Logger::get("kernel.admin");
        try
        {
            api::ApiRequest r = buildRequest(_server, http);
            bool pathKnown = false;
            const api::Route* route = _server.router().match(r.method, r.path, r.params, pathKnown);
            if (!route)
            {
                if (pathKnown) throw api::ApiError(405, "method_not_allowed", r.method + " is not allowed on " + r.path);
                throw api::ApiError(404, "not_found", "no such resource: " + r.path);
            }
            r.body = readBody(http, _server.kernel().options().maxBodyBytes);
            if (route->access != api::Access::Public)
            {
                authenticate(_server, http, r);
                if (!r.user) throw api::ApiError(401, "unauthenticated", "log in first (POST /api/auth/login) or send a Bearer token");
                if (route->access == api::Access::Admin && !r.isAdmin())
                    throw api::ApiError(403, "forbidden", "only admins may do this");
                bool changes = r.method != "GET" && r.method != "HEAD";
                if (changes && route->csrf && r.session && !sameSecret(http.get("X-CSRF-Token", ""), r.session->csrfToken))
                    throw api::ApiError(403, "csrf", "the X-CSRF-Token header is missing or wrong (get it from /api/auth/me)");
            }
            api::ApiResponse answer = route->handler(r);
            for (const auto& [name, value] : answer.headers) response.set(name, value);
            for (const auto& cookie : answer.cookies) response.addCookie(cookie);
            sendJson(response, answer.status, answer.body);
        }
        catch (const api::ApiError& e)
        {
            sendError(response, e);
        }
        catch (const ValidationError& e)
        {
            sendError(response, api::ApiError(422, "invalid_value", e.what(), e.field()));
        }
        catch (const NotFoundError& e)
        {
            sendError(response, api::ApiError(404, "not_found", e.what()));
        }
        catch (const ConflictError& e)
        {
            sendError(response, api::ApiError(409, "conflict", e.what()));
        }
        catch (const ProviderError& e)
        {
            sendError(response, api::ApiError(502, "provider_error", e.what()));
        }
        catch (const std::exception& e)
        {
            log.error(http.getMethod() + " " + http.getURI() + " failed: " + e.what());
            if (!response.sent()) sendError(response, api::ApiError(500, "internal", e.what()));
        }
    }

private:
    AdminServer& _server;
};

class HealthHandler : public Poco::Net::HTTPRequestHandler
{
public:
    HealthHandler(AdminServer& server, std::string path): _server(server), _path(std::move(path)) {}
    void handleRequest(HTTPServerRequest&, HTTPServerResponse& response) override
    {
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        bool ok = !_server.stopping();
        if (_path != "/health/live")
        {
            Poco::JSON::Object::Ptr plugins = new Poco::JSON::Object;
            for (const auto& p : _server.kernel().plugins().plugins())
            {
                plugins->set(p.id, p.started ? "started" : "stopped");
                ok = ok && p.started;
            }
            body->set("plugins", plugins);
            try
            {
                _server.kernel().storage().countUsers();
                body->set("store", "open");
            }
            catch (const std::exception& e)
            {
                ok = false;
                body->set("store", std::string("failing: ") + e.what());
            }
        }
        body->set("status", ok ? "ok" : "unavailable");
        sendJson(response, ok ? 200 : 503, body);
    }
private:
    AdminServer& _server;
    std::string _path;
};

class EventStreamHandler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit EventStreamHandler(AdminServer& server): _server(server) {}

    void handleRequest(HTTPServerRequest& http, HTTPServerResponse& response) override
    {
        api::ApiRequest r;
        try
        {
            r = buildRequest(_server, http);
            if (r.method != "GET") throw api::ApiError(405, "method_not_allowed", "use GET for /api/events");
            authenticate(_server, http, r);
            if (!r.user) throw api::ApiError(401, "unauthenticated", "log in first");
            if (_server.streams.load() >= 16) throw api::ApiError(503, "busy", "too many event streams are open");
        }
        catch (const api::ApiError& e)
        {
            sendError(response, e);
            return;
        }
        ++_server.streams;
        std::mutex mutex;
        std::condition_variable ready;
        std::deque<Event> queue;
        Kernel& kernel = _server.kernel();
        bool admin = r.isAdmin();
        std::int64_t userId = r.user->id;
        auto subscription = kernel.events().subscribe([&](const Event& e) {
            if (!admin && e.keyId)
            {
                try
                {
                    if (kernel.keys().get(e.keyId).key.ownerId != userId) return;
                }
                catch (const std::exception&)
                {
                    return;
                }
            }
            std::lock_guard<std::mutex> lock(mutex);
            if (queue.size() < 1000) queue.push_back(e);
            ready.notify_one();
        });
        try
        {
            response.setContentType("text/event-stream; charset=utf-8");
            response.set("Cache-Control", "no-store");
            response.set("X-Accel-Buffering", "no");
            response.setChunkedTransferEncoding(false);
            response.setKeepAlive(false);
            std::ostream& out = response.send();
            out << "retry: 3000\n: connected\n\n" << std::flush;
            int idle = 0;
            while (out.good() && !_server.stopping())
            {
                std::unique_lock<std::mutex> lock(mutex);
                ready.wait_for(lock, std::chrono::seconds(1), [&] { return !queue.empty(); });
                std::deque<Event> batch;
                batch.swap(queue);
                lock.unlock();
                for (const auto& e : batch)
                {
                    Poco::JSON::Object data;
                    data.set("type", e.type);
                    data.set("key_id", e.keyId);
                    data.set("at", api::isoTime(e.at));
                    for (const auto& [k, v] : e.data) data.set(k, v);
                    std::ostringstream json;
                    data.stringify(json);
                    out << "event: " << e.type << "\ndata: " << json.str() << "\n\n";
                }
                if (batch.empty() && ++idle >= 15)
                {
                    out << ": keepalive\n\n";
                    idle = 0;
                }
                out.flush();
            }
        }
        catch (const std::exception&)
        {
        }
        kernel.events().unsubscribe(subscription);
        --_server.streams;
    }

private:
    AdminServer& _server;
};

/// Whether `address` lies in one of `cidrs` ("10.0.0.0/8", "::1/128", or a bare address).
bool inCidrs(const std::string& address, const std::vector<std::string>& cidrs)
{
    Poco::Net::IPAddress ip;
    if (!Poco::Net::IPAddress::tryParse(address, ip)) return false;
    if (ip.family() == Poco::Net::IPAddress::IPv6 && ip.isIPv4Mapped())
        ip = Poco::Net::IPAddress(address.substr(address.rfind(':') + 1));
    for (const auto& cidr : cidrs)
    {
        std::string base = cidr.substr(0, cidr.find('/'));
        Poco::Net::IPAddress net;
        if (!Poco::Net::IPAddress::tryParse(base, net) || net.family() != ip.family()) continue;
        unsigned bits = cidr.find('/') == std::string::npos ? (net.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128)
                                                             : static_cast<unsigned>(std::stoul(cidr.substr(cidr.find('/') + 1)));
        Poco::Net::IPAddress mask(bits, net.family());
        if ((ip & mask) == (net & mask)) return true;
    }
    return false;
}

class MetricsHandler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit MetricsHandler(AdminServer& server): _server(server) {}
    void handleRequest(HTTPServerRequest& http, HTTPServerResponse& response) override
    {
        try
        {
            api::ApiRequest r = buildRequest(_server, http);
            if (!inCidrs(r.clientAddress, _server.kernel().options().metricsAllow))
            {
                authenticate(_server, http, r);
                if (!r.user) throw api::ApiError(401, "unauthenticated", "metrics need a login or token from this address");
            }
            std::string text = _server.kernel().metrics().render(_server.kernel());
            response.setContentType("text/plain; version=0.0.4; charset=utf-8");
            response.set("Cache-Control", "no-store");
            response.sendBuffer(text.data(), text.size());
        }
        catch (const api::ApiError& e)
        {
            sendError(response, e);
        }
        catch (const std::exception& e)
        {
            if (!response.sent()) sendError(response, api::ApiError(500, "internal", e.what()));
        }
    }
private:
    AdminServer& _server;
};

class StaticHandler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit StaticHandler(AdminServer& server): _server(server) {}

    void handleRequest(HTTPServerRequest& http, HTTPServerResponse& response) override
    {
        securityHeaders(response);
        if (http.getMethod() != "GET" && http.getMethod() != "HEAD")
        {
            sendError(response, api::ApiError(405, "method_not_allowed", "the web pages answer GET only"));
            return;
        }
        std::string root = _server.wwwDir();
        if (root.empty())
        {
            response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
            response.setContentType("text/plain; charset=utf-8");
            response.send() << "The web pages are not built. Run: npm ci --prefix www && npm run build --prefix www\n";
            return;
        }
        std::string path;
        try
        {
            Poco::URI::decode(Poco::URI(http.getURI()).getPath(), path);
        }
        catch (const Poco::Exception&)
        {
            path = "/";
        }
        if (path.find("..") != std::string::npos || path.find('\0') != std::string::npos) path = "/";
        std::string file = root + (path == "/" ? "/index.html" : path);
        Poco::File f(file);
        bool page = path.find('.', path.rfind('/') == std::string::npos ? 0 : path.rfind('/')) == std::string::npos;
        if (!f.exists() || !f.isFile())
        {
            if (!page)
            {
                sendError(response, api::ApiError(404, "not_found", "no such file: " + path));
                return;
            }
            file = root + "/index.html";
        }
        std::string ext = Poco::Path(file).getExtension();
        static const std::map<std::string, std::string> types{
            {"html", "text/html; charset=utf-8"}, {"js", "text/javascript; charset=utf-8"}, {"css", "text/css; charset=utf-8"},
            {"svg", "image/svg+xml"}, {"png", "image/png"}, {"ico", "image/x-icon"}, {"json", "application/json"},
            {"woff2", "font/woff2"}, {"txt", "text/plain; charset=utf-8"}, {"map", "application/json"}};
        auto type = types.find(ext);
        response.setContentType(type == types.end() ? "application/octet-stream" : type->second);
        response.set("Cache-Control", path.rfind("/assets/", 0) == 0 ? "public, max-age=31536000, immutable" : "no-cache");
        try
        {
            response.sendFile(file, response.getContentType());
        }
        catch (const Poco::Exception& e)
        {
            if (!response.sent()) sendError(response, api::ApiError(500, "internal", e.displayText()));
        }
    }

private:
    AdminServer& _server;
};

} // namespace

Poco::Net::HTTPRequestHandler* newHealthHandler(AdminServer& server, const std::string& path) { return new HealthHandler(server, path); }
Poco::Net::HTTPRequestHandler* newApiHandler(AdminServer& server) { return new ApiHandler(server); }
Poco::Net::HTTPRequestHandler* newEventStreamHandler(AdminServer& server) { return new EventStreamHandler(server); }
Poco::Net::HTTPRequestHandler* newStaticHandler(AdminServer& server) { return new StaticHandler(server); }
Poco::Net::HTTPRequestHandler* newMetricsHandler(AdminServer& server) { return new MetricsHandler(server); }

} // namespace steadyproxy::kernel
