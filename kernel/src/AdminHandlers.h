#pragma once
#include <Poco/Net/HTTPRequestHandler.h>
#include <string>

namespace steadyproxy::kernel {

class AdminServer;

/// /health/live, /health/ready, /health.
Poco::Net::HTTPRequestHandler* newHealthHandler(AdminServer& server, const std::string& path);
/// /api/*: bounded body, authentication (cookie or Bearer), CSRF, routing, one error shape.
Poco::Net::HTTPRequestHandler* newApiHandler(AdminServer& server);
/// /api/events: Server-Sent Events of the kernel's event bus.
Poco::Net::HTTPRequestHandler* newEventStreamHandler(AdminServer& server);
/// /metrics: Prometheus text; open to admin.metrics_allow addresses, else needs a login or token.
Poco::Net::HTTPRequestHandler* newMetricsHandler(AdminServer& server);
/// Everything else: the built web pages, with index.html for unknown page paths.
Poco::Net::HTTPRequestHandler* newStaticHandler(AdminServer& server);

} // namespace steadyproxy::kernel
