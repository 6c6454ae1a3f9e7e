// storage.sqlite: keys and their endpoints.
#include "StorageHarness.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;
using namespace steadyproxy::test;

class KeysTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(KeysTest);
    CPPUNIT_TEST(addAndFindRoundTripsEveryField);
    CPPUNIT_TEST(conflictsNameWhatIsTaken);
    CPPUNIT_TEST(updateChangesMutableFieldsOnly);
    CPPUNIT_TEST(updateOrRemoveUnknownIsNotFound);
    CPPUNIT_TEST(removeCascadesLeasesAndSamplesButKeepsLogs);
    CPPUNIT_TEST(idsOfRemovedKeysAreNotReused);
    CPPUNIT_TEST_SUITE_END();

public:
    void addAndFindRoundTripsEveryField()
    {
        StorageHarness h;
        ProxyKey k = sampleKey(3);
        k.ownerId = 9;
        k.active = false;
        k.overrides.autoRotateOnExpiration = true;
        k.overrides.autoRotateIntervalEnabled = false;
        k.lastRotatedAt = 77;
        std::int64_t id = h->addKey(k, sampleLog(0, "add", nowMs(h)));
        h.open();
        auto r = h->findKey(id);
        CPPUNIT_ASSERT(r);
        CPPUNIT_ASSERT_EQUAL(id, r->id);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(9), r->ownerId);
        CPPUNIT_ASSERT_EQUAL(k.name, r->name);
        CPPUNIT_ASSERT_EQUAL(k.providerId, r->providerId);
        CPPUNIT_ASSERT_EQUAL(k.secretSealed, r->secretSealed);
        CPPUNIT_ASSERT_EQUAL(k.secretMasked, r->secretMasked);
        CPPUNIT_ASSERT_EQUAL(k.secretFingerprint, r->secretFingerprint);
        CPPUNIT_ASSERT_EQUAL(k.region, r->region);
        CPPUNIT_ASSERT_EQUAL(k.subdomain, r->subdomain);
        CPPUNIT_ASSERT_EQUAL(k.port, r->port);
        CPPUNIT_ASSERT_EQUAL(false, r->active);
        CPPUNIT_ASSERT_EQUAL(k.endpointUser, r->endpointUser);
        CPPUNIT_ASSERT_EQUAL(k.endpointPassSealed, r->endpointPassSealed);
        CPPUNIT_ASSERT(k.allowCidrs == r->allowCidrs);
        CPPUNIT_ASSERT(r->overrides.autoRotateOnExpiration && *r->overrides.autoRotateOnExpiration);
        CPPUNIT_ASSERT(r->overrides.autoRotateIntervalEnabled && !*r->overrides.autoRotateIntervalEnabled);
        CPPUNIT_ASSERT(r->overrides.autoRotateIntervalMinutes && *r->overrides.autoRotateIntervalMinutes == 5);
        CPPUNIT_ASSERT(r->overrides.rotateOnFailure && !*r->overrides.rotateOnFailure);
        CPPUNIT_ASSERT_EQUAL(k.status, r->status);
        CPPUNIT_ASSERT_EQUAL(k.statusMessage, r->statusMessage);
        CPPUNIT_ASSERT_EQUAL(k.createdAt, r->createdAt);
        CPPUNIT_ASSERT_EQUAL(EpochMs(77), r->lastRotatedAt);

        ProxyKey bare = sampleKey(4);
        bare.allowCidrs.clear();
        bare.overrides = KeyOverrides{};
        std::int64_t id2 = h->addKey(bare, sampleLog(0, "add", nowMs(h)));
        auto r2 = h->findKey(id2);
        CPPUNIT_ASSERT(r2->allowCidrs.empty());
        CPPUNIT_ASSERT(!r2->overrides.autoRotateIntervalMinutes && !r2->overrides.rotateOnFailure);
        auto all = h->listKeys();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), all.size());
        CPPUNIT_ASSERT_EQUAL(id, all[0].id);
        CPPUNIT_ASSERT_EQUAL(id2, all[1].id);
        CPPUNIT_ASSERT(!h->findKey(id2 + 1));
    }

    void conflictsNameWhatIsTaken()
    {
        StorageHarness h;
        ProxyKey k = sampleKey(1);
        k.port = 9001;
        h->addKey(k, sampleLog(0, "add", nowMs(h)));

        auto expectConflict = [&](ProxyKey other, const std::string& needle) {
            try
            {
                h->addKey(other, sampleLog(0, "add", nowMs(h)));
                CPPUNIT_FAIL("no conflict for " + needle);
            }
            catch (const ConflictError& e)
            {
                CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find(needle) != std::string::npos);
            }
        };
        ProxyKey samePort = sampleKey(2);
        samePort.port = 9001;
        expectConflict(samePort, "port 9001 is already used by another key");
        ProxyKey sameSub = sampleKey(3);
        sameSub.subdomain = "proxy1";
        expectConflict(sameSub, "subdomain \"proxy1\"");
        ProxyKey sameSecret = sampleKey(4);
        sameSecret.secretFingerprint = "fp-1";
        expectConflict(sameSecret, "already added");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->listKeys().size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->countLogs(LogQuery{}));

        // updateKey to another key's fingerprint is a conflict too.
        std::int64_t id5 = h->addKey(sampleKey(5), sampleLog(0, "add", nowMs(h)));
        ProxyKey k5 = *h->findKey(id5);
        k5.secretFingerprint = "fp-1";
        CPPUNIT_ASSERT_THROW(h->updateKey(k5), ConflictError);
        CPPUNIT_ASSERT_EQUAL(std::string("fp-5"), h->findKey(id5)->secretFingerprint);
    }

    void updateChangesMutableFieldsOnly()
    {
        StorageHarness h;
        std::int64_t id = h->addKey(sampleKey(1), sampleLog(0, "add", nowMs(h)));
        ProxyKey k = *h->findKey(id);
        k.name = "renamed";
        k.region = "nam";
        k.active = false;
        k.endpointUser = "newuser";
        k.endpointPassSealed = "newpass";
        k.allowCidrs = {"1.2.3.4/32"};
        k.overrides = KeyOverrides{};
        k.overrides.autoRotateOnExpiration = false;
        k.status = "degraded";
        k.statusMessage = "slow";
        k.secretSealed = "sealed2";
        k.secretMasked = "Ke2...";
        k.secretFingerprint = "fp-new";
        k.subdomain = "proxy999";
        k.port = 31000;
        k.createdAt = 1;
        h->updateKey(k);
        ProxyKey r = *h->findKey(id);
        CPPUNIT_ASSERT_EQUAL(std::string("renamed"), r.name);
        CPPUNIT_ASSERT_EQUAL(std::string("nam"), r.region);
        CPPUNIT_ASSERT_EQUAL(false, r.active);
        CPPUNIT_ASSERT_EQUAL(std::string("newuser"), r.endpointUser);
        CPPUNIT_ASSERT_EQUAL(std::string("newpass"), r.endpointPassSealed);
        CPPUNIT_ASSERT(r.allowCidrs == std::vector<std::string>{"1.2.3.4/32"});
        CPPUNIT_ASSERT(r.overrides.autoRotateOnExpiration && !*r.overrides.autoRotateOnExpiration);
        CPPUNIT_ASSERT(!r.overrides.autoRotateIntervalMinutes);
        CPPUNIT_ASSERT_EQUAL(std::string("degraded"), r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("slow"), r.statusMessage);
        CPPUNIT_ASSERT_EQUAL(std::string("sealed2"), r.secretSealed);
        CPPUNIT_ASSERT_EQUAL(std::string("fp-new"), r.secretFingerprint);
        // Never changed by an update:
        CPPUNIT_ASSERT_EQUAL(std::string("proxy1"), r.subdomain);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(20001), r.port);
        CPPUNIT_ASSERT_EQUAL(sampleKey(1).createdAt, r.createdAt);
    }

    void updateOrRemoveUnknownIsNotFound()
    {
        StorageHarness h;
        ProxyKey k = sampleKey(1);
        k.id = 1234;
        CPPUNIT_ASSERT_THROW(h->updateKey(k), NotFoundError);
        CPPUNIT_ASSERT_THROW(h->removeKey(1234, sampleLog(1234, "delete", nowMs(h))), NotFoundError);
        // The failed remove wrote no log.
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), h->countLogs(LogQuery{}));
    }

    void removeCascadesLeasesAndSamplesButKeepsLogs()
    {
        StorageHarness h;
        EpochMs t = nowMs(h);
        std::int64_t id = h->addKey(sampleKey(1), sampleLog(0, "add", t));
        std::int64_t other = h->addKey(sampleKey(2), sampleLog(0, "add", t));
        h->recordLease(sampleLease(id, t, "1.1.1.1"), sampleLog(id, "rotate", t));
        h->recordLease(sampleLease(id, t + 10, "1.1.1.2"), sampleLog(id, "rotate", t + 10));
        h->recordLease(sampleLease(other, t, "2.2.2.2"), sampleLog(other, "rotate", t));
        HealthSample s;
        s.keyId = id;
        s.at = t;
        s.ok = true;
        h->addHealthSample(s);
        s.keyId = other;
        h->addHealthSample(s);
        h->removeKey(id, sampleLog(id, "delete", t + 20, "removed by test"));

        CPPUNIT_ASSERT(!h->findKey(id));
        CPPUNIT_ASSERT(!h->currentLease(id));
        CPPUNIT_ASSERT(h->leaseHistory(id, 0).empty());
        CPPUNIT_ASSERT(h->healthSamples(id, 0).empty());
        RawDb raw(h.dbPath());
        CPPUNIT_ASSERT_EQUAL(0LL, raw.integer("SELECT COUNT(*) FROM leases WHERE key_id = " + std::to_string(id)));
        CPPUNIT_ASSERT_EQUAL(0LL, raw.integer("SELECT COUNT(*) FROM health_samples WHERE key_id = " + std::to_string(id)));
        LogQuery q;
        q.keyId = id;
        auto logs = h->listLogs(q);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), logs.size()); // add, rotate, rotate, delete
        CPPUNIT_ASSERT_EQUAL(std::string("delete"), logs[0].action);
        CPPUNIT_ASSERT_EQUAL(std::string("removed by test"), logs[0].details);
        // The other key is untouched.
        CPPUNIT_ASSERT(h->currentLease(other));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->healthSamples(other, 0).size());
    }

    void idsOfRemovedKeysAreNotReused()
    {
        StorageHarness h;
        std::int64_t a = h->addKey(sampleKey(1), sampleLog(0, "add", nowMs(h)));
        std::int64_t b = h->addKey(sampleKey(2), sampleLog(0, "add", nowMs(h)));
        h->removeKey(b, sampleLog(b, "delete", nowMs(h)));
        std::int64_t c = h->addKey(sampleKey(3), sampleLog(0, "add", nowMs(h)));
        CPPUNIT_ASSERT(c > b && b > a);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KeysTest);
