// storage.sqlite: health samples and their per-key retention.
#include "StorageHarness.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;
using namespace steadyproxy::test;

class HealthTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(HealthTest);
    CPPUNIT_TEST(samplesRoundTripNewestFirst);
    CPPUNIT_TEST(retentionKeepsNewestPerKey);
    CPPUNIT_TEST_SUITE_END();

    HealthSample sample(std::int64_t key, EpochMs at, bool ok)
    {
        HealthSample s;
        s.keyId = key;
        s.at = at;
        s.ok = ok;
        s.state = ok ? "active" : "error";
        s.latencyMs = ok ? static_cast<int>(at % 1000) : -1;
        s.exitIp = "100.64.0.1";
        s.httpStatus = ok ? 204 : 0;
        s.error = ok ? "" : "timeout after 5 s";
        return s;
    }

public:
    void samplesRoundTripNewestFirst()
    {
        StorageHarness h;
        std::int64_t key = h->addKey(sampleKey(1), sampleLog(0, "add", 0));
        h->addHealthSample(sample(key, 1100, true));
        h->addHealthSample(sample(key, 1300, false));
        h->addHealthSample(sample(key, 1200, true));
        auto s = h->healthSamples(key, 10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), s.size());
        CPPUNIT_ASSERT_EQUAL(EpochMs(1300), s[0].at);
        CPPUNIT_ASSERT_EQUAL(false, s[0].ok);
        CPPUNIT_ASSERT_EQUAL(std::string("error"), s[0].state);
        CPPUNIT_ASSERT_EQUAL(-1, s[0].latencyMs);
        CPPUNIT_ASSERT_EQUAL(std::string("timeout after 5 s"), s[0].error);
        CPPUNIT_ASSERT_EQUAL(EpochMs(1200), s[1].at);
        CPPUNIT_ASSERT_EQUAL(true, s[1].ok);
        CPPUNIT_ASSERT_EQUAL(200, s[1].latencyMs);
        CPPUNIT_ASSERT_EQUAL(204, s[1].httpStatus);
        CPPUNIT_ASSERT_EQUAL(std::string("100.64.0.1"), s[1].exitIp);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), h->healthSamples(key, 2).size());
    }

    void retentionKeepsNewestPerKey()
    {
        StorageHarness h(StorageConfig{{"health_samples_per_key", "10"}});
        std::int64_t a = h->addKey(sampleKey(1), sampleLog(0, "add", 0));
        std::int64_t b = h->addKey(sampleKey(2), sampleLog(0, "add", 0));
        for (int i = 0; i < 25; ++i) h->addHealthSample(sample(a, 10000 + i, true));
        for (int i = 0; i < 5; ++i) h->addHealthSample(sample(b, 10000 + i, true));
        auto sa = h->healthSamples(a, 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), sa.size());
        CPPUNIT_ASSERT_EQUAL(EpochMs(10024), sa.front().at);
        CPPUNIT_ASSERT_EQUAL(EpochMs(10015), sa.back().at);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), h->healthSamples(b, 0).size());
        RawDb raw(h.dbPath());
        CPPUNIT_ASSERT_EQUAL(15LL, raw.integer("SELECT COUNT(*) FROM health_samples"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HealthTest);
