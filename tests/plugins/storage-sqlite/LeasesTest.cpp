// storage.sqlite: leases (current, history, recordLease, endLease).
#include "StorageHarness.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;
using namespace steadyproxy::test;

class LeasesTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(LeasesTest);
    CPPUNIT_TEST(recordLeaseEndsThePreviousOne);
    CPPUNIT_TEST(historyIsNewestFirstAndLimited);
    CPPUNIT_TEST(currentLeasesHasOnePerKey);
    CPPUNIT_TEST(endLeaseLeavesNoCurrent);
    CPPUNIT_TEST(leaseForUnknownKeyIsNotFound);
    CPPUNIT_TEST_SUITE_END();

public:
    void recordLeaseEndsThePreviousOne()
    {
        StorageHarness h;
        std::int64_t key = h->addKey(sampleKey(1), sampleLog(0, "add", 0));
        CPPUNIT_ASSERT(!h->currentLease(key));
        std::int64_t l1 = h->recordLease(sampleLease(key, 5000, "1.1.1.1"), sampleLog(key, "rotate", 0));
        std::int64_t l2 = h->recordLease(sampleLease(key, 9000, "2.2.2.2"), sampleLog(key, "rotate", 0));
        CPPUNIT_ASSERT(l2 > l1);
        auto cur = h->currentLease(key);
        CPPUNIT_ASSERT(cur);
        CPPUNIT_ASSERT_EQUAL(l2, cur->id);
        CPPUNIT_ASSERT_EQUAL(std::string("2.2.2.2"), cur->realIp);
        CPPUNIT_ASSERT_EQUAL(EpochMs(0), cur->endedAt);
        // Every field round-trips.
        Lease want = sampleLease(key, 9000, "2.2.2.2");
        CPPUNIT_ASSERT(want.http == cur->http);
        CPPUNIT_ASSERT(want.socks5 == cur->socks5);
        CPPUNIT_ASSERT_EQUAL(want.location, cur->location);
        CPPUNIT_ASSERT_EQUAL(want.region, cur->region);
        CPPUNIT_ASSERT_EQUAL(want.expiresAt, cur->expiresAt);
        CPPUNIT_ASSERT_EQUAL(want.nextChangeAt, cur->nextChangeAt);
        CPPUNIT_ASSERT_EQUAL(want.ttlSeconds, cur->ttlSeconds);
        CPPUNIT_ASSERT_EQUAL(want.reason, cur->reason);

        auto history = h->leaseHistory(key, 10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), history.size());
        CPPUNIT_ASSERT_EQUAL(l1, history[1].id);
        CPPUNIT_ASSERT_EQUAL(EpochMs(9000), history[1].endedAt);
        CPPUNIT_ASSERT_EQUAL(EpochMs(9000), h->findKey(key)->lastRotatedAt);
        LogQuery q;
        q.keyId = key;
        q.action = "rotate";
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), h->countLogs(q));
    }

    void historyIsNewestFirstAndLimited()
    {
        StorageHarness h;
        std::int64_t key = h->addKey(sampleKey(1), sampleLog(0, "add", 0));
        for (int i = 0; i < 6; ++i)
            h->recordLease(sampleLease(key, 1000 + i * 100, "10.0.0." + std::to_string(i)), sampleLog(key, "rotate", 0));
        auto all = h->leaseHistory(key, 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), all.size());
        for (std::size_t i = 1; i < all.size(); ++i) CPPUNIT_ASSERT(all[i - 1].obtainedAt > all[i].obtainedAt);
        CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.5"), all[0].realIp);
        auto three = h->leaseHistory(key, 3);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), three.size());
        CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.3"), three[2].realIp);
    }

    void currentLeasesHasOnePerKey()
    {
        StorageHarness h;
        std::int64_t a = h->addKey(sampleKey(1), sampleLog(0, "add", 0));
        std::int64_t b = h->addKey(sampleKey(2), sampleLog(0, "add", 0));
        h->addKey(sampleKey(3), sampleLog(0, "add", 0));
        h->recordLease(sampleLease(a, 100, "1.1.1.1"), sampleLog(a, "rotate", 0));
        h->recordLease(sampleLease(a, 200, "1.1.1.2"), sampleLog(a, "rotate", 0));
        h->recordLease(sampleLease(b, 150, "2.2.2.2"), sampleLog(b, "rotate", 0));
        auto cur = h->currentLeases();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), cur.size());
        CPPUNIT_ASSERT_EQUAL(a, cur[0].keyId);
        CPPUNIT_ASSERT_EQUAL(std::string("1.1.1.2"), cur[0].realIp);
        CPPUNIT_ASSERT_EQUAL(b, cur[1].keyId);
    }

    void endLeaseLeavesNoCurrent()
    {
        StorageHarness h;
        std::int64_t a = h->addKey(sampleKey(1), sampleLog(0, "add", 0));
        h->recordLease(sampleLease(a, 100, "1.1.1.1"), sampleLog(a, "rotate", 0));
        h->endLease(a, 700, sampleLog(a, "release", 0));
        CPPUNIT_ASSERT(!h->currentLease(a));
        CPPUNIT_ASSERT(h->currentLeases().empty());
        auto history = h->leaseHistory(a, 5);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), history.size());
        CPPUNIT_ASSERT_EQUAL(EpochMs(700), history[0].endedAt);
        LogQuery q;
        q.action = "release";
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->countLogs(q));
    }

    void leaseForUnknownKeyIsNotFound()
    {
        StorageHarness h;
        CPPUNIT_ASSERT_THROW(h->recordLease(sampleLease(99, 100, "1.1.1.1"), sampleLog(99, "rotate", 0)), NotFoundError);
        CPPUNIT_ASSERT_THROW(h->endLease(99, 100, sampleLog(99, "release", 0)), NotFoundError);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), h->countLogs(LogQuery{}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LeasesTest);
