#include <steadyproxy/kernel/api/Routes.h>
#include <Poco/JSON/Array.h>
#include <tuple>

namespace steadyproxy::kernel::api {

namespace {

Poco::JSON::Object::Ptr obj() { return new Poco::JSON::Object; }

Poco::JSON::Object::Ptr errorResponse(const std::string& description)
{
    auto r = obj();
    r->set("description", description);
    auto content = obj();
    auto json = obj();
    auto schema = obj();
    schema->set("$ref", "#/components/schemas/Error");
    json->set("schema", schema);
    content->set("application/json", json);
    r->set("content", content);
    return r;
}

} // namespace

/// The document is built from the route table, so it lists exactly what the server answers.
void addOpenApiRoute(Router& router)
{
    router.add("GET", "/api/openapi.json", Access::Public, "This OpenAPI document", [&router](ApiRequest&) {
        auto doc = obj();
        doc->set("openapi", "3.0.3");
        auto info = obj();
        info->set("title", "steadyproxy admin API");
        info->set("version", STEADYPROXY_VERSION);
        doc->set("info", info);
        auto paths = obj();
        for (const auto& route : router.routes())
        {
            std::string method = route.method;
            for (auto& c : method) c = static_cast<char>(::tolower(c));
            Poco::JSON::Object::Ptr item = paths->has(route.pattern) ? paths->getObject(route.pattern) : obj();
            auto op = obj();
            op->set("summary", route.summary);
            Poco::JSON::Array::Ptr params = new Poco::JSON::Array;
            std::size_t at = 0;
            while ((at = route.pattern.find('{', at)) != std::string::npos)
            {
                std::size_t end = route.pattern.find('}', at);
                auto p = obj();
                p->set("name", route.pattern.substr(at + 1, end - at - 1));
                p->set("in", "path");
                p->set("required", true);
                auto schema = obj();
                schema->set("type", "integer");
                p->set("schema", schema);
                params->add(p);
                at = end;
            }
            if (params->size()) op->set("parameters", params);
            Poco::JSON::Array::Ptr security = new Poco::JSON::Array;
            if (route.access != Access::Public)
            {
                auto cookie = obj();
                cookie->set("session", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
                auto bearer = obj();
                bearer->set("bearer", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
                security->add(cookie);
                security->add(bearer);
            }
            op->set("security", security);
            if (route.access == Access::Admin) op->set("x-role", "admin");
            auto responses = obj();
            auto okResponse = obj();
            okResponse->set("description", "success");
            responses->set(route.method == "POST" && (route.pattern == "/api/proxies" || route.pattern == "/api/users" ||
                                                      route.pattern == "/api/tokens") ? "201" : "200", okResponse);
            responses->set("default", errorResponse("an error (see docs/api.md)"));
            op->set("responses", responses);
            item->set(method, op);
            paths->set(route.pattern, item);
        }
        // Served outside the JSON router, documented here too.
        for (const auto& [path, summary, type] : std::vector<std::tuple<std::string, std::string, std::string>>{
                 {"/api/events", "Server-Sent Events of state changes", "text/event-stream"},
                 {"/health/live", "The process answers", "application/json"},
                 {"/health/ready", "Store open and plugins started (200 or 503)", "application/json"},
                 {"/health", "Summary with per-plugin state (200 or 503)", "application/json"}})
        {
            auto op = obj();
            op->set("summary", summary);
            auto responses = obj();
            auto r = obj();
            r->set("description", type);
            responses->set("200", r);
            op->set("responses", responses);
            auto item = obj();
            item->set("get", op);
            paths->set(path, item);
        }
        doc->set("paths", paths);
        auto components = obj();
        auto schemes = obj();
        auto session = obj();
        session->set("type", "apiKey");
        session->set("in", "cookie");
        session->set("name", "sp_session");
        schemes->set("session", session);
        auto bearer = obj();
        bearer->set("type", "http");
        bearer->set("scheme", "bearer");
        schemes->set("bearer", bearer);
        components->set("securitySchemes", schemes);
        auto schemas = obj();
        auto error = obj();
        error->set("type", "object");
        auto props = obj();
        auto inner = obj();
        inner->set("type", "object");
        props->set("error", inner);
        error->set("properties", props);
        schemas->set("Error", error);
        components->set("schemas", schemas);
        doc->set("components", components);
        return ok(doc);
    }, false);
}

} // namespace steadyproxy::kernel::api
