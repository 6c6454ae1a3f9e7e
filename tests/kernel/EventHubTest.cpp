// EventHub: synchronous delivery in subscription order, unsubscribe, throwing handlers.
#include <steadyproxy/kernel/Clocks.h>
#include <steadyproxy/kernel/EventHub.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <stdexcept>
#include <string>
#include <vector>

using namespace steadyproxy;
using namespace steadyproxy::kernel;

namespace {

Event event(const std::string& type)
{
    Event e;
    e.type = type;
    return e;
}

} // namespace

class EventHubTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(EventHubTest);
    CPPUNIT_TEST(testDeliveryInSubscriptionOrder);
    CPPUNIT_TEST(testEventFieldsAndTime);
    CPPUNIT_TEST(testUnsubscribe);
    CPPUNIT_TEST(testThrowingHandlerDoesNotStopOthers);
    CPPUNIT_TEST(testHandlerMayPublish);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDeliveryInSubscriptionOrder()
    {
        OffsetClock clock;
        EventHub hub(clock);
        std::vector<std::string> seen;
        for (const char* name : {"first", "second", "third"})
            hub.subscribe([&seen, name](const Event& e) { seen.push_back(std::string(name) + ":" + e.type); });
        hub.publish(event("key.added"));
        hub.publish(event("key.removed"));
        std::vector<std::string> expected{"first:key.added", "second:key.added", "third:key.added",
                                          "first:key.removed", "second:key.removed", "third:key.removed"};
        CPPUNIT_ASSERT(expected == seen);
    }

    void testEventFieldsAndTime()
    {
        OffsetClock clock;
        clock.advance(5000);
        EventHub hub(clock);
        std::vector<Event> seen;
        hub.subscribe([&](const Event& e) { seen.push_back(e); });
        Event e;
        e.type = "upstream.changed";
        e.keyId = 7;
        e.data = {{"ip", "203.0.113.5"}, {"reason", "expiry"}};
        EpochMs before = clock.now();
        hub.publish(e);
        EpochMs after = clock.now();
        Event given = e;
        given.at = 1234;
        hub.publish(given);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), seen.size());
        CPPUNIT_ASSERT_EQUAL(std::string("upstream.changed"), seen[0].type);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7), seen[0].keyId);
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.5"), seen[0].data.at("ip"));
        // The bus stamps the time from its clock (the moved one) when the event has none.
        CPPUNIT_ASSERT(seen[0].at >= before && seen[0].at <= after);
        CPPUNIT_ASSERT_EQUAL(EpochMs(1234), seen[1].at);
    }

    void testUnsubscribe()
    {
        OffsetClock clock;
        EventHub hub(clock);
        std::vector<int> seen;
        auto a = hub.subscribe([&](const Event&) { seen.push_back(1); });
        auto b = hub.subscribe([&](const Event&) { seen.push_back(2); });
        auto c = hub.subscribe([&](const Event&) { seen.push_back(3); });
        CPPUNIT_ASSERT(a != b && b != c && a != c);
        hub.unsubscribe(b);
        hub.unsubscribe(9999); // unknown ids are ignored
        hub.publish(event("health.changed"));
        CPPUNIT_ASSERT((std::vector<int>{1, 3}) == seen);
        hub.unsubscribe(a);
        hub.unsubscribe(c);
        seen.clear();
        hub.publish(event("health.changed"));
        CPPUNIT_ASSERT(seen.empty());
        // A new subscription gets a fresh id, never one given before.
        auto d = hub.subscribe([&](const Event&) { seen.push_back(4); });
        CPPUNIT_ASSERT(d != a && d != b && d != c);
    }

    void testThrowingHandlerDoesNotStopOthers()
    {
        OffsetClock clock;
        EventHub hub(clock);
        std::vector<int> seen;
        hub.subscribe([&](const Event&) { seen.push_back(1); });
        hub.subscribe([](const Event&) { throw std::runtime_error("handler failure on purpose"); });
        hub.subscribe([&](const Event&) { seen.push_back(3); });
        hub.subscribe([](const Event&) { throw 42; });
        hub.subscribe([&](const Event&) { seen.push_back(5); });
        CPPUNIT_ASSERT_NO_THROW(hub.publish(event("settings.changed")));
        CPPUNIT_ASSERT((std::vector<int>{1, 3, 5}) == seen);
    }

    void testHandlerMayPublish()
    {
        OffsetClock clock;
        EventHub hub(clock);
        std::vector<std::string> seen;
        hub.subscribe([&](const Event& e) {
            seen.push_back(e.type);
            if (e.type == "upstream.failure") hub.publish(event("upstream.changed"));
        });
        hub.publish(event("upstream.failure"));
        CPPUNIT_ASSERT((std::vector<std::string>{"upstream.failure", "upstream.changed"}) == seen);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventHubTest);
