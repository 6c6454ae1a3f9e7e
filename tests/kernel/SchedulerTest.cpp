// Scheduler: named jobs at instants of a movable clock. Every wait is bounded.
#include <steadyproxy/kernel/Clocks.h>
#include <steadyproxy/kernel/Scheduler.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

using namespace steadyproxy;
using namespace steadyproxy::kernel;

namespace {

using Steady = std::chrono::steady_clock;

/// Polls `condition` every 5 ms until it holds or `ms` pass; returns whether it held.
bool waitFor(const std::function<bool()>& condition, long ms = 5000)
{
    auto deadline = Steady::now() + std::chrono::milliseconds(ms);
    while (Steady::now() < deadline)
    {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return condition();
}

void sleepMs(long ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

const EpochMs kHour = 3600000;

} // namespace

class SchedulerTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SchedulerTest);
    CPPUNIT_TEST(testDueJobRunsNow);
    CPPUNIT_TEST(testJobRunsWhenClockReachesItsTime);
    CPPUNIT_TEST(testRescheduleReplaces);
    CPPUNIT_TEST(testCancel);
    CPPUNIT_TEST(testSameNameNeverRunsConcurrently);
    CPPUNIT_TEST(testOtherNamesRunInParallel);
    CPPUNIT_TEST(testThrowingJobDoesNotStopOthers);
    CPPUNIT_TEST(testStopJoinsRunningJobs);
    CPPUNIT_TEST(testRestartAfterStopRunsJobs);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDueJobRunsNow()
    {
        OffsetClock clock;
        Scheduler s(clock, 2, 5000);
        s.start();
        std::atomic<int> runs{0};
        s.schedule("past", clock.now() - 1000, [&] { ++runs; });
        CPPUNIT_ASSERT(waitFor([&] { return runs == 1; }, 2000));
        sleepMs(50);
        CPPUNIT_ASSERT_EQUAL(1, runs.load()); // a job runs once
        CPPUNIT_ASSERT(!s.when("past"));
        s.stop();
    }

    void testJobRunsWhenClockReachesItsTime()
    {
        OffsetClock clock;
        // A long maximum sleep: only wake() (called on every advance) can make this prompt.
        Scheduler s(clock, 2, 60000);
        clock.onAdvance([&] { s.wake(); });
        s.start();
        std::atomic<int> runs{0};
        std::atomic<EpochMs> ranAt{0};
        EpochMs at = clock.now() + kHour;
        s.schedule("later", at, [&] {
            ranAt = clock.now();
            ++runs;
        });
        CPPUNIT_ASSERT(s.when("later").has_value());
        CPPUNIT_ASSERT_EQUAL(at, *s.when("later"));
        sleepMs(200);
        CPPUNIT_ASSERT_EQUAL(0, runs.load());
        clock.advance(kHour);
        CPPUNIT_ASSERT_MESSAGE("the job did not run within 2 s of the clock reaching its time",
                               waitFor([&] { return runs == 1; }, 2000));
        CPPUNIT_ASSERT(ranAt >= at);
        CPPUNIT_ASSERT(!s.when("later").has_value());
        s.stop();
    }

    void testRescheduleReplaces()
    {
        OffsetClock clock;
        Scheduler s(clock, 2, 50);
        s.start();
        std::atomic<int> first{0}, second{0};
        EpochMs base = clock.now();
        s.schedule("job", base + kHour, [&] { ++first; });
        s.schedule("job", base + 2 * kHour, [&] { ++second; });
        CPPUNIT_ASSERT_EQUAL(base + 2 * kHour, *s.when("job"));
        clock.advance(kHour + 1000);
        sleepMs(300);
        CPPUNIT_ASSERT_EQUAL(0, first.load());
        CPPUNIT_ASSERT_EQUAL(0, second.load());
        clock.advance(kHour);
        CPPUNIT_ASSERT(waitFor([&] { return second == 1; }, 2000));
        sleepMs(100);
        CPPUNIT_ASSERT_EQUAL(0, first.load());
        s.stop();
    }

    void testCancel()
    {
        OffsetClock clock;
        Scheduler s(clock, 2, 50);
        s.start();
        std::atomic<int> runs{0}, other{0};
        s.schedule("gone", clock.now() + kHour, [&] { ++runs; });
        s.schedule("kept", clock.now() + kHour, [&] { ++other; });
        s.cancel("gone");
        s.cancel("never-scheduled");
        CPPUNIT_ASSERT(!s.when("gone").has_value());
        clock.advance(2 * kHour);
        CPPUNIT_ASSERT(waitFor([&] { return other == 1; }, 2000));
        sleepMs(100);
        CPPUNIT_ASSERT_EQUAL(0, runs.load());
        s.stop();
    }

