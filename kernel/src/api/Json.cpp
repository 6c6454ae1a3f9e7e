#include <steadyproxy/kernel/Kernel.h>
#include <steadyproxy/kernel/api/Routes.h>
#include <Poco/JSON/Array.h>

namespace steadyproxy::kernel::api {

namespace {

std::string hostPort(const Upstream& u)
{
    if (!u.port) return "";
    return (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) + ":" + std::to_string(u.port);
}

Poco::Dynamic::Var optional(const std::optional<bool>& v) { return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var(); }
Poco::Dynamic::Var optional(const std::optional<int>& v) { return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var(); }

} // namespace

Poco::JSON::Object::Ptr proxyJson(const KeyView& v, const std::string& domain, EpochMs now)
{
    const ProxyKey& k = v.key;
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", k.id);
    o->set("key_name", k.name);
    o->set("kiotproxy_key", k.secretMasked);
    o->set("provider", k.providerId);
    o->set("owner_id", k.ownerId);
    o->set("subdomain", k.subdomain);
    o->set("endpoint", domain + ":" + std::to_string(k.port));
    o->set("port", static_cast<int>(k.port));
    o->set("region", k.region);
    o->set("is_active", k.active);
    o->set("status", k.status);
    o->set("status_message", k.statusMessage);
    const Lease* l = v.lease ? &*v.lease : nullptr;
    o->set("remote_http", l && l->hasHttp() ? Poco::Dynamic::Var(hostPort(l->http)) : Poco::Dynamic::Var());
    o->set("remote_socks5", l && l->hasSocks5() ? Poco::Dynamic::Var(hostPort(l->socks5)) : Poco::Dynamic::Var());
    o->set("remote_ip", l ? Poco::Dynamic::Var(l->realIp) : Poco::Dynamic::Var());
    o->set("location", l ? Poco::Dynamic::Var(l->location) : Poco::Dynamic::Var());
    o->set("expiration_at", isoTime(l ? l->expiresAt : 0));
    o->set("next_change_at", isoTime(l ? l->nextChangeAt : 0));
    o->set("ttl", l ? Poco::Dynamic::Var(l->ttlSeconds) : Poco::Dynamic::Var());
    o->set("ttc", Poco::Dynamic::Var());
    if (l && l->nextChangeAt)
    {
        long long ttc = (l->nextChangeAt - now) / 1000;
        o->set("ttc", ttc > 0 ? ttc : 0);
    }
    const HealthSample* h = v.health ? &*v.health : nullptr;
    o->set("latency_ms", h && h->latencyMs >= 0 ? Poco::Dynamic::Var(h->latencyMs) : Poco::Dynamic::Var());
    o->set("exit_ip", h && !h->exitIp.empty() ? Poco::Dynamic::Var(h->exitIp) : Poco::Dynamic::Var());
    o->set("health_state", h ? Poco::Dynamic::Var(h->state) : Poco::Dynamic::Var());
    o->set("last_check_at", isoTime(h ? h->at : 0));
    o->set("last_rotated_at", isoTime(k.lastRotatedAt));
    o->set("created_at", isoTime(k.createdAt));
    o->set("next_rotation_at", isoTime(v.nextRotationAt));
    o->set("next_rotation_reason", v.nextRotationReason.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(v.nextRotationReason));
    o->set("consecutive_failures", v.consecutiveFailures);
    o->set("endpoint_username", k.endpointUser);
    Poco::JSON::Array::Ptr cidrs = new Poco::JSON::Array;
    for (const auto& c : k.allowCidrs) cidrs->add(c);
    o->set("allow_cidrs", cidrs);
    Poco::JSON::Object::Ptr ov = new Poco::JSON::Object;
    ov->set("auto_rotate_on_expiration", optional(k.overrides.autoRotateOnExpiration));
    ov->set("auto_rotate_interval_enabled", optional(k.overrides.autoRotateIntervalEnabled));
    ov->set("auto_rotate_interval_minutes", optional(k.overrides.autoRotateIntervalMinutes));
    ov->set("rotate_on_failure", optional(k.overrides.rotateOnFailure));
    o->set("overrides", ov);
    return o;
}

Poco::JSON::Object::Ptr leaseJson(const Lease& l)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", l.id);
    o->set("remote_http", l.hasHttp() ? Poco::Dynamic::Var(hostPort(l.http)) : Poco::Dynamic::Var());
    o->set("remote_socks5", l.hasSocks5() ? Poco::Dynamic::Var(hostPort(l.socks5)) : Poco::Dynamic::Var());
    o->set("remote_ip", l.realIp);
    o->set("location", l.location);
    o->set("region", l.region);
    o->set("reason", l.reason);
    o->set("obtained_at", isoTime(l.obtainedAt));
    o->set("expiration_at", isoTime(l.expiresAt));
    o->set("next_change_at", isoTime(l.nextChangeAt));
    o->set("ended_at", isoTime(l.endedAt));
    o->set("ttl", l.ttlSeconds);
    return o;
}

