#pragma once
#include <Poco/Net/HTTPServer.h>
#include <memory>
#include <string>

namespace steadyproxy::kernel {

class Kernel;

/// The admin HTTP server (Poco::Net::HTTPServer) on admin.host:admin.port: health
/// endpoints now; the REST API and the web pages mount here.
class AdminServer
{
public:
    explicit AdminServer(Kernel& kernel);
    ~AdminServer();
    /// Binds and serves. Throws Error naming the address when the port cannot be bound.
    void start();
    void stop();
private:
    Kernel& _kernel;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
};

} // namespace steadyproxy::kernel
