// rotation.expiry, loaded from the built module.
#include <TestPluginContext.h>
#include <steadyproxy/sdk/RotationPolicy.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;

class ExpiryPolicyTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ExpiryPolicyTest);
    CPPUNIT_TEST(testOneMinuteBeforeExpiry);
    CPPUNIT_TEST(testConfigurableLead);
    CPPUNIT_TEST(testAlreadyDue);
    CPPUNIT_TEST(testDisabledGlobally);
    CPPUNIT_TEST(testKeyOverrideWins);
    CPPUNIT_TEST(testNoExpiresAt);
    CPPUNIT_TEST(testNoLease);
    CPPUNIT_TEST(testIndependentOfIntervalAndFailures);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _plugin = test::loadPlugin("rotation.expiry");
        _policy = dynamic_cast<RotationPolicy*>(_plugin.get());
        CPPUNIT_ASSERT(_policy);
        _key.id = 7;
        _key.createdAt = T0;
        _lease.keyId = 7;
        _lease.obtainedAt = T0;
        _lease.expiresAt = T0 + 20 * 60000;
        _input.key = &_key;
        _input.lease = &_lease;
        _input.now = T0 + 1000;
    }

    void testOneMinuteBeforeExpiry()
    {
        auto d = _policy->next(_input);
        CPPUNIT_ASSERT(d);
        CPPUNIT_ASSERT_EQUAL(T0 + 19 * 60000, d->at);
        CPPUNIT_ASSERT_EQUAL(std::string("expiry"), d->reason);
    }

    void testConfigurableLead()
    {
        _input.settings.expiryLeadSeconds = 0;
        CPPUNIT_ASSERT_EQUAL(_lease.expiresAt, _policy->next(_input)->at);
        _input.settings.expiryLeadSeconds = 300;
        CPPUNIT_ASSERT_EQUAL(_lease.expiresAt - 300000, _policy->next(_input)->at);
        _input.settings.expiryLeadSeconds = -5; // nonsense: never later than expiry
        CPPUNIT_ASSERT_EQUAL(_lease.expiresAt, _policy->next(_input)->at);
    }

    void testAlreadyDue()
    {
        _input.now = _lease.expiresAt + 5000; // past expiry: "at" is in the past, due now
        auto d = _policy->next(_input);
        CPPUNIT_ASSERT(d);
        CPPUNIT_ASSERT(d->at <= _input.now);
    }

    void testDisabledGlobally()
    {
        _input.settings.autoRotateOnExpiration = false;
        CPPUNIT_ASSERT(!_policy->next(_input));
    }

    void testKeyOverrideWins()
    {
        Settings global;
        global.autoRotateOnExpiration = true;
        _key.overrides.autoRotateOnExpiration = false;
        _input.settings = _key.overrides.applyTo(global);
        CPPUNIT_ASSERT(!_policy->next(_input));

        global.autoRotateOnExpiration = false;
        _key.overrides.autoRotateOnExpiration = true;
        _input.settings = _key.overrides.applyTo(global);
        CPPUNIT_ASSERT(_policy->next(_input));
    }

    void testNoExpiresAt()
    {
        _lease.expiresAt = 0;
        CPPUNIT_ASSERT(!_policy->next(_input));
    }

    void testNoLease()
    {
        _input.lease = nullptr;
        CPPUNIT_ASSERT(!_policy->next(_input));
    }

    void testIndependentOfIntervalAndFailures()
    {
        _input.settings.autoRotateIntervalEnabled = true;
        _input.consecutiveFailures = 99;
        _input.settings.rotateOnFailure = false;
        auto d = _policy->next(_input);
        CPPUNIT_ASSERT(d);
        CPPUNIT_ASSERT_EQUAL(std::string("expiry"), d->reason);
    }

private:
    static constexpr EpochMs T0 = 1763035200000; // 2025-11-13T12:00:00Z
    std::unique_ptr<Plugin> _plugin;
    RotationPolicy* _policy = nullptr;
    ProxyKey _key;
    Lease _lease;
    RotationInput _input;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ExpiryPolicyTest);
