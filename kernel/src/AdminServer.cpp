#include <steadyproxy/kernel/AdminServer.h>
#include <steadyproxy/kernel/Kernel.h>
#include <steadyproxy/kernel/api/Routes.h>
#include <Poco/File.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Path.h>

#include "AdminHandlers.h"

namespace steadyproxy::kernel {

namespace {

class Factory : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    explicit Factory(AdminServer& server): _server(server) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override
    {
        std::string path = request.getURI().substr(0, request.getURI().find('?'));
        if (path == "/health/live" || path == "/health/ready" || path == "/health") return newHealthHandler(_server, path);
        if (path == "/api/events") return newEventStreamHandler(_server);
        if (path == "/metrics") return newMetricsHandler(_server);
        if (path == "/api" || path.rfind("/api/", 0) == 0) return newApiHandler(_server);
        return newStaticHandler(_server);
    }
private:
    AdminServer& _server;
};

std::string findWwwDir(const std::string& configured)
{
    if (!configured.empty()) return configured;
    for (const char* dir : {STEADYPROXY_SOURCE_WWW_DIR, STEADYPROXY_INSTALLED_WWW_DIR})
        if (Poco::File(std::string(dir) + "/index.html").exists()) return dir;
    return "";
}

} // namespace

AdminServer::AdminServer(Kernel& kernel): _kernel(kernel)
{
    const auto& o = kernel.options();
    _sessions = std::make_unique<api::SessionManager>(kernel.storage(), kernel.auth(), kernel.clock(),
                                                      o.sessionIdleMinutes * 60000LL, o.sessionAbsoluteHours * 3600000LL);
    _wwwDir = findWwwDir(o.wwwDir);
}

AdminServer::~AdminServer() { stop(); }


void AdminServer::start()
{
    _services = std::make_unique<api::ApiServices>(api::ApiServices{_kernel, *_sessions});
    api::addAuthRoutes(_router, *_services);
    api::addProxyRoutes(_router, *_services);
    api::addAdminRoutes(_router, *_services);
    api::addImportRoutes(_router, *_services);
    api::addOpenApiRoute(_router);

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
    params->setMaxThreads(32);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(30, 0));
    _server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    _server->start();
    if (_wwwDir.empty())
        Poco::Logger::get("kernel.admin").warning("the web pages are not built (www/dist): run `npm ci && npm run build` in www/");
}

void AdminServer::stop()
{
    if (_server)
    {
        _stopping = true;
        _server->stopAll(true);
        _server.reset();
    }
}

} // namespace steadyproxy::kernel