    void testSameNameNeverRunsConcurrently()
    {
        OffsetClock clock;
        Scheduler s(clock, 4, 50);
        s.start();
        std::atomic<int> inside{0}, maxInside{0}, runs{0};
        std::atomic<bool> release{false};
        auto job = [&] {
            int now = ++inside;
            int seen = maxInside.load();
            while (now > seen && !maxInside.compare_exchange_weak(seen, now)) {}
            waitFor([&] { return release.load(); }, 3000);
            --inside;
            ++runs;
        };
        s.schedule("same", clock.now(), job);
        CPPUNIT_ASSERT(waitFor([&] { return inside == 1; }, 2000));
        // Due again while the first run is still going: it must wait for it.
        s.schedule("same", clock.now(), job);
        sleepMs(300);
        CPPUNIT_ASSERT_EQUAL(1, inside.load());
        CPPUNIT_ASSERT_EQUAL(0, runs.load());
        CPPUNIT_ASSERT(s.when("same").has_value()); // still pending, not started
        release = true;
        CPPUNIT_ASSERT(waitFor([&] { return runs == 2; }, 3000));
        CPPUNIT_ASSERT_EQUAL(1, maxInside.load());
        s.stop();
    }

    void testOtherNamesRunInParallel()
    {
        OffsetClock clock;
        Scheduler s(clock, 3, 50);
        s.start();
        std::atomic<int> inside{0}, maxInside{0}, runs{0};
        std::atomic<bool> release{false};
        auto job = [&] {
            int now = ++inside;
            int seen = maxInside.load();
            while (now > seen && !maxInside.compare_exchange_weak(seen, now)) {}
            waitFor([&] { return release.load(); }, 3000);
            --inside;
            ++runs;
        };
        for (const char* name : {"a", "b", "c"}) s.schedule(name, clock.now(), job);
        CPPUNIT_ASSERT_MESSAGE("three workers should run three different jobs at once",
                               waitFor([&] { return inside == 3; }, 2000));
        release = true;
        CPPUNIT_ASSERT(waitFor([&] { return runs == 3; }, 3000));
        s.stop();
    }

    void testThrowingJobDoesNotStopOthers()
    {
        OffsetClock clock;
        Scheduler s(clock, 1, 50);
        s.start();
        std::atomic<int> runs{0};
        s.schedule("throws", clock.now(), [] { throw std::runtime_error("job failure on purpose"); });
        s.schedule("throws-int", clock.now(), [] { throw 7; });
        CPPUNIT_ASSERT(waitFor([&] { return !s.when("throws") && !s.when("throws-int"); }, 2000));
        s.schedule("after", clock.now(), [&] { ++runs; });
        CPPUNIT_ASSERT(waitFor([&] { return runs == 1; }, 2000));
        // A name whose job threw can run again.
        s.schedule("throws", clock.now(), [&] { ++runs; });
        CPPUNIT_ASSERT(waitFor([&] { return runs == 2; }, 2000));
        s.stop();
    }

    void testStopJoinsRunningJobs()
    {
        OffsetClock clock;
        Scheduler s(clock, 2, 50);
        s.start();
        std::atomic<bool> started{false}, finished{false};
        std::atomic<int> future{0};
        s.schedule("slow", clock.now(), [&] {
            started = true;
            sleepMs(300);
            finished = true;
        });
        s.schedule("future", clock.now() + kHour, [&] { ++future; });
        CPPUNIT_ASSERT(waitFor([&] { return started.load(); }, 2000));
        auto before = Steady::now();
        s.stop();
        CPPUNIT_ASSERT_MESSAGE("stop() returned before the running job finished", finished.load());
        CPPUNIT_ASSERT(Steady::now() - before < std::chrono::seconds(5));
        CPPUNIT_ASSERT(!s.when("future").has_value()); // pending jobs are cancelled
        // Nothing runs after stop, even when its time comes.
        s.schedule("late", clock.now(), [&] { ++future; });
        clock.advance(2 * kHour);
        sleepMs(200);
        CPPUNIT_ASSERT_EQUAL(0, future.load());
        s.stop(); // stopping twice is harmless
    }

    void testRestartAfterStopRunsJobs()
    {
        OffsetClock clock;
        Scheduler s(clock, 1, 50);
        s.start();
        std::atomic<bool> blocking{false}, release{false};
        std::atomic<int> runs{0};
        s.schedule("block", clock.now(), [&] {
            blocking = true;
            waitFor([&] { return release.load(); }, 3000);
        });
        CPPUNIT_ASSERT(waitFor([&] { return blocking.load(); }, 2000));
        // Due, but the only worker is busy: it is queued, then dropped by stop().
        s.schedule("x", clock.now(), [&] { ++runs; });
        CPPUNIT_ASSERT(waitFor([&] { return !s.when("x"); }, 2000));
        std::thread releaser([&] {
            sleepMs(100);
            release = true;
        });
        s.stop();
        releaser.join();
        CPPUNIT_ASSERT_EQUAL(0, runs.load());
        s.start();
        s.schedule("x", clock.now(), [&] { ++runs; });
        CPPUNIT_ASSERT_MESSAGE("a job dropped by stop() must not block its name after start()",
                               waitFor([&] { return runs == 1; }, 2000));
        s.stop();
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SchedulerTest);
