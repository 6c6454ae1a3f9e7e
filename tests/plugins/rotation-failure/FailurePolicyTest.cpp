// rotation.failure, loaded from the built module.
#include <TestPluginContext.h>
#include <steadyproxy/sdk/RotationPolicy.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;

class FailurePolicyTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(FailurePolicyTest);
    CPPUNIT_TEST(testBelowThreshold);
    CPPUNIT_TEST(testAtThresholdRotatesNow);
    CPPUNIT_TEST(testAboveThreshold);
    CPPUNIT_TEST(testDisabled);
    CPPUNIT_TEST(testKeyOverride);
    CPPUNIT_TEST(testZeroThresholdActsAsOne);
    CPPUNIT_TEST(testNoLease);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _plugin = test::loadPlugin("rotation.failure");
        _policy = dynamic_cast<RotationPolicy*>(_plugin.get());
        CPPUNIT_ASSERT(_policy);
        _key.id = 1;
        _key.createdAt = T0;
        _lease.keyId = 1;
        _lease.obtainedAt = T0;
        _input.key = &_key;
        _input.lease = &_lease;
        _input.now = T0 + 120000;
        // defaults: rotateOnFailure = true, failureThreshold = 3
    }

    void testBelowThreshold()
    {
        for (int n : {0, 1, 2})
        {
            _input.consecutiveFailures = n;
            CPPUNIT_ASSERT(!_policy->next(_input));
        }
    }

    void testAtThresholdRotatesNow()
    {
        _input.consecutiveFailures = 3;
        auto d = _policy->next(_input);
        CPPUNIT_ASSERT(d);
        CPPUNIT_ASSERT_EQUAL(_input.now, d->at);
        CPPUNIT_ASSERT_EQUAL(std::string("failure"), d->reason);
    }

    void testAboveThreshold()
    {
        _input.consecutiveFailures = 10;
        CPPUNIT_ASSERT(_policy->next(_input));
        _input.settings.failureThreshold = 11;
        CPPUNIT_ASSERT(!_policy->next(_input));
    }

    void testDisabled()
    {
        _input.settings.rotateOnFailure = false;
        _input.consecutiveFailures = 100;
        CPPUNIT_ASSERT(!_policy->next(_input));
    }

    void testKeyOverride()
    {
        Settings global;
        _key.overrides.rotateOnFailure = false;
        _input.settings = _key.overrides.applyTo(global);
        _input.consecutiveFailures = 5;
        CPPUNIT_ASSERT(!_policy->next(_input));
        global.rotateOnFailure = false;
        _key.overrides.rotateOnFailure = true;
        _input.settings = _key.overrides.applyTo(global);
        CPPUNIT_ASSERT(_policy->next(_input));
    }

    void testZeroThresholdActsAsOne()
    {
        _input.settings.failureThreshold = 0;
        _input.consecutiveFailures = 0;
        CPPUNIT_ASSERT_MESSAGE("a healthy key must not rotate", !_policy->next(_input));
        _input.consecutiveFailures = 1;
        CPPUNIT_ASSERT(_policy->next(_input));
    }

    void testNoLease()
    {
        _input.lease = nullptr;
        _input.consecutiveFailures = 5;
        CPPUNIT_ASSERT(!_policy->next(_input));
    }

private:
    static constexpr EpochMs T0 = 1763035200000;
    std::unique_ptr<Plugin> _plugin;
    RotationPolicy* _policy = nullptr;
    ProxyKey _key;
    Lease _lease;
    RotationInput _input;
};

CPPUNIT_TEST_SUITE_REGISTRATION(FailurePolicyTest);
