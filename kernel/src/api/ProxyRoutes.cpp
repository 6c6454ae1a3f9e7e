#include <steadyproxy/sdk/SecretMask.h>
#include <steadyproxy/kernel/Kernel.h>
#include <steadyproxy/kernel/api/Routes.h>
#include <Poco/JSON/Array.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/URI.h>

namespace steadyproxy::kernel::api {

namespace {

std::vector<KeyView> visibleKeys(ApiServices& s, const ApiRequest& r)
{
    std::vector<KeyView> out;
    for (auto& v : s.kernel.keys().list())
        if (r.isAdmin() || v.key.ownerId == r.user->id) out.push_back(std::move(v));
    return out;
}

Poco::JSON::Object::Ptr rotationJson(const RotationOutcome& o)
{
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object;
    j->set("success", o.rotated || o.scheduled);
    j->set("rotated", o.rotated);
    j->set("scheduled", o.scheduled);
    j->set("at", isoTime(o.at));
    j->set("old_ip", o.oldIp.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(o.oldIp));
    j->set("new_ip", o.newIp.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(o.newIp));
    j->set("location", o.location.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(o.location));
    j->set("message", o.message);
    return j;
}

std::string userinfo(const std::string& s)
{
    std::string out;
    Poco::URI::encode(s, ":@/?#[]%", out);
    return out;
}

Poco::JSON::Object::Ptr credentialsJson(ApiServices& s, const KeyView& v, const std::string& password)
{
    const auto& o = s.kernel.options();
    std::string host = o.domain == "localhost" ? o.proxyHost : o.domain;
    std::string auth = userinfo(v.key.endpointUser) + ":" + userinfo(password) + "@" + host + ":" + std::to_string(v.key.port);
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object;
    j->set("username", v.key.endpointUser);
    j->set("password", password);
    j->set("http_url", "http://" + auth);
    j->set("socks5_url", "socks5h://" + auth);
    j->set("tls_url", o.domain == "localhost" ? Poco::Dynamic::Var()
                                             : Poco::Dynamic::Var("https://" + userinfo(v.key.endpointUser) + ":" +
                                                                  userinfo(password) + "@" + v.key.subdomain + "." + o.domain));
    return j;
}

std::optional<std::string> optRegion(const Poco::JSON::Object::Ptr& body)
{
    auto region = optString(body, "region", 32);
    if (region && region->empty()) region.reset();
    return region;
}

/// Runs `KeyService` calls and turns domain errors into API errors with the field.
template <class F> auto guarded(F&& f) -> decltype(f())
{
    try
    {
        return f();
    }
    catch (const ValidationError& e)
    {
        std::string field = e.field() == "secret" ? "kiotproxy_key" : e.field();
        throw ApiError(422, "invalid_value", e.what(), field);
    }
    catch (const ConflictError& e)
    {
        throw ApiError(409, "conflict", e.what());
    }
    catch (const ProviderError& e)
    {
        throw ApiError(502, "provider_error", e.what());
    }
}

KeyService::NewKey newKey(const ApiRequest& r, const std::string& secret, const std::optional<std::string>& name,
                          const std::optional<std::string>& region, const std::optional<std::string>& provider)
{
    KeyService::NewKey k;
    k.ownerId = r.user->id;
    k.secret = secret;
    k.name = name.value_or("");
    k.region = region.value_or("random");
    k.providerId = provider.value_or("");
    return k;
}

} // namespace

void addProxyRoutes(Router& router, ApiServices& s)
{
    const std::string& domain = s.kernel.options().domain;

    router.add("GET", "/api/proxies", Access::User, "Keys the caller may see (paged with limit/offset)", [&s, &domain](ApiRequest& r) {
        auto keys = visibleKeys(s, r);
        int offset = r.queryInt("offset", 0, 0, 1000000);
        int limit = r.queryInt("limit", 1000, 1, 1000);
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (std::size_t i = offset; i < keys.size() && list->size() < static_cast<std::size_t>(limit); ++i)
            list->add(proxyJson(keys[i], domain, s.kernel.clock().now()));
        ApiResponse response = ok(list);
        response.headers.emplace_back("X-Total-Count", std::to_string(keys.size()));
        return response;
    });

    router.add("POST", "/api/proxies", Access::User, "Add a key; it gets an endpoint and an upstream", [&s, &domain](ApiRequest& r) {
        auto body = r.json();
        onlyFields(body, {"key_name", "kiotproxy_key", "region", "provider"});
        std::string secret = requireString(body, "kiotproxy_key", 512);
        auto request = newKey(r, secret, optString(body, "key_name", 200), optRegion(body), optString(body, "provider", 100));
        KeyView v = guarded([&] { return s.kernel.keys().addKey(request); });
        return ok(proxyJson(v, domain, s.kernel.clock().now()), 201);
    });

    router.add("GET", "/api/proxies/{id}", Access::User, "One key", [&s, &domain](ApiRequest& r) {
        return ok(proxyJson(visibleKey(s, r, r.id()), domain, s.kernel.clock().now()));
    });

    router.add("PUT", "/api/proxies/{id}", Access::User, "Change a key's name, region, state, allow-list or rotation overrides",
               [&s, &domain](ApiRequest& r) {
        std::int64_t id = visibleKey(s, r, r.id()).key.id;
        auto body = r.json();
        onlyFields(body, {"key_name", "region", "is_active", "allow_cidrs", "overrides"});
        KeyService::KeyChange change;
        change.name = optString(body, "key_name", 200);
        change.region = optRegion(body);
        change.active = optBool(body, "is_active");
        if (body->has("allow_cidrs") && !body->isNull("allow_cidrs"))
        {
            if (!body->isArray("allow_cidrs"))
                throw ApiError(422, "invalid_value", "allow_cidrs must be a list of CIDR strings", "allow_cidrs");
            std::vector<std::string> cidrs;
            auto array = body->getArray("allow_cidrs");
            for (std::size_t i = 0; i < array->size(); ++i)
            {
                if (!array->get(i).isString())
                    throw ApiError(422, "invalid_value", "allow_cidrs must be a list of CIDR strings", "allow_cidrs");
                cidrs.push_back(Poco::trim(array->get(i).extract<std::string>()));
            }
            change.allowCidrs = cidrs;
        }
        if (body->has("overrides") && !body->isNull("overrides"))
        {
            if (!body->isObject("overrides")) throw ApiError(422, "invalid_value", "overrides must be an object", "overrides");
            auto ov = body->getObject("overrides");
            onlyFields(ov, {"auto_rotate_on_expiration", "auto_rotate_interval_enabled", "auto_rotate_interval_minutes", "rotate_on_failure"});
            KeyOverrides o;
            o.autoRotateOnExpiration = optBool(ov, "auto_rotate_on_expiration");
            o.autoRotateIntervalEnabled = optBool(ov, "auto_rotate_interval_enabled");
            if (auto m = optInt(ov, "auto_rotate_interval_minutes"))
            {
                if (*m < 2 || *m > 10080)
                    throw ApiError(422, "invalid_value", "the rotation interval must be at least 2 minutes (and at most a week)",
                                   "auto_rotate_interval_minutes");
                o.autoRotateIntervalMinutes = static_cast<int>(*m);
            }
            o.rotateOnFailure = optBool(ov, "rotate_on_failure");
            change.overrides = o;
        }
        return ok(proxyJson(guarded([&] { return s.kernel.keys().updateKey(id, change); }), domain, s.kernel.clock().now()));
    });

    router.add("DELETE", "/api/proxies/{id}", Access::User, "Delete a key (its upstream is released)", [&s](ApiRequest& r) {
        s.kernel.keys().removeKey(visibleKey(s, r, r.id()).key.id);
        return ok(success());
    });

    router.add("POST", "/api/proxies/{id}/rotate", Access::User, "Rotate now (or when the provider allows)", [&s](ApiRequest& r) {
        std::int64_t id = visibleKey(s, r, r.id()).key.id;
        auto body = r.json();
        onlyFields(body, {"region"});
        auto outcome = guarded([&] { return s.kernel.keys().rotate(id, "manual", optRegion(body)); });
        return ok(rotationJson(outcome));
    });

    router.add("POST", "/api/proxies/{id}/restart", Access::User, "Re-bind the endpoint's listener (same port)", [&s](ApiRequest& r) {
        s.kernel.keys().restartEndpoint(visibleKey(s, r, r.id()).key.id);
        return ok(success());
    });

    router.add("POST", "/api/proxies/{id}/check", Access::User, "Run a health check now", [&s](ApiRequest& r) {
        return ok(healthJson(s.kernel.keys().check(visibleKey(s, r, r.id()).key.id)));
    });

    router.add("GET", "/api/proxies/{id}/credentials", Access::User, "The endpoint's credentials and ready-to-paste URLs",
               [&s](ApiRequest& r) {
        KeyView v = visibleKey(s, r, r.id());
        return ok(credentialsJson(s, v, s.kernel.keys().endpointPassword(v.key.id)));
    });

    router.add("POST", "/api/proxies/{id}/credentials", Access::User, "Generate a new endpoint password", [&s](ApiRequest& r) {
        std::int64_t id = visibleKey(s, r, r.id()).key.id;
        std::string password = s.kernel.keys().regenerateCredentials(id);
        return ok(credentialsJson(s, s.kernel.keys().get(id), password));
    });

    router.add("GET", "/api/proxies/{id}/leases", Access::User, "Lease history, newest first", [&s](ApiRequest& r) {
        std::int64_t id = visibleKey(s, r, r.id()).key.id;
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& l : s.kernel.storage().leaseHistory(id, r.queryInt("limit", 50, 1, 1000))) list->add(leaseJson(l));
        return ok(list);
    });

