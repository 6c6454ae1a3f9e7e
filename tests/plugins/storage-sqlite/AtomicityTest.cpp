// storage.sqlite: a compound write that fails leaves nothing of itself. Failures are caused
// by real constraints, or injected with a trigger that aborts one statement of the change.
#include "StorageHarness.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;
using namespace steadyproxy::test;

class AtomicityTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(AtomicityTest);
    CPPUNIT_TEST(addKeyWithTakenPortWritesNoLog);
    CPPUNIT_TEST(addKeyWhoseLogFailsWritesNoKey);
    CPPUNIT_TEST(recordLeaseWhoseLogFailsChangesNothing);
    CPPUNIT_TEST(removeKeyWhoseLogFailsKeepsKeyAndLeases);
    CPPUNIT_TEST(saveSettingsWhoseLogFailsKeepsOldSettings);
    CPPUNIT_TEST(removeUserThatFailsKeepsSessionsAndTokens);
    CPPUNIT_TEST_SUITE_END();

    /// Makes every log insert whose details are "boom" fail.
    void failLogsNamedBoom(StorageHarness& h)
    {
        RawDb raw(h.dbPath());
        raw.execute("CREATE TRIGGER inject_log_failure BEFORE INSERT ON logs WHEN NEW.details = 'boom' "
                    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    }

public:
    void addKeyWithTakenPortWritesNoLog()
    {
        StorageHarness h;
        ProxyKey a = sampleKey(1);
        a.port = 9001;
        h->addKey(a, sampleLog(0, "add", 0, "first"));
        ProxyKey b = sampleKey(2);
        b.port = 9001;
        CPPUNIT_ASSERT_THROW(h->addKey(b, sampleLog(0, "add", 0, "second")), ConflictError);
        LogQuery q;
        q.limit = 0;
        auto logs = h->listLogs(q);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs.size());
        CPPUNIT_ASSERT_EQUAL(std::string("first"), logs[0].details);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->listKeys().size());
    }

    void addKeyWhoseLogFailsWritesNoKey()
    {
        StorageHarness h;
        failLogsNamedBoom(h);
        CPPUNIT_ASSERT_THROW(h->addKey(sampleKey(1), sampleLog(0, "add", 0, "boom")), Error);
        CPPUNIT_ASSERT(h->listKeys().empty());
        // The same key goes in once the log can be written: no leftover row holds its port.
        h->addKey(sampleKey(1), sampleLog(0, "add", 0, "ok"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->listKeys().size());
    }

    void recordLeaseWhoseLogFailsChangesNothing()
    {
        StorageHarness h;
        std::int64_t key = h->addKey(sampleKey(1), sampleLog(0, "add", 0));
        std::int64_t first = h->recordLease(sampleLease(key, 1000, "1.1.1.1"), sampleLog(key, "rotate", 0));
        failLogsNamedBoom(h);
        CPPUNIT_ASSERT_THROW(h->recordLease(sampleLease(key, 2000, "2.2.2.2"), sampleLog(key, "rotate", 0, "boom")), Error);
        auto cur = h->currentLease(key);
        CPPUNIT_ASSERT(cur);
        CPPUNIT_ASSERT_EQUAL(first, cur->id);
        CPPUNIT_ASSERT_EQUAL(EpochMs(0), cur->endedAt);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->leaseHistory(key, 0).size());
        CPPUNIT_ASSERT_EQUAL(EpochMs(1000), h->findKey(key)->lastRotatedAt);
    }

    void removeKeyWhoseLogFailsKeepsKeyAndLeases()
    {
        StorageHarness h;
        std::int64_t key = h->addKey(sampleKey(1), sampleLog(0, "add", 0));
        h->recordLease(sampleLease(key, 1000, "1.1.1.1"), sampleLog(key, "rotate", 0));
        HealthSample s;
        s.keyId = key;
        s.at = 1;
        h->addHealthSample(s);
        failLogsNamedBoom(h);
        CPPUNIT_ASSERT_THROW(h->removeKey(key, sampleLog(key, "delete", 0, "boom")), Error);
        CPPUNIT_ASSERT(h->findKey(key));
        CPPUNIT_ASSERT(h->currentLease(key));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->healthSamples(key, 0).size());
    }

    void saveSettingsWhoseLogFailsKeepsOldSettings()
    {
        StorageHarness h;
        Settings s;
        s.failureThreshold = 9;
        h->saveSettings(s, sampleLog(0, "settings", 0));
        failLogsNamedBoom(h);
        s.failureThreshold = 4;
        s.autoRotateIntervalMinutes = 99;
        CPPUNIT_ASSERT_THROW(h->saveSettings(s, sampleLog(0, "settings", 0, "boom")), Error);
        CPPUNIT_ASSERT_EQUAL(9, h->loadSettings().failureThreshold);
        CPPUNIT_ASSERT_EQUAL(Settings{}.autoRotateIntervalMinutes, h->loadSettings().autoRotateIntervalMinutes);
    }

    void removeUserThatFailsKeepsSessionsAndTokens()
    {
        StorageHarness h;
        User u;
        u.username = "alice";
        std::int64_t alice = h->addUser(u);
        Session s;
        s.idHash = "sess";
        s.userId = alice;
        h->addSession(s);
        ApiToken t;
        t.userId = alice;
        t.tokenHash = "tok";
        h->addToken(t);
        ProxyKey k = sampleKey(1);
        k.ownerId = alice;
        std::int64_t key = h->addKey(k, sampleLog(0, "add", 0));
        {
            RawDb raw(h.dbPath());
            raw.execute("CREATE TRIGGER inject_user_failure BEFORE DELETE ON users "
                        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        }
        CPPUNIT_ASSERT_THROW(h->removeUser(alice), Error);
        CPPUNIT_ASSERT(h->findUser(alice));
        CPPUNIT_ASSERT(h->findSession("sess"));
        CPPUNIT_ASSERT(h->findTokenByHash("tok"));
        CPPUNIT_ASSERT_EQUAL(alice, h->findKey(key)->ownerId);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AtomicityTest);
