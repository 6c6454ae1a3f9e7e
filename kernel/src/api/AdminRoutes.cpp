#include <steadyproxy/kernel/Kernel.h>
#include <steadyproxy/kernel/api/Routes.h>
#include <Poco/JSON/Array.h>
#include <Poco/Logger.h>

namespace steadyproxy::kernel::api {

namespace {

User existingUser(ApiServices& s, std::int64_t id)
{
    auto user = s.kernel.storage().findUser(id);
    if (!user) throw ApiError(404, "not_found", "no user with id " + std::to_string(id));
    return *user;
}

void validateUsername(const std::string& name)
{
    if (name.size() > 64 || name.find_first_of(" \t\r\n:/") != std::string::npos)
        throw ApiError(422, "invalid_value", "the user name must be 1 to 64 characters without spaces, ':' or '/'", "username");
}

std::string validRole(const std::string& role)
{
    if (role != "admin" && role != "user")
        throw ApiError(422, "invalid_value", "role must be admin or user, got \"" + role + "\"", "role");
    return role;
}

std::string hashOrReject(ApiServices& s, const std::string& password)
{
    try
    {
        return s.kernel.auth().hashPassword(password);
    }
    catch (const ValidationError& e)
    {
        throw ApiError(422, "invalid_value", e.what(), "password");
    }
}

/// Refuses a change that would leave no enabled admin.
void keepOneAdmin(ApiServices& s, const User& changed)
{
    for (const auto& u : s.kernel.storage().listUsers())
    {
        const User& v = u.id == changed.id ? changed : u;
        if (v.role == "admin" && !v.disabled) return;
    }
    throw ApiError(409, "conflict", "this would leave no enabled admin account");
}

} // namespace

void addAdminRoutes(Router& router, ApiServices& s)
{
    router.add("GET", "/api/settings", Access::User, "Global rotation and health settings", [&s](ApiRequest&) {
        return ok(settingsJson(s.kernel.keys().settings()));
    });

    router.add("PUT", "/api/settings", Access::Admin, "Change global settings (interval at least 2 minutes)", [&s](ApiRequest& r) {
        Settings next = settingsFromJson(r.json(), s.kernel.keys().settings());
        try
        {
            s.kernel.keys().saveSettings(next);
        }
        catch (const ValidationError& e)
        {
            throw ApiError(422, "invalid_value", e.what(), e.field());
        }
        Poco::JSON::Object::Ptr o = success();
        o->set("settings", settingsJson(s.kernel.keys().settings()));
        return ok(o);
    });

    router.add("GET", "/api/logs", Access::User, "Log entries, newest first (proxy_id, action, limit, offset)", [&s](ApiRequest& r) {
        LogQuery q;
        q.limit = r.queryInt("limit", 100, 1, 1000);
        q.offset = r.queryInt("offset", 0, 0, 100000000);
        q.keyId = r.queryInt("proxy_id", 0, 0, 2000000000);
        auto action = r.query.find("action");
        if (action != r.query.end()) q.action = action->second;
        if (!r.isAdmin())
        {
            if (!q.keyId)
                throw ApiError(403, "forbidden", "only admins may read all logs; give proxy_id", "proxy_id");
            visibleKey(s, r, q.keyId);
        }
        else if (q.keyId)
        {
            // a deleted key's logs stay readable by admins
        }
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& e : s.kernel.storage().listLogs(q)) list->add(logJson(e));
        ApiResponse response = ok(list);
        response.headers.emplace_back("X-Total-Count", std::to_string(s.kernel.storage().countLogs(q)));
        return response;
    });

