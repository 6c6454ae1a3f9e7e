#include <steadyproxy/kernel/Kernel.h>
#include <steadyproxy/kernel/api/Routes.h>
#include <Poco/JSON/Array.h>

namespace steadyproxy::kernel::api {

namespace {

std::string cookieName(const ApiRequest& r) { return r.secure ? "__Host-sp_session" : "sp_session"; }

Poco::Net::HTTPCookie sessionCookie(const ApiRequest& r, const std::string& value, int maxAgeSeconds)
{
    Poco::Net::HTTPCookie c(cookieName(r), value);
    c.setPath("/");
    c.setHttpOnly(true);
    c.setSameSite(Poco::Net::HTTPCookie::SAME_SITE_STRICT);
    c.setSecure(r.secure);
    c.setMaxAge(maxAgeSeconds);
    return c;
}

ApiResponse loginAnswer(const ApiRequest& r, const SessionManager::Login& login, const SessionManager& sessions)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("user", userJson(login.user));
    body->set("csrf_token", login.session.csrfToken);
    body->set("session_id", login.cookieValue);
    ApiResponse response = ok(body);
    response.cookies.push_back(sessionCookie(r, login.cookieValue, static_cast<int>(sessions.absoluteMs() / 1000)));
    return response;
}

} // namespace

void addAuthRoutes(Router& router, ApiServices& s)
{
    router.add("POST", "/api/auth/login", Access::Public, "Log in; sets the session cookie", [&s](ApiRequest& r) {
        auto body = r.json();
        std::string username = requireString(body, "username", 64);
        std::string password = requireString(body, "password", 1024);
        auto login = s.sessions.login(username, password, r.clientAddress);
        return loginAnswer(r, login, s.sessions);
    }, false);

    router.add("POST", "/api/auth/logout", Access::User, "Log out (revokes the session)", [&s](ApiRequest& r) {
        s.sessions.logout(r.sessionCookie);
        ApiResponse response = ok(success());
        response.cookies.push_back(sessionCookie(r, "", 0));
        return response;
    });

    router.add("GET", "/api/auth/me", Access::User, "The caller and its CSRF token", [](ApiRequest& r) {
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        body->set("user", userJson(*r.user));
        body->set("csrf_token", r.session ? Poco::Dynamic::Var(r.session->csrfToken) : Poco::Dynamic::Var());
        return ok(body);
    });

    router.add("POST", "/api/auth/password", Access::User, "Change the caller's password; revokes all its sessions",
               [&s](ApiRequest& r) {
        auto body = r.json();
        onlyFields(body, {"current_password", "new_password"});
        std::string current = requireString(body, "current_password", 1024);
        std::string next = requireString(body, "new_password", 1024);
        bool rehash = false;
        if (!s.kernel.auth().verifyPassword(current, r.user->passwordHash, rehash))
            throw ApiError(422, "invalid_value", "the current password is wrong", "current_password");
        User u = *r.user;
        try
        {
            u.passwordHash = s.kernel.auth().hashPassword(next);
        }
        catch (const ValidationError& e)
        {
            throw ApiError(422, "invalid_value", e.what(), "new_password");
        }
        s.kernel.storage().updateUser(u);
        s.kernel.storage().removeSessionsOfUser(u.id);
        s.kernel.storage().addLog(LogEntry{0, 0, "password", "manual", "", "success", "Password of " + u.username + " changed", s.kernel.clock().now()});
        return loginAnswer(r, s.sessions.issue(u), s.sessions);
    });

    router.add("GET", "/api/tokens", Access::User, "The caller's API tokens (never the token itself)", [&s](ApiRequest& r) {
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& t : s.kernel.storage().listTokens(r.user->id))
        {
            Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
            o->set("id", t.id);
            o->set("name", t.name);
            o->set("created_at", isoTime(t.createdAt));
            o->set("last_used_at", isoTime(t.lastUsedAt));
            list->add(o);
        }
        return ok(list);
    });

    router.add("POST", "/api/tokens", Access::User, "Create an API token (shown once)", [&s](ApiRequest& r) {
        auto body = r.json();
        onlyFields(body, {"name"});
        std::string name = requireString(body, "name", 100);
        auto [token, record] = s.sessions.createToken(r.user->id, name);
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("id", record.id);
        o->set("name", record.name);
        o->set("token", token);
        o->set("created_at", isoTime(record.createdAt));
        return ok(o, 201);
    });

    router.add("DELETE", "/api/tokens/{id}", Access::User, "Revoke an API token", [&s](ApiRequest& r) {
        std::int64_t id = r.id();
        bool mine = false;
        for (const auto& t : s.kernel.storage().listTokens(r.user->id)) mine = mine || t.id == id;
        if (!mine) throw ApiError(404, "not_found", "no token with id " + std::to_string(id));
        s.kernel.storage().removeToken(id);
        return ok(success());
    });
}

} // namespace steadyproxy::kernel::api