Poco::JSON::Object::Ptr healthJson(const HealthSample& s)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("at", isoTime(s.at));
    o->set("ok", s.ok);
    o->set("state", s.state);
    o->set("latency_ms", s.latencyMs >= 0 ? Poco::Dynamic::Var(s.latencyMs) : Poco::Dynamic::Var());
    o->set("exit_ip", s.exitIp.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(s.exitIp));
    o->set("http_status", s.httpStatus);
    o->set("error", s.error);
    return o;
}

Poco::JSON::Object::Ptr settingsJson(const Settings& s)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("auto_rotate_on_expiration", s.autoRotateOnExpiration);
    o->set("auto_rotate_interval_enabled", s.autoRotateIntervalEnabled);
    o->set("auto_rotate_interval_minutes", s.autoRotateIntervalMinutes);
    o->set("expiry_lead_seconds", s.expiryLeadSeconds);
    o->set("health_check_interval", s.healthCheckIntervalSeconds);
    o->set("failure_threshold", s.failureThreshold);
    o->set("rotate_on_failure", s.rotateOnFailure);
    return o;
}

Settings settingsFromJson(const Poco::JSON::Object::Ptr& body, Settings s)
{
    onlyFields(body, {"auto_rotate_on_expiration", "auto_rotate_interval_enabled", "auto_rotate_interval_minutes",
                      "expiry_lead_seconds", "health_check_interval", "failure_threshold", "rotate_on_failure"});
    auto clampInt = [&](const std::string& field, long long min, long long max, const std::string& rule) -> std::optional<int> {
        auto v = optInt(body, field);
        if (v && (*v < min || *v > max)) throw ApiError(422, "invalid_value", rule + ", got " + std::to_string(*v), field);
        return v ? std::optional<int>(static_cast<int>(*v)) : std::nullopt;
    };
    if (auto v = optBool(body, "auto_rotate_on_expiration")) s.autoRotateOnExpiration = *v;
    if (auto v = optBool(body, "auto_rotate_interval_enabled")) s.autoRotateIntervalEnabled = *v;
    if (auto v = clampInt("auto_rotate_interval_minutes", 2, 10080, "the rotation interval must be at least 2 minutes (and at most a week)"))
        s.autoRotateIntervalMinutes = *v;
    if (auto v = clampInt("expiry_lead_seconds", 0, 3600, "the expiry lead must be between 0 and 3600 seconds")) s.expiryLeadSeconds = *v;
    if (auto v = clampInt("health_check_interval", 5, 86400, "the health check interval must be between 5 and 86400 seconds"))
        s.healthCheckIntervalSeconds = *v;
    if (auto v = clampInt("failure_threshold", 1, 100, "the failure threshold must be between 1 and 100")) s.failureThreshold = *v;
    if (auto v = optBool(body, "rotate_on_failure")) s.rotateOnFailure = *v;
    return s;
}

Poco::JSON::Object::Ptr userJson(const User& u)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", u.id);
    o->set("username", u.username);
    o->set("role", u.role);
    o->set("disabled", u.disabled);
    o->set("created_at", isoTime(u.createdAt));
    return o;
}

Poco::JSON::Object::Ptr logJson(const LogEntry& e)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", e.id);
    o->set("proxy_id", e.keyId ? Poco::Dynamic::Var(e.keyId) : Poco::Dynamic::Var());
    o->set("action", e.action);
    o->set("reason", e.reason);
    o->set("region", e.region);
    o->set("status", e.status);
    o->set("details", e.details);
    o->set("timestamp", isoTime(e.at));
    return o;
}

KeyView visibleKey(ApiServices& services, const ApiRequest& request, std::int64_t id)
{
    try
    {
        KeyView v = services.kernel.keys().get(id);
        if (!request.isAdmin() && (!request.user || v.key.ownerId != request.user->id)) throw NotFoundError("");
        return v;
    }
    catch (const NotFoundError&)
    {
        throw ApiError(404, "not_found", "no proxy with id " + std::to_string(id));
    }
}

} // namespace steadyproxy::kernel::api
