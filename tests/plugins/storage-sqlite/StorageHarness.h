#pragma once
// Test support for storage.sqlite: loads the real built plugin, configures it, starts it on a
// database file in a fresh temporary folder, and can reopen it on the same file.
#include "TestPluginContext.h"
#include <steadyproxy/sdk/Storage.h>
#include <Poco/AutoPtr.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/SessionImpl.h>
#include <Poco/Data/Session.h>
#include <Poco/Util/MapConfiguration.h>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace steadyproxy::test {

/// One started storage.sqlite on `<context.dataDir()>/<file>` (or the default path when
/// `file` is empty).
using StorageConfig = std::map<std::string, std::string>;

class StorageHarness
{
public:
    explicit StorageHarness(std::map<std::string, std::string> config = {}, std::string file = "store/test.db"):
        _config(std::move(config))
    {
        if (!file.empty()) _config["path"] = context.dataDir() + "/" + file;
        open();
    }

    ~StorageHarness() { close(); }

    Storage& storage() { return *_storage; }
    Storage* operator->() { return _storage; }

    /// The absolute database path the harness configured ("" when the default is used).
    std::string dbPath() const
    {
        auto it = _config.find("path");
        return it == _config.end() ? context.dataDir() + "/steadyproxy.db" : it->second;
    }

    /// Stops the plugin and destroys the instance.
    void close()
    {
        if (_plugin) _plugin->stop();
        _plugin.reset();
        _storage = nullptr;
    }

    /// Loads, configures and starts a new instance on the same configuration.
    void open()
    {
        close();
        _plugin = loadPlugin("storage.sqlite");
        _storage = dynamic_cast<Storage*>(_plugin.get());
        if (!_storage) throw std::runtime_error("storage.sqlite does not implement steadyproxy::Storage");
        Poco::AutoPtr<Poco::Util::MapConfiguration> cfg(new Poco::Util::MapConfiguration);
        for (const auto& [k, v] : _config) cfg->setString(k, v);
        _plugin->configure(*cfg);
        _plugin->start(context);
    }

    TestPluginContext context{"storage-test"};

private:
    std::map<std::string, std::string> _config;
    std::unique_ptr<Plugin> _plugin;
    Storage* _storage = nullptr;
};

/// A direct connection to a database file, independent of the plugin, to look at rows.
class RawDb
{
public:
    explicit RawDb(const std::string& path):
        _session(Poco::AutoPtr<Poco::Data::SessionImpl>(new Poco::Data::SQLite::SessionImpl(path)))
    {
    }
    ~RawDb() { try { _session.close(); } catch (...) {} }

    long long integer(const std::string& sql)
    {
        Poco::Data::Statement st(_session);
        st << sql;
        st.execute();
        Poco::Data::RecordSet rs(st);
        if (rs.rowCount() == 0) throw std::runtime_error("no row from: " + sql);
        return rs.value(0, 0).convert<long long>();
    }
    std::string text(const std::string& sql)
    {
        Poco::Data::Statement st(_session);
        st << sql;
        st.execute();
        Poco::Data::RecordSet rs(st);
        if (rs.rowCount() == 0) throw std::runtime_error("no row from: " + sql);
        return rs.value(0, 0).convert<std::string>();
    }
    void execute(const std::string& sql)
    {
        Poco::Data::Statement st(_session);
        st << sql;
        st.execute();
    }

private:
    Poco::Data::Session _session;
};

/// A complete key numbered n: subdomain proxy<n>, port 20000+n, fingerprint fp-<n>.
inline ProxyKey sampleKey(int n)
{
    ProxyKey k;
    k.ownerId = 0;
    k.name = "key " + std::to_string(n);
    k.providerId = "provider.kiotproxy";
    k.secretSealed = "sealed-secret-" + std::to_string(n);
    k.secretMasked = "Ke4b..." + std::to_string(n);
    k.secretFingerprint = "fp-" + std::to_string(n);
    k.region = "bac";
    k.subdomain = "proxy" + std::to_string(n);
    k.port = static_cast<std::uint16_t>(20000 + n);
    k.active = true;
    k.endpointUser = "user" + std::to_string(n);
    k.endpointPassSealed = "sealed-pass-" + std::to_string(n);
    k.allowCidrs = {"10.0.0.0/8", "192.168.1.7/32"};
    k.overrides.autoRotateIntervalMinutes = 5;
    k.overrides.rotateOnFailure = false;
    k.status = "pending";
    k.statusMessage = "waiting for the first lease";
    k.createdAt = 1700000000000LL + n;
    return k;
}

inline Lease sampleLease(std::int64_t keyId, EpochMs obtainedAt, const std::string& ip)
{
    Lease l;
    l.keyId = keyId;
    l.http = Upstream{Upstream::Kind::Http, ip, 8080, "u@x", "p:w%"};
    l.socks5 = Upstream{Upstream::Kind::Socks5, ip, 1080, "", ""};
    l.realIp = ip;
    l.location = "Bình Thuận";
    l.region = "nam";
    l.obtainedAt = obtainedAt;
    l.expiresAt = obtainedAt + 1800000;
    l.nextChangeAt = obtainedAt + 60000;
    l.ttlSeconds = 1800;
    l.reason = "expiry";
    return l;
}

inline LogEntry sampleLog(std::int64_t keyId, const std::string& action, EpochMs at, const std::string& details = "")
{
    LogEntry e;
    e.keyId = keyId;
    e.action = action;
    e.reason = "manual";
    e.region = "bac";
    e.status = "success";
    e.details = details;
    e.at = at;
    return e;
}

/// Milliseconds now by the test context's clock.
inline EpochMs nowMs(StorageHarness& h) { return h.context.clock().now(); }

} // namespace steadyproxy::test
