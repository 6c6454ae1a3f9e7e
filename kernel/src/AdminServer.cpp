#include <steadyproxy/kernel/AdminServer.h>
#include <steadyproxy/kernel/Kernel.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <sstream>

namespace steadyproxy::kernel {

namespace {

void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const Poco::JSON::Object& body)
{
    std::ostringstream out;
    body.stringify(out);
    response.setStatus(status);
    response.setContentType("application/json; charset=utf-8");
    response.set("Cache-Control", "no-store");
    response.set("X-Content-Type-Options", "nosniff");
    response.sendBuffer(out.str().data(), out.str().size());
}

class HealthHandler : public Poco::Net::HTTPRequestHandler
{
public:
    HealthHandler(Kernel& kernel, bool readiness): _kernel(kernel), _readiness(readiness) {}
    void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override
    {
        Poco::JSON::Object body;
        bool ok = true;
        if (_readiness)
        {
            Poco::JSON::Object plugins;
            for (const auto& p : _kernel.plugins().plugins())
            {
                plugins.set(p.id, p.started ? "started" : "stopped");
                ok = ok && p.started;
            }
            body.set("plugins", plugins);
        }
        body.set("status", ok ? "ok" : "unavailable");
        sendJson(response, ok ? Poco::Net::HTTPResponse::HTTP_OK : Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE, body);
    }
private:
    Kernel& _kernel;
    bool _readiness;
};

class NotFoundHandler : public Poco::Net::HTTPRequestHandler
{
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
    {
        Poco::JSON::Object error;
        error.set("code", "not_found");
        error.set("message", "no such resource: " + request.getURI());
        Poco::JSON::Object body;
        body.set("error", error);
        sendJson(response, Poco::Net::HTTPResponse::HTTP_NOT_FOUND, body);
    }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    explicit Factory(Kernel& kernel): _kernel(kernel) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override
    {
        std::string path = request.getURI().substr(0, request.getURI().find('?'));
        if (path == "/health/live") return new HealthHandler(_kernel, false);
        if (path == "/health/ready" || path == "/health") return new HealthHandler(_kernel, true);
        return new NotFoundHandler;
    }
private:
    Kernel& _kernel;
};

} // namespace

AdminServer::AdminServer(Kernel& kernel): _kernel(kernel) {}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start()
{
    const auto& o = _kernel.options();
    Poco::Net::SocketAddress address(o.adminHost, o.adminPort);
    Poco::Net::ServerSocket socket;
    try
    {
        socket.bind(address, true);
        socket.listen(64);
    }
    catch (const Poco::Exception& e)
    {
        throw Error("cannot listen on " + address.toString() + " for the admin API: " + e.displayText() +
                    " (set admin.port or STEADYPROXY_ADMIN_PORT)");
    }
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(16);
    params->setMaxQueued(128);
    params->setKeepAlive(true);
    _server = std::make_unique<Poco::Net::HTTPServer>(new Factory(_kernel), socket, params);
    _server->start();
}

void AdminServer::stop()
{
    if (_server)
    {
        _server->stopAll(true);
        _server.reset();
    }
}

} // namespace steadyproxy::kernel