    router.add("GET", "/api/users", Access::Admin, "All accounts", [&s](ApiRequest&) {
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& u : s.kernel.storage().listUsers()) list->add(userJson(u));
        return ok(list);
    });

    router.add("POST", "/api/users", Access::Admin, "Create an account", [&s](ApiRequest& r) {
        auto body = r.json();
        onlyFields(body, {"username", "password", "role"});
        User u;
        u.username = requireString(body, "username", 64);
        validateUsername(u.username);
        u.role = validRole(optString(body, "role", 16).value_or("user"));
        u.passwordHash = hashOrReject(s, requireString(body, "password", 1024));
        u.createdAt = s.kernel.clock().now();
        try
        {
            u.id = s.kernel.storage().addUser(u);
        }
        catch (const ConflictError&)
        {
            throw ApiError(409, "conflict", "a user named \"" + u.username + "\" already exists", "username");
        }
        s.kernel.storage().addLog(LogEntry{0, 0, "user", "manual", "", "success", "User " + u.username + " added (" + u.role + ")", u.createdAt});
        return ok(userJson(u), 201);
    });

    router.add("PUT", "/api/users/{id}", Access::Admin, "Change an account's role, state or password", [&s](ApiRequest& r) {
        User u = existingUser(s, r.id());
        auto body = r.json();
        onlyFields(body, {"role", "disabled", "password"});
        bool revoke = false;
        if (auto role = optString(body, "role", 16)) u.role = validRole(*role);
        if (auto disabled = optBool(body, "disabled"))
        {
            revoke = revoke || (*disabled && !u.disabled);
            u.disabled = *disabled;
        }
        if (auto password = optString(body, "password", 1024))
        {
            u.passwordHash = hashOrReject(s, *password);
            revoke = true;
        }
        keepOneAdmin(s, u);
        s.kernel.storage().updateUser(u);
        if (revoke) s.kernel.storage().removeSessionsOfUser(u.id);
        s.kernel.storage().addLog(LogEntry{0, 0, "user", "manual", "", "success", "User " + u.username + " changed", s.kernel.clock().now()});
        return ok(userJson(u));
    });

    router.add("DELETE", "/api/users/{id}", Access::Admin, "Delete an account (its keys pass to the admins)", [&s](ApiRequest& r) {
        User u = existingUser(s, r.id());
        if (u.id == r.user->id) throw ApiError(409, "conflict", "you cannot delete your own account");
        User gone = u;
        gone.disabled = true;
        keepOneAdmin(s, gone);
        s.kernel.storage().removeUser(u.id);
        s.kernel.storage().addLog(LogEntry{0, 0, "user", "manual", "", "success", "User " + u.username + " deleted", s.kernel.clock().now()});
        return ok(success());
    });

    if (s.kernel.options().clockControl)
    {
        Poco::Logger::get("kernel").warning("testing.clock_control is on: admins can move the clock (never in production)");
        router.add("POST", "/api/testing/clock", Access::Admin, "Tests only: move the kernel's clock forward", [&s](ApiRequest& r) {
            auto body = r.json();
            onlyFields(body, {"advance_seconds"});
            auto seconds = optInt(body, "advance_seconds");
            if (!seconds || *seconds < 1 || *seconds > 366 * 86400)
                throw ApiError(422, "invalid_value", "advance_seconds must be 1 to 31622400", "advance_seconds");
            s.kernel.clock().advance(*seconds * 1000);
            Poco::JSON::Object::Ptr o = success();
            o->set("offset_ms", s.kernel.clock().offset());
            return ok(o);
        });
    }

    router.add("POST", "/api/config/reload", Access::Admin,
               "Re-read the configuration file and apply what can change live (as SIGHUP)", [&s](ApiRequest&) {
        ReloadReport report = s.kernel.reload();
        if (!report.ok) throw ApiError(422, "invalid_config", report.error.empty() ? "the reload was refused" : report.error);
        Poco::JSON::Object::Ptr o = success();
        Poco::JSON::Array::Ptr applied = new Poco::JSON::Array, restart = new Poco::JSON::Array, notes = new Poco::JSON::Array;
        for (const auto& k : report.applied) applied->add(k);
        for (const auto& k : report.restartRequired) restart->add(k);
        for (const auto& n : report.notes) notes->add(n);
        o->set("applied", applied);
        o->set("restart_required", restart);
        o->set("notes", notes);
        return ok(o);
    });

    router.add("GET", "/api/plugins", Access::User, "Loaded plugins", [&s](ApiRequest&) {
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& p : s.kernel.plugins().plugins())
        {
            Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
            o->set("id", p.id);
            o->set("kind", p.kind);
            o->set("version", p.version);
            o->set("build", p.buildId);
            o->set("file", p.file);
            o->set("description", p.description);
            o->set("started", p.started);
            list->add(o);
        }
        return ok(list);
    });
}

} // namespace steadyproxy::kernel::api
