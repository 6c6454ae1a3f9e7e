// rotation.interval, loaded from the built module.
#include <TestPluginContext.h>
#include <steadyproxy/sdk/RotationPolicy.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;

class IntervalPolicyTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(IntervalPolicyTest);
    CPPUNIT_TEST(testDisabledByDefault);
    CPPUNIT_TEST(testFromLastRotatedAt);
    CPPUNIT_TEST(testFallsBackToLeaseObtainedAt);
    CPPUNIT_TEST(testFallsBackToKeyCreatedAt);
    CPPUNIT_TEST(testNoClockNoDecision);
    CPPUNIT_TEST(testMinimumTwoMinutes);
    CPPUNIT_TEST(testKeyOverrides);
    CPPUNIT_TEST(testNoLease);
    CPPUNIT_TEST(testOverdueIsDue);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _plugin = test::loadPlugin("rotation.interval");
        _policy = dynamic_cast<RotationPolicy*>(_plugin.get());
        CPPUNIT_ASSERT(_policy);
        _key.id = 3;
        _key.createdAt = T0;
        _key.lastRotatedAt = T0 + 60000;
        _lease.keyId = 3;
        _lease.obtainedAt = T0 + 30000;
        _lease.expiresAt = T0 + 3600000;
        _input.key = &_key;
        _input.lease = &_lease;
        _input.now = T0 + 90000;
        _input.settings.autoRotateIntervalEnabled = true;
        _input.settings.autoRotateIntervalMinutes = 10;
    }

    void testDisabledByDefault()
    {
        _input.settings = Settings();
        CPPUNIT_ASSERT(!_policy->next(_input));
    }

    void testFromLastRotatedAt()
    {
        auto d = _policy->next(_input);
        CPPUNIT_ASSERT(d);
        CPPUNIT_ASSERT_EQUAL(_key.lastRotatedAt + 10 * 60000, d->at);
        CPPUNIT_ASSERT_EQUAL(std::string("interval"), d->reason);
    }

    void testFallsBackToLeaseObtainedAt()
    {
        _key.lastRotatedAt = 0;
        CPPUNIT_ASSERT_EQUAL(_lease.obtainedAt + 10 * 60000, _policy->next(_input)->at);
    }

    void testFallsBackToKeyCreatedAt()
    {
        _key.lastRotatedAt = 0;
        _lease.obtainedAt = 0;
        CPPUNIT_ASSERT_EQUAL(_key.createdAt + 10 * 60000, _policy->next(_input)->at);
    }

    void testNoClockNoDecision()
    {
        _key.lastRotatedAt = 0;
        _lease.obtainedAt = 0;
        _key.createdAt = 0;
        CPPUNIT_ASSERT(!_policy->next(_input));
    }

    void testMinimumTwoMinutes()
    {
        for (int minutes : {-5, 0, 1})
        {
            _input.settings.autoRotateIntervalMinutes = minutes;
            CPPUNIT_ASSERT_EQUAL(_key.lastRotatedAt + 2 * 60000, _policy->next(_input)->at);
        }
        _input.settings.autoRotateIntervalMinutes = 2;
        CPPUNIT_ASSERT_EQUAL(_key.lastRotatedAt + 2 * 60000, _policy->next(_input)->at);
        _input.settings.autoRotateIntervalMinutes = 3;
        CPPUNIT_ASSERT_EQUAL(_key.lastRotatedAt + 3 * 60000, _policy->next(_input)->at);
        _input.settings.autoRotateIntervalMinutes = 1000000; // no overflow
        CPPUNIT_ASSERT_EQUAL(_key.lastRotatedAt + EpochMs(1000000) * 60000, _policy->next(_input)->at);
    }

    void testKeyOverrides()
    {
        Settings global; // interval off, 10 minutes
        _key.overrides.autoRotateIntervalEnabled = true;
        _key.overrides.autoRotateIntervalMinutes = 5;
        _input.settings = _key.overrides.applyTo(global);
        CPPUNIT_ASSERT_EQUAL(_key.lastRotatedAt + 5 * 60000, _policy->next(_input)->at);

        global.autoRotateIntervalEnabled = true;
        _key.overrides = KeyOverrides();
        _key.overrides.autoRotateIntervalEnabled = false;
        _input.settings = _key.overrides.applyTo(global);
        CPPUNIT_ASSERT(!_policy->next(_input));
    }

    void testNoLease()
    {
        _input.lease = nullptr;
        CPPUNIT_ASSERT(!_policy->next(_input));
    }

    void testOverdueIsDue()
    {
        _input.now = _key.lastRotatedAt + 3600000;
        auto d = _policy->next(_input);
        CPPUNIT_ASSERT(d && d->at <= _input.now);
    }

private:
    static constexpr EpochMs T0 = 1763035200000;
    std::unique_ptr<Plugin> _plugin;
    RotationPolicy* _policy = nullptr;
    ProxyKey _key;
    Lease _lease;
    RotationInput _input;
};

CPPUNIT_TEST_SUITE_REGISTRATION(IntervalPolicyTest);
