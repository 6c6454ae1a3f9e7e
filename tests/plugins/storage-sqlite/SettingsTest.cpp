// storage.sqlite: settings defaults, save + log together, survival across reopen.
#include "StorageHarness.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;
using namespace steadyproxy::test;

class SettingsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SettingsTest);
    CPPUNIT_TEST(defaultsWhenNothingSaved);
    CPPUNIT_TEST(savedSettingsRoundTripAndSurviveReopen);
    CPPUNIT_TEST_SUITE_END();

public:
    void defaultsWhenNothingSaved()
    {
        StorageHarness h;
        Settings d;
        Settings s = h->loadSettings();
        CPPUNIT_ASSERT_EQUAL(d.autoRotateOnExpiration, s.autoRotateOnExpiration);
        CPPUNIT_ASSERT_EQUAL(d.autoRotateIntervalMinutes, s.autoRotateIntervalMinutes);
        CPPUNIT_ASSERT_EQUAL(d.failureThreshold, s.failureThreshold);
    }

    void savedSettingsRoundTripAndSurviveReopen()
    {
        StorageHarness h;
        Settings s;
        s.autoRotateOnExpiration = false;
        s.autoRotateIntervalEnabled = true;
        s.autoRotateIntervalMinutes = 17;
        s.expiryLeadSeconds = 45;
        s.healthCheckIntervalSeconds = 12;
        s.failureThreshold = 7;
        s.rotateOnFailure = false;
        h->saveSettings(s, sampleLog(0, "settings", nowMs(h), "interval 17 min"));
        h.open();
        Settings r = h->loadSettings();
        CPPUNIT_ASSERT_EQUAL(false, r.autoRotateOnExpiration);
        CPPUNIT_ASSERT_EQUAL(true, r.autoRotateIntervalEnabled);
        CPPUNIT_ASSERT_EQUAL(17, r.autoRotateIntervalMinutes);
        CPPUNIT_ASSERT_EQUAL(45, r.expiryLeadSeconds);
        CPPUNIT_ASSERT_EQUAL(12, r.healthCheckIntervalSeconds);
        CPPUNIT_ASSERT_EQUAL(7, r.failureThreshold);
        CPPUNIT_ASSERT_EQUAL(false, r.rotateOnFailure);
        LogQuery q;
        q.action = "settings";
        auto logs = h->listLogs(q);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs.size());
        CPPUNIT_ASSERT_EQUAL(std::string("interval 17 min"), logs[0].details);

        s.failureThreshold = 2;
        h->saveSettings(s, sampleLog(0, "settings", nowMs(h)));
        CPPUNIT_ASSERT_EQUAL(2, h->loadSettings().failureThreshold);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), h->countLogs(q));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SettingsTest);
