#include <steadyproxy/kernel/DataJsonImport.h>
#include <steadyproxy/kernel/Kernel.h>
#include <steadyproxy/kernel/api/Routes.h>
#include <Poco/JSON/Array.h>
#include <map>

namespace steadyproxy::kernel {

namespace {

struct Report
{
    int settings = 0, users = 0, keys = 0, logs = 0;
    Poco::JSON::Array::Ptr skipped = new Poco::JSON::Array;
    void skip(const std::string& what, const std::string& why)
    {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("what", what);
        o->set("why", why);
        skipped->add(o);
    }
};

std::string str(const Poco::JSON::Object::Ptr& o, const std::string& field)
{
    if (!o->has(field) || o->isNull(field)) return "";
    Poco::Dynamic::Var v = o->get(field);
    return v.isString() ? v.extract<std::string>() : v.toString();
}

long long num(const Poco::JSON::Object::Ptr& o, const std::string& field, long long fallback = 0)
{
    if (!o->has(field) || o->isNull(field)) return fallback;
    try
    {
        return o->get(field).convert<Poco::Int64>();
    }
    catch (const Poco::Exception&)
    {
        return fallback;
    }
}

Poco::JSON::Array::Ptr list(const Poco::JSON::Object::Ptr& data, const std::string& field)
{
    if (!data->has(field) || data->isNull(field)) return new Poco::JSON::Array;
    if (!data->isArray(field)) throw ValidationError(field, field + " must be a list");
    return data->getArray(field);
}

void importSettings(Kernel& kernel, const Poco::JSON::Object::Ptr& data, Report& report)
{
    if (!data->has("settings") || !data->isObject("settings")) return;
    auto in = data->getObject("settings");
    Poco::JSON::Object::Ptr known = new Poco::JSON::Object;
    for (const char* f : {"auto_rotate_on_expiration", "auto_rotate_interval_enabled", "auto_rotate_interval_minutes"})
        if (in->has(f)) known->set(f, in->get(f));
    Settings current = kernel.keys().settings();
    try
    {
        Settings next = api::settingsFromJson(known, current);
        if (next.autoRotateOnExpiration == current.autoRotateOnExpiration &&
            next.autoRotateIntervalEnabled == current.autoRotateIntervalEnabled &&
            next.autoRotateIntervalMinutes == current.autoRotateIntervalMinutes)
        {
            report.skip("settings", "unchanged");
            return;
        }
        kernel.keys().saveSettings(next);
        report.settings = 1;
    }
    catch (const api::ApiError& e)
    {
        report.skip("settings", e.what());
    }
    catch (const ValidationError& e)
    {
        report.skip("settings", e.what());
    }
}

} // namespace

Poco::JSON::Object::Ptr importDataJson(Kernel& kernel, const Poco::JSON::Object::Ptr& data)
{
    if (!data || (!data->has("proxy_keys") && !data->has("users") && !data->has("settings")))
        throw ValidationError("data", "this is not a KiotProxy Manager data.json: it has no settings, users or proxy_keys");
    Report report;
    Storage& store = kernel.storage();
    EpochMs now = kernel.clock().now();
    importSettings(kernel, data, report);

    // users: old id -> new id
    std::map<long long, std::int64_t> userIds;
    auto users = list(data, "users");
    for (std::size_t i = 0; i < users->size(); ++i)
    {
        auto u = users->getObject(static_cast<unsigned>(i));
        if (!u) { report.skip("users[" + std::to_string(i) + "]", "not an object"); continue; }
        std::string name = str(u, "username");
        std::string hash = str(u, "password");
        long long oldId = num(u, "id");
        if (auto existing = store.findUserByName(name))
        {
            userIds[oldId] = existing->id;
            report.skip("user " + name, "already exists");
            continue;
        }
        if (name.empty() || name.size() > 64 || name.find_first_of(" \t\r\n:/") != std::string::npos)
        {
            report.skip("users[" + std::to_string(i) + "]", "the user name is empty or invalid");
            continue;
        }
        if (hash.rfind("$2", 0) != 0 && hash.rfind("$argon2", 0) != 0)
        {
            report.skip("user " + name, "the password is not a bcrypt or argon2 hash");
            continue;
        }
        User user;
        user.username = name;
        user.passwordHash = hash;
        std::string role = str(u, "role");
        user.role = role == "admin" || role == "user" ? role : (oldId == 1 || name == "admin" ? "admin" : "user");
        user.createdAt = now;
        userIds[oldId] = store.addUser(user);
        ++report.users;
    }

    // keys: old id -> new id (only for keys imported now)
    std::map<long long, std::int64_t> keyIds;
    auto keys = list(data, "proxy_keys");
    for (std::size_t i = 0; i < keys->size(); ++i)
    {
        auto k = keys->getObject(static_cast<unsigned>(i));
        if (!k) { report.skip("proxy_keys[" + std::to_string(i) + "]", "not an object"); continue; }
        std::string label = str(k, "subdomain").empty() ? "proxy_keys[" + std::to_string(i) + "]" : str(k, "subdomain");
        KeyService::NewKey request;
        request.secret = str(k, "kiotproxy_key");
        request.name = str(k, "key_name");
        request.region = str(k, "region").empty() ? "random" : str(k, "region");
        request.subdomain = str(k, "subdomain");
        long long port = num(k, "port");
        if (port < 0 || port > 65535)
        {
            report.skip(label, "port " + std::to_string(port) + " is not a port number");
            continue;
        }
        request.port = static_cast<std::uint16_t>(port);
        request.active = !k->has("is_active") || k->isNull("is_active") || k->getValue<bool>("is_active");
        try
        {
            request.createdAt = api::parseIsoTime(str(k, "created_at"), "created_at");
        }
        catch (const api::ApiError&)
        {
            request.createdAt = 0;
        }
        auto owner = userIds.find(num(k, "user_id"));
        request.ownerId = owner == userIds.end() ? 0 : owner->second;
        try
        {
            KeyView v = kernel.keys().addKey(request);
            keyIds[num(k, "id")] = v.key.id;
            ++report.keys;
        }
        catch (const ConflictError& e)
        {
            report.skip(label, e.what());
        }
        catch (const ValidationError& e)
        {
            report.skip(label, e.field() + ": " + e.what());
        }
    }

    auto logs = list(data, "logs");
    for (std::size_t i = 0; i < logs->size(); ++i)
    {
        auto l = logs->getObject(static_cast<unsigned>(i));
        if (!l) continue;
        auto key = keyIds.find(num(l, "proxy_id"));
        if (key == keyIds.end()) continue; // logs come only with the keys imported now
        LogEntry e;
        e.keyId = key->second;
        e.action = str(l, "action");
        e.reason = "import";
        e.region = str(l, "region");
        e.status = str(l, "status");
        e.details = str(l, "details");
        try
        {
            e.at = api::parseIsoTime(str(l, "timestamp"), "timestamp");
        }
        catch (const api::ApiError&)
        {
            e.at = now;
        }
        if (!e.at) e.at = now;
        store.addLog(e);
        ++report.logs;
    }
    store.addLog(LogEntry{0, 0, "import", "manual", "", "success",
                          "Imported data.json: " + std::to_string(report.users) + " users, " + std::to_string(report.keys) +
                              " keys, " + std::to_string(report.logs) + " log entries",
                          now});

    Poco::JSON::Object::Ptr imported = new Poco::JSON::Object;
    imported->set("settings", report.settings);
    imported->set("users", report.users);
    imported->set("keys", report.keys);
    imported->set("logs", report.logs);
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
    out->set("imported", imported);
    out->set("skipped", report.skipped);
    return out;
}

} // namespace steadyproxy::kernel