    router.add("GET", "/api/proxies/{id}/health", Access::User, "Health samples, newest first", [&s](ApiRequest& r) {
        std::int64_t id = visibleKey(s, r, r.id()).key.id;
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& h : s.kernel.storage().healthSamples(id, r.queryInt("limit", 100, 1, 1000))) list->add(healthJson(h));
        return ok(list);
    });

    router.add("POST", "/api/proxies/bulk-import", Access::User, "Add many keys (one per line); a result per key",
               [&s](ApiRequest& r) {
        auto body = r.json();
        onlyFields(body, {"kiotproxy_keys", "region", "provider"});
        std::string text = requireString(body, "kiotproxy_keys", 1 << 20);
        auto region = optRegion(body);
        auto provider = optString(body, "provider", 100);
        Poco::JSON::Array::Ptr results = new Poco::JSON::Array;
        Poco::StringTokenizer lines(text, "\n", Poco::StringTokenizer::TOK_TRIM);
        int lineNo = 0, added = 0;
        for (const auto& line : lines)
        {
            ++lineNo;
            if (line.empty()) continue;
            Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
            result->set("line", lineNo);
            result->set("key", maskSecret(line));
            try
            {
                KeyView v = guarded([&] { return s.kernel.keys().addKey(newKey(r, line, std::nullopt, region, provider)); });
                result->set("success", true);
                result->set("id", v.key.id);
                result->set("subdomain", v.key.subdomain);
                result->set("status", v.key.status);
                ++added;
            }
            catch (const ApiError& e)
            {
                result->set("success", false);
                result->set("error", std::string(e.what()));
            }
            results->add(result);
            if (lineNo > 1000) throw ApiError(413, "body_too_large", "at most 1000 keys at once");
        }
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("results", results);
        o->set("added", added);
        return ok(o);
    });

    router.add("POST", "/api/proxies/check-all", Access::User, "Health-check every key the caller may see", [&s](ApiRequest& r) {
        Poco::JSON::Array::Ptr results = new Poco::JSON::Array;
        for (const auto& v : visibleKeys(s, r))
        {
            Poco::JSON::Object::Ptr o = healthJson(s.kernel.keys().check(v.key.id));
            o->set("id", v.key.id);
            results->add(o);
        }
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("results", results);
        return ok(o);
    });

    router.add("POST", "/api/proxies/update-all", Access::User, "Rotate every key the caller may see", [&s](ApiRequest& r) {
        Poco::JSON::Array::Ptr results = new Poco::JSON::Array;
        for (const auto& v : visibleKeys(s, r))
        {
            Poco::JSON::Object::Ptr o;
            try
            {
                o = rotationJson(guarded([&] { return s.kernel.keys().rotate(v.key.id, "manual", std::nullopt); }));
            }
            catch (const ApiError& e)
            {
                o = new Poco::JSON::Object;
                o->set("success", false);
                o->set("message", std::string(e.what()));
            }
            o->set("id", v.key.id);
            results->add(o);
        }
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("results", results);
        return ok(o);
    });
}

} // namespace steadyproxy::kernel::api
