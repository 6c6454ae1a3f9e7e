#pragma once
#include <steadyproxy/sdk/Types.h>
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace steadyproxy::kernel::api {

/// An error answer: `{"error": {"status", "code", "message", "field"?}}`.
class ApiError : public std::runtime_error
{
public:
    ApiError(int status, std::string code, const std::string& message, std::string field = ""):
        std::runtime_error(message), status(status), code(std::move(code)), field(std::move(field)) {}
    int status;
    std::string code;
    std::string field;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// Who may call a route.
enum class Access { Public, User, Admin };

/// One API request, after the body was read (bounded) and the caller authenticated.
struct ApiRequest
{
    Poco::Net::HTTPServerRequest* http = nullptr;
    std::string method;
    std::string path;
    std::map<std::string, std::string> params;   ///< path parameters ({id})
    std::map<std::string, std::string> query;    ///< decoded query parameters (last wins)
    std::string body;
    std::string clientAddress;
    bool secure = false;                          ///< reached over HTTPS (directly or via a trusted proxy)
    std::optional<User> user;
    std::optional<Session> session;               ///< when authenticated by cookie
    std::string sessionCookie;                    ///< the raw cookie value, when any

    /// The body as a JSON object; ApiError 400 when it is not one.
    Poco::JSON::Object::Ptr json() const;
    /// A path parameter as a positive id; ApiError 404 otherwise.
    std::int64_t id(const std::string& name = "id") const;
    /// A query integer in [min, max], or `fallback` when absent; ApiError 400 when malformed.
    int queryInt(const std::string& name, int fallback, int min, int max) const;
    bool isAdmin() const { return user && user->role == "admin"; }
};

/// What a handler answers.
struct ApiResponse
{
    int status = 200;
    Poco::Dynamic::Var body;                                  ///< serialised as JSON
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<Poco::Net::HTTPCookie> cookies;
};

using Handler = std::function<ApiResponse(ApiRequest&)>;

/// One route; `pattern` segments in braces are parameters ("/api/proxies/{id}/rotate").
struct Route
{
    std::string method;
    std::string pattern;
    Access access = Access::User;
    std::string summary;          ///< for the OpenAPI document
    Handler handler;
    bool csrf = true;             ///< state-changing calls by cookie need the CSRF token
};

/// Route table with path parameters. Thread-safe after set-up.
class Router
{
public:
    void add(const std::string& method, const std::string& pattern, Access access, const std::string& summary,
             Handler handler, bool csrf = true);
    /// The route for method+path, filling `params`; nullptr if none. `pathKnown` tells
    /// whether the path exists with another method (405).
    const Route* match(const std::string& method, const std::string& path, std::map<std::string, std::string>& params,
                       bool& pathKnown) const;
    const std::vector<Route>& routes() const { return _routes; }
private:
    std::vector<Route> _routes;
};

// --- JSON helpers --------------------------------------------------------------------

/// ISO 8601 UTC ("2025-11-13T10:15:00Z"), or an empty Var (JSON null) for 0.
Poco::Dynamic::Var isoTime(EpochMs ms);
/// Parses ISO 8601 to epoch ms; 0 when empty; throws ApiError 422 naming `field`.
EpochMs parseIsoTime(const std::string& text, const std::string& field);

/// Typed field readers: absent or null -> nullopt; wrong type -> ApiError 422 naming the field.
std::optional<std::string> optString(const Poco::JSON::Object::Ptr& o, const std::string& field, std::size_t maxBytes = 4096);
std::optional<bool> optBool(const Poco::JSON::Object::Ptr& o, const std::string& field);
std::optional<long long> optInt(const Poco::JSON::Object::Ptr& o, const std::string& field);
std::string requireString(const Poco::JSON::Object::Ptr& o, const std::string& field, std::size_t maxBytes = 4096);
/// Rejects fields not in `allowed` (422 naming the first unknown one).
void onlyFields(const Poco::JSON::Object::Ptr& o, const std::vector<std::string>& allowed);

ApiResponse ok(Poco::Dynamic::Var body, int status = 200);
Poco::JSON::Object::Ptr success();

} // namespace steadyproxy::kernel::api
