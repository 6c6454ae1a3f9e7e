// storage.sqlite: login sessions.
#include "StorageHarness.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;
using namespace steadyproxy::test;

class SessionsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SessionsTest);
    CPPUNIT_TEST(addFindTouchRemove);
    CPPUNIT_TEST(purgeRemovesOnlyExpired);
    CPPUNIT_TEST(removeSessionsOfUser);
    CPPUNIT_TEST(sessionOfUnknownUserIsNotFound);
    CPPUNIT_TEST_SUITE_END();

    std::int64_t user(StorageHarness& h, const std::string& name)
    {
        User u;
        u.username = name;
        u.passwordHash = "h";
        return h->addUser(u);
    }

    Session session(const std::string& id, std::int64_t userId, EpochMs expiresAt)
    {
        Session s;
        s.idHash = id;
        s.userId = userId;
        s.csrfToken = "csrf-" + id;
        s.createdAt = 1000;
        s.lastSeenAt = 1000;
        s.expiresAt = expiresAt;
        return s;
    }

public:
    void addFindTouchRemove()
    {
        StorageHarness h;
        std::int64_t u = user(h, "alice");
        h->addSession(session("abc", u, 99999));
        auto s = h->findSession("abc");
        CPPUNIT_ASSERT(s);
        CPPUNIT_ASSERT_EQUAL(u, s->userId);
        CPPUNIT_ASSERT_EQUAL(std::string("csrf-abc"), s->csrfToken);
        CPPUNIT_ASSERT_EQUAL(EpochMs(99999), s->expiresAt);
        h->touchSession("abc", 5000);
        CPPUNIT_ASSERT_EQUAL(EpochMs(5000), h->findSession("abc")->lastSeenAt);
        CPPUNIT_ASSERT_EQUAL(EpochMs(1000), h->findSession("abc")->createdAt);
        CPPUNIT_ASSERT_THROW(h->addSession(session("abc", u, 1)), ConflictError);
        h->removeSession("abc");
        CPPUNIT_ASSERT(!h->findSession("abc"));
    }

    void purgeRemovesOnlyExpired()
    {
        StorageHarness h;
        std::int64_t u = user(h, "alice");
        h->addSession(session("old1", u, 100));
        h->addSession(session("old2", u, 199));
        h->addSession(session("edge", u, 200));
        h->addSession(session("new", u, 500));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), h->purgeSessions(200));
        CPPUNIT_ASSERT(!h->findSession("old1"));
        CPPUNIT_ASSERT(!h->findSession("old2"));
        CPPUNIT_ASSERT(h->findSession("edge"));
        CPPUNIT_ASSERT(h->findSession("new"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), h->purgeSessions(200));
    }

    void removeSessionsOfUser()
    {
        StorageHarness h;
        std::int64_t a = user(h, "alice");
        std::int64_t b = user(h, "bob");
        h->addSession(session("a1", a, 999));
        h->addSession(session("a2", a, 999));
        h->addSession(session("b1", b, 999));
        h->removeSessionsOfUser(a);
        CPPUNIT_ASSERT(!h->findSession("a1"));
        CPPUNIT_ASSERT(!h->findSession("a2"));
        CPPUNIT_ASSERT(h->findSession("b1"));
    }

    void sessionOfUnknownUserIsNotFound()
    {
        StorageHarness h;
        CPPUNIT_ASSERT_THROW(h->addSession(session("x", 77, 999)), NotFoundError);
        CPPUNIT_ASSERT(!h->findSession("x"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionsTest);
