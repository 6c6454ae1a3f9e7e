// storage.sqlite: the schema version, reopening, refusing a newer database, pragmas.
#include "StorageHarness.h"
#include <cppunit/extensions/HelperMacros.h>
#include <Poco/File.h>
#include <unistd.h>

using namespace steadyproxy;
using namespace steadyproxy::test;

class MigrationsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(MigrationsTest);
    CPPUNIT_TEST(freshDatabaseGetsLatestVersion);
    CPPUNIT_TEST(reopeningIsANoOp);
    CPPUNIT_TEST(newerDatabaseIsRefused);
    CPPUNIT_TEST(defaultPathIsInDataDir);
    CPPUNIT_TEST(relativePathIsRelativeToWorkingDirectory);
    CPPUNIT_TEST(pragmasAreApplied);
    CPPUNIT_TEST(callsBeforeStartThrowStorageError);
    CPPUNIT_TEST(declaresItsOptions);
    CPPUNIT_TEST_SUITE_END();

public:
    void freshDatabaseGetsLatestVersion()
    {
        StorageHarness h;
        CPPUNIT_ASSERT(Poco::File(h.dbPath()).exists());
        RawDb raw(h.dbPath());
        CPPUNIT_ASSERT(raw.integer("PRAGMA user_version") >= 1);
        for (const char* table : {"settings", "users", "sessions", "api_tokens", "proxy_keys", "leases", "health_samples", "logs"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(table, 1LL,
                raw.integer(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='") + table + "'"));
    }

    void reopeningIsANoOp()
    {
        StorageHarness h;
        LogEntry log = sampleLog(0, "settings", nowMs(h));
        std::int64_t keyId = h->addKey(sampleKey(1), log);
        long long version;
        {
            RawDb raw(h.dbPath());
            version = raw.integer("PRAGMA user_version");
        }
        h.open();
        h.open();
        RawDb raw(h.dbPath());
        CPPUNIT_ASSERT_EQUAL(version, raw.integer("PRAGMA user_version"));
        CPPUNIT_ASSERT(h->findKey(keyId).has_value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->listKeys().size());
    }

    void newerDatabaseIsRefused()
    {
        StorageHarness h;
        h.close();
        long long version;
        {
            RawDb raw(h.dbPath());
            version = raw.integer("PRAGMA user_version");
            raw.execute("PRAGMA user_version = " + std::to_string(version + 1));
        }
        try
        {
            h.open();
            CPPUNIT_FAIL("a database with a newer schema version was opened");
        }
        catch (const StorageError& e)
        {
            std::string msg = e.what();
            CPPUNIT_ASSERT_MESSAGE(msg, msg.find("newer") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(msg, msg.find(std::to_string(version + 1)) != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(msg, msg.find(h.dbPath()) != std::string::npos);
        }
        RawDb raw(h.dbPath());
        CPPUNIT_ASSERT_EQUAL(version + 1, raw.integer("PRAGMA user_version"));
    }

    void defaultPathIsInDataDir()
    {
        StorageHarness h({}, "");
        CPPUNIT_ASSERT(Poco::File(h.context.dataDir() + "/steadyproxy.db").exists());
    }

    void relativePathIsRelativeToWorkingDirectory()
    {
        TestPluginContext scratch("cwd");
        std::string old = Poco::Path::current();
        CPPUNIT_ASSERT_EQUAL(0, ::chdir(scratch.dataDir().c_str()));
        try
        {
            StorageHarness h(StorageConfig{{"path", "rel/dir/x.db"}}, "");
            CPPUNIT_ASSERT(Poco::File(scratch.dataDir() + "/rel/dir/x.db").exists());
        }
        catch (...)
        {
            (void)::chdir(old.c_str());
            throw;
        }
        CPPUNIT_ASSERT_EQUAL(0, ::chdir(old.c_str()));
    }

    void pragmasAreApplied()
    {
        StorageHarness h;
        RawDb raw(h.dbPath());
        CPPUNIT_ASSERT_EQUAL(std::string("wal"), raw.text("PRAGMA journal_mode"));
        // foreign_keys and synchronous are per connection: observe their effect instead.
        ProxyKey k = sampleKey(1);
        std::int64_t id = h->addKey(k, sampleLog(0, "add", nowMs(h)));
        HealthSample s;
        s.keyId = id + 100;
        s.at = nowMs(h);
        CPPUNIT_ASSERT_THROW(h->addHealthSample(s), NotFoundError);
    }

    void callsBeforeStartThrowStorageError()
    {
        auto plugin = loadPlugin("storage.sqlite");
        auto* storage = dynamic_cast<Storage*>(plugin.get());
        CPPUNIT_ASSERT(storage);
        CPPUNIT_ASSERT_THROW(storage->listKeys(), StorageError);
    }

    void declaresItsOptions()
    {
        auto plugin = loadPlugin("storage.sqlite");
        std::map<std::string, ConfigOption> byKey;
        for (const ConfigOption& o : plugin->configOptions()) byKey[o.key] = o;
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), byKey.size());
        CPPUNIT_ASSERT(byKey["path"].type == ConfigOption::Type::String);
        CPPUNIT_ASSERT_EQUAL(std::string("5000"), byKey["busy_timeout_ms"].defaultValue);
        CPPUNIT_ASSERT_EQUAL(600000LL, byKey["busy_timeout_ms"].max);
        CPPUNIT_ASSERT_EQUAL(std::string("30"), byKey["log_retention_days"].defaultValue);
        CPPUNIT_ASSERT_EQUAL(100LL, byKey["log_retention_rows"].min);
        CPPUNIT_ASSERT_EQUAL(std::string("500"), byKey["health_samples_per_key"].defaultValue);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MigrationsTest);
