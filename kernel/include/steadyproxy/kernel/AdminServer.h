#pragma once
#include <steadyproxy/kernel/api/Api.h>
#include <steadyproxy/kernel/api/SessionManager.h>
#include <Poco/Net/HTTPServer.h>
#include <atomic>
#include <memory>
#include <string>

namespace steadyproxy::kernel {

class Kernel;
namespace api {
struct ApiServices;
}

/// The admin HTTP server (Poco::Net::HTTPServer) on admin.host:admin.port: the REST API
/// (/api, docs/api.md), its event stream (/api/events), health endpoints (/health*) and
/// the web pages (www/dist, with the single-page fallback).
class AdminServer
{
public:
    explicit AdminServer(Kernel& kernel);
    ~AdminServer();
    /// Binds and serves. Throws Error naming the address when the port cannot be bound.
    void start();
    /// Graceful stop begins: readiness answers 503 and event streams end; requests are
    /// still answered until stop().
    void beginShutdown() { _stopping = true; }
    void stop();

    const api::Router& router() const { return _router; }
    api::SessionManager& sessions() { return *_sessions; }
    Kernel& kernel() { return _kernel; }
    std::string wwwDir() const { return _wwwDir; }
    /// True while the server is stopping (event streams end).
    bool stopping() const { return _stopping; }
    /// Event streams open now (bounded).
    std::atomic<int> streams{0};

private:
    Kernel& _kernel;
    api::Router _router;
    std::unique_ptr<api::SessionManager> _sessions;
    std::unique_ptr<api::ApiServices> _services;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
    std::string _wwwDir;
    std::atomic<bool> _stopping{false};
};

} // namespace steadyproxy::kernel
