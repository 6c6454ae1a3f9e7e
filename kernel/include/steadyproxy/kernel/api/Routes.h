#pragma once
#include <steadyproxy/kernel/KeyService.h>
#include <steadyproxy/kernel/api/Api.h>
#include <steadyproxy/kernel/api/SessionManager.h>

namespace steadyproxy::kernel {
class Kernel;
}

namespace steadyproxy::kernel::api {

/// What route handlers use.
struct ApiServices
{
    Kernel& kernel;
    SessionManager& sessions;
};

void addAuthRoutes(Router& router, ApiServices& services);
void addProxyRoutes(Router& router, ApiServices& services);
void addAdminRoutes(Router& router, ApiServices& services);
void addImportRoutes(Router& router, ApiServices& services);
/// GET /api/openapi.json, generated from the route table itself.
void addOpenApiRoute(Router& router);

// --- JSON of the domain types (docs/api.md) ---
/// `now` (the kernel's clock) gives `ttc`, the seconds until the next change is allowed.
Poco::JSON::Object::Ptr proxyJson(const KeyView& view, const std::string& domain, EpochMs now);
Poco::JSON::Object::Ptr leaseJson(const Lease& lease);
Poco::JSON::Object::Ptr healthJson(const HealthSample& sample);
Poco::JSON::Object::Ptr settingsJson(const Settings& settings);
Poco::JSON::Object::Ptr userJson(const User& user);
Poco::JSON::Object::Ptr logJson(const LogEntry& entry);
/// Applies a settings body onto `settings` (422 naming the field on a bad value).
Settings settingsFromJson(const Poco::JSON::Object::Ptr& body, Settings settings);

/// The key if the caller may see it; 404 otherwise (also for another user's key).
KeyView visibleKey(ApiServices& services, const ApiRequest& request, std::int64_t id);

} // namespace steadyproxy::kernel::api
