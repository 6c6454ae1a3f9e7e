// storage_sqlite_writer <db-path> <seconds>
//
// Loads the real storage.sqlite on <db-path> and writes in a tight loop for at most
// <seconds>: a log entry, a lease (which ends the previous one and writes a log), and every
// tenth round a new key. After each call has returned it prints "<kind> <id> <token>" and
// flushes, so every printed line is a write the store acknowledged; the token is unique to
// that write (log details, lease region, key subdomain) so that a later write reusing the id
// cannot pass for it. test_sigkill_durability.py kills this process with SIGKILL at random
// moments and then checks every printed id is stored with its token.
#include "TestPluginContext.h"
#include <steadyproxy/sdk/Storage.h>
#include <Poco/AutoPtr.h>
#include <Poco/Path.h>
#include <Poco/Util/MapConfiguration.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <unistd.h>

using namespace steadyproxy;

namespace {

/// A context whose data folder is the database's folder (nothing temporary to leak when
/// the process is killed).
class WriterContext : public PluginContext
{
public:
    explicit WriterContext(std::string dir): _dir(std::move(dir)) {}
    Poco::Logger& logger() override { return Poco::Logger::get("storage-writer"); }
    Registry& registry() override { return _registry; }
    Clock& clock() override { return _clock; }
    EventBus& events() override { return _bus; }
    std::string dataDir() const override { return _dir; }

private:
    std::string _dir;
    test::SimpleRegistry _registry;
    test::ManualClock _clock;
    test::RecordingEventBus _bus;
};

ProxyKey keyNumbered(int port, long pid, int n)
{
    ProxyKey k;
    std::string tag = std::to_string(pid) + "-" + std::to_string(n);
    k.name = "writer key " + tag;
    k.providerId = "provider.kiotproxy";
    k.secretSealed = "sealed-" + tag;
    k.secretMasked = "Ke..." + tag;
    k.secretFingerprint = "fp-" + tag;
    k.subdomain = "w" + tag;
    k.port = static_cast<std::uint16_t>(port);
    k.endpointUser = "u" + tag;
    k.endpointPassSealed = "p" + tag;
    k.status = "active";
    return k;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3)
    {
        std::cerr << "usage: storage_sqlite_writer <db-path> <seconds>\n";
        return 2;
    }
    const std::string dbPath = argv[1];
    const double seconds = std::stod(argv[2]);
    try
    {
        WriterContext context(Poco::Path(dbPath).parent().toString());
        std::unique_ptr<Plugin> plugin = test::loadPlugin("storage.sqlite");
        auto* storage = dynamic_cast<Storage*>(plugin.get());
        if (!storage) throw std::runtime_error("storage.sqlite does not implement Storage");
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("path", dbPath);
        config->setInt("log_retention_rows", 100000000);
        config->setInt("log_retention_days", 3650);
        plugin->configure(*config);
        plugin->start(context);

        const long pid = static_cast<long>(::getpid());
        int nextPort = 1024;
        for (const ProxyKey& k : storage->listKeys()) nextPort = std::max(nextPort, static_cast<int>(k.port) + 1);
        std::vector<std::int64_t> keys;
        for (const ProxyKey& k : storage->listKeys()) keys.push_back(k.id);

        std::printf("ready\n");
        std::fflush(stdout);

        const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        int round = 0;
        // Bounded by time and by port numbers.
        while (std::chrono::steady_clock::now() < deadline && nextPort < 65536)
        {
            if (keys.empty() || round % 10 == 0)
            {
                LogEntry log;
                log.action = "add";
                log.details = "writer " + std::to_string(pid);
                ProxyKey key = keyNumbered(nextPort++, pid, round);
                std::int64_t id = storage->addKey(key, log);
                keys.push_back(id);
                std::printf("key %lld %s\n", static_cast<long long>(id), key.subdomain.c_str());
                std::fflush(stdout);
            }
            std::int64_t keyId = keys[static_cast<std::size_t>(round) % keys.size()];

            LogEntry entry;
            entry.keyId = keyId;
            entry.action = "check";
            entry.status = "success";
            entry.details = "l" + std::to_string(pid) + "-" + std::to_string(round);
            std::int64_t logId = storage->addLog(entry);
            std::printf("log %lld %s\n", static_cast<long long>(logId), entry.details.c_str());
            std::fflush(stdout);

            Lease lease;
            lease.keyId = keyId;
            lease.http = Upstream{Upstream::Kind::Http, "10.0.0." + std::to_string(round % 250), 8080, "", ""};
            lease.realIp = lease.http.host;
            lease.location = "Phú Thọ";
            lease.reason = "interval";
            lease.region = "r" + std::to_string(pid) + "-" + std::to_string(round);
            LogEntry rotated;
            rotated.keyId = keyId;
            rotated.action = "rotate";
            std::int64_t leaseId = storage->recordLease(lease, rotated);
            std::printf("lease %lld %s\n", static_cast<long long>(leaseId), lease.region.c_str());
            std::fflush(stdout);
            ++round;
        }
        plugin->stop();
        std::printf("done %d\n", round);
        std::fflush(stdout);
        return 0;
    }
    catch (const std::exception& e)
    {
        std::cerr << "storage_sqlite_writer: " << e.what() << "\n";
        return 1;
    }
}
