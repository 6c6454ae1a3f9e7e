// storage.sqlite: UTF-8 text round-trips byte for byte, also across a reopen.
#include "StorageHarness.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;
using namespace steadyproxy::test;

class UnicodeTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(UnicodeTest);
    CPPUNIT_TEST(vietnameseTextRoundTrips);
    CPPUNIT_TEST_SUITE_END();

public:
    void vietnameseTextRoundTrips()
    {
        const std::string phuTho = "Ph\xC3\xBA Th\xE1\xBB\x8D";            // "Phú Thọ"
        const std::string binhThuan = "B\xC3\xACnh Thu\xE1\xBA\xADn";       // "Bình Thuận"
        CPPUNIT_ASSERT_EQUAL(std::string("Phú Thọ"), phuTho);
        CPPUNIT_ASSERT_EQUAL(std::string("Bình Thuận"), binhThuan);
        const std::string mixed = "Nguyễn Văn Anh — 東京 🚀 \"quoted\" 'single' \\ back";

        StorageHarness h;
        ProxyKey k = sampleKey(1);
        k.name = phuTho;
        k.statusMessage = binhThuan + ": " + mixed;
        k.allowCidrs = {"10.0.0.0/8"};
        std::int64_t key = h->addKey(k, sampleLog(0, "add", 0, mixed));
        Lease l = sampleLease(key, 1000, "1.2.3.4");
        l.location = phuTho;
        l.region = binhThuan;
        h->recordLease(l, sampleLog(key, "rotate", 0, "→ " + binhThuan));
        User u;
        u.username = "nguyễn";
        std::int64_t user = h->addUser(u);
        HealthSample s;
        s.keyId = key;
        s.at = 5;
        s.error = "lỗi kết nối";
        h->addHealthSample(s);

        h.open();
        CPPUNIT_ASSERT_EQUAL(phuTho, h->findKey(key)->name);
        CPPUNIT_ASSERT_EQUAL(binhThuan + ": " + mixed, h->findKey(key)->statusMessage);
        CPPUNIT_ASSERT_EQUAL(phuTho, h->currentLease(key)->location);
        CPPUNIT_ASSERT_EQUAL(binhThuan, h->currentLease(key)->region);
        CPPUNIT_ASSERT_EQUAL(std::string("nguyễn"), h->findUser(user)->username);
        CPPUNIT_ASSERT(h->findUserByName("nguyễn"));
        CPPUNIT_ASSERT_EQUAL(std::string("lỗi kết nối"), h->healthSamples(key, 1)[0].error);
        LogQuery q;
        q.limit = 0;
        auto logs = h->listLogs(q);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), logs.size());
        CPPUNIT_ASSERT_EQUAL("→ " + binhThuan, logs[0].details);
        CPPUNIT_ASSERT_EQUAL(mixed, logs[1].details);
        // Stored as UTF-8 text (not escaped): SQLite's own length() counts characters.
        RawDb raw(h.dbPath());
        CPPUNIT_ASSERT_EQUAL(7LL, raw.integer("SELECT length(location) FROM leases"));
        CPPUNIT_ASSERT_EQUAL(static_cast<long long>(phuTho.size()), raw.integer("SELECT length(CAST(location AS BLOB)) FROM leases"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UnicodeTest);
