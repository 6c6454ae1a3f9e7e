// storage.sqlite: log entries, filters, paging, counts, retention, concurrent writers.
#include "StorageHarness.h"
#include <cppunit/extensions/HelperMacros.h>
#include <set>
#include <thread>

using namespace steadyproxy;
using namespace steadyproxy::test;

class LogsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(LogsTest);
    CPPUNIT_TEST(filtersPagingAndCount);
    CPPUNIT_TEST(unsetTimeIsNow);
    CPPUNIT_TEST(retentionByRows);
    CPPUNIT_TEST(largeRowLimitStaysWithinOnePermille);
    CPPUNIT_TEST(retentionByDays);
    CPPUNIT_TEST(concurrentWritersFromManyThreads);
    CPPUNIT_TEST_SUITE_END();

public:
    void filtersPagingAndCount()
    {
        StorageHarness h;
        EpochMs t = nowMs(h);
        std::vector<std::int64_t> ids;
        for (int i = 0; i < 30; ++i)
        {
            std::int64_t key = i % 3; // 0 (no key), 1, 2
            std::string action = i % 2 ? "rotate" : "check";
            ids.push_back(h->addLog(sampleLog(key, action, t + i, "entry " + std::to_string(i))));
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(30), std::set<std::int64_t>(ids.begin(), ids.end()).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(30), h->countLogs(LogQuery{}));

        LogQuery all;
        all.limit = 0;
        auto every = h->listLogs(all);
        CPPUNIT_ASSERT_EQUAL(std::size_t(30), every.size());
        CPPUNIT_ASSERT_EQUAL(std::string("entry 29"), every[0].details);
        CPPUNIT_ASSERT_EQUAL(ids[29], every[0].id);
        CPPUNIT_ASSERT_EQUAL(t + 29, every[0].at);

        LogQuery byKey;
        byKey.keyId = 1;
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), h->countLogs(byKey));
        for (const LogEntry& e : h->listLogs(byKey)) CPPUNIT_ASSERT_EQUAL(std::int64_t(1), e.keyId);

        LogQuery byAction;
        byAction.action = "rotate";
        CPPUNIT_ASSERT_EQUAL(std::size_t(15), h->countLogs(byAction));

        LogQuery both;
        both.keyId = 2;
        both.action = "rotate";
        // i with i%3==2 and i odd: 5, 11, 17, 23, 29
        auto b = h->listLogs(both);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), b.size());
        CPPUNIT_ASSERT_EQUAL(std::string("entry 29"), b[0].details);
        CPPUNIT_ASSERT_EQUAL(std::string("entry 5"), b[4].details);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), h->countLogs(both));

        LogQuery page;
        page.limit = 7;
        page.offset = 7;
        auto p = h->listLogs(page);
        CPPUNIT_ASSERT_EQUAL(std::size_t(7), p.size());
        CPPUNIT_ASSERT_EQUAL(std::string("entry 22"), p[0].details);
        CPPUNIT_ASSERT_EQUAL(std::string("entry 16"), p[6].details);
        page.offset = 28;
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), h->listLogs(page).size());

        auto e = h->listLogs(byKey).front();
        CPPUNIT_ASSERT_EQUAL(std::string("manual"), e.reason);
        CPPUNIT_ASSERT_EQUAL(std::string("bac"), e.region);
        CPPUNIT_ASSERT_EQUAL(std::string("success"), e.status);
    }

    void unsetTimeIsNow()
    {
        StorageHarness h;
        EpochMs before = nowMs(h);
        h->addLog(sampleLog(0, "check", 0));
        EpochMs at = h->listLogs(LogQuery{}).front().at;
        CPPUNIT_ASSERT(at >= before && at <= nowMs(h));
    }

    void retentionByRows()
    {
        StorageHarness h(StorageConfig{{"log_retention_rows", "100"}});
        EpochMs t = nowMs(h);
        std::vector<std::int64_t> ids;
        for (int i = 0; i < 150; ++i) ids.push_back(h->addLog(sampleLog(0, "check", t + i, std::to_string(i))));
        CPPUNIT_ASSERT_EQUAL(std::size_t(100), h->countLogs(LogQuery{}));
        LogQuery all;
        all.limit = 0;
        auto logs = h->listLogs(all);
        CPPUNIT_ASSERT_EQUAL(ids.back(), logs.front().id);
        CPPUNIT_ASSERT_EQUAL(ids[50], logs.back().id);
        CPPUNIT_ASSERT_EQUAL(std::string("50"), logs.back().details);
    }

    void largeRowLimitStaysWithinOnePermille()
    {
        StorageHarness h(StorageConfig{{"log_retention_rows", "2000"}});
        EpochMs t = nowMs(h);
        std::int64_t last = 0;
        for (int i = 0; i < 2101; ++i) last = h->addLog(sampleLog(0, "check", t, std::to_string(i)));
        std::size_t n = h->countLogs(LogQuery{});
        CPPUNIT_ASSERT_MESSAGE(std::to_string(n), n >= 2000 && n <= 2002);
        LogQuery all;
        all.limit = 0;
        auto logs = h->listLogs(all);
        CPPUNIT_ASSERT_EQUAL(last, logs.front().id);
        // Only the oldest entries went.
        CPPUNIT_ASSERT_EQUAL(static_cast<std::int64_t>(n) - 1, last - logs.back().id);
    }

    void retentionByDays()
    {
        StorageHarness h(StorageConfig{{"log_retention_days", "1"}});
        const EpochMs day = 24LL * 3600 * 1000;
        EpochMs t = nowMs(h);
        h->addLog(sampleLog(0, "check", t - 3 * day, "ancient"));
        h->addLog(sampleLog(0, "check", t - day / 2, "recent"));
        // The clock moves on: "recent" is now older than a day.
        h.context.clk.offset = day;
        h->addLog(sampleLog(0, "check", 0, "fresh"));
        LogQuery all;
        all.limit = 0;
        auto logs = h->listLogs(all);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs.size());
        CPPUNIT_ASSERT_EQUAL(std::string("fresh"), logs[0].details);
    }

    void concurrentWritersFromManyThreads()
    {
        StorageHarness h;
        std::int64_t key = h->addKey(sampleKey(1), sampleLog(0, "add", 1));
        const int threads = 4, each = 40;
        std::vector<std::vector<std::int64_t>> ids(threads);
        std::vector<std::thread> workers;
        std::atomic<int> errors{0};
        for (int t = 0; t < threads; ++t)
            workers.emplace_back([&, t] {
                try
                {
                    for (int i = 0; i < each; ++i)
                    {
                        ids[t].push_back(h->addLog(sampleLog(key, "check", 0)));
                        if (i % 4 == 0) h->recordLease(sampleLease(key, 0, "9.9.9.9"), sampleLog(key, "rotate", 0));
                        h->listLogs(LogQuery{});
                    }
                }
                catch (...)
                {
                    ++errors;
                }
            });
        for (auto& w : workers) w.join();
        CPPUNIT_ASSERT_EQUAL(0, errors.load());
        std::set<std::int64_t> unique;
        for (auto& v : ids) unique.insert(v.begin(), v.end());
        CPPUNIT_ASSERT_EQUAL(std::size_t(threads * each), unique.size());
        LogQuery checks;
        checks.action = "check";
        CPPUNIT_ASSERT_EQUAL(std::size_t(threads * each), h->countLogs(checks));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->currentLeases().size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(threads * each / 4), h->leaseHistory(key, 0).size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogsTest);
