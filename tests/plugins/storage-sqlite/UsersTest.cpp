// storage.sqlite: users, unique names, update/remove of unknown ids, removal side effects.
#include "StorageHarness.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;
using namespace steadyproxy::test;

namespace {
User sampleUser(const std::string& name)
{
    User u;
    u.username = name;
    u.passwordHash = "$argon2id$v=19$" + name;
    u.role = "user";
    u.createdAt = 1700000000123LL;
    return u;
}
} // namespace

class UsersTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(UsersTest);
    CPPUNIT_TEST(addFindListCount);
    CPPUNIT_TEST(duplicateNameIsConflict);
    CPPUNIT_TEST(updateReplacesFieldsButCreatedAt);
    CPPUNIT_TEST(updateOrRemoveUnknownIsNotFound);
    CPPUNIT_TEST(removeTakesSessionsAndTokensAndHandsKeysToAdmin);
    CPPUNIT_TEST_SUITE_END();

public:
    void addFindListCount()
    {
        StorageHarness h;
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), h->countUsers());
        std::int64_t a = h->addUser(sampleUser("alice"));
        User admin = sampleUser("root");
        admin.role = "admin";
        admin.disabled = true;
        std::int64_t b = h->addUser(admin);
        CPPUNIT_ASSERT(a > 0 && b > a);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), h->countUsers());
        auto found = h->findUser(b);
        CPPUNIT_ASSERT(found);
        CPPUNIT_ASSERT_EQUAL(std::string("root"), found->username);
        CPPUNIT_ASSERT_EQUAL(std::string("admin"), found->role);
        CPPUNIT_ASSERT_EQUAL(true, found->disabled);
        CPPUNIT_ASSERT_EQUAL(admin.passwordHash, found->passwordHash);
        CPPUNIT_ASSERT_EQUAL(admin.createdAt, found->createdAt);
        auto byName = h->findUserByName("alice");
        CPPUNIT_ASSERT(byName);
        CPPUNIT_ASSERT_EQUAL(a, byName->id);
        CPPUNIT_ASSERT(!h->findUserByName("nobody"));
        CPPUNIT_ASSERT(!h->findUser(b + 10));
        auto all = h->listUsers();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), all.size());
        CPPUNIT_ASSERT_EQUAL(a, all[0].id);
    }

    void duplicateNameIsConflict()
    {
        StorageHarness h;
        h->addUser(sampleUser("alice"));
        std::int64_t bob = h->addUser(sampleUser("bob"));
        try
        {
            h->addUser(sampleUser("alice"));
            CPPUNIT_FAIL("a second alice was added");
        }
        catch (const ConflictError& e)
        {
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find("alice") != std::string::npos);
        }
        User renamed = *h->findUser(bob);
        renamed.username = "alice";
        CPPUNIT_ASSERT_THROW(h->updateUser(renamed), ConflictError);
        CPPUNIT_ASSERT_EQUAL(std::string("bob"), h->findUser(bob)->username);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), h->countUsers());
    }

    void updateReplacesFieldsButCreatedAt()
    {
        StorageHarness h;
        std::int64_t id = h->addUser(sampleUser("alice"));
        User u = *h->findUser(id);
        u.username = "alice2";
        u.passwordHash = "$2b$new";
        u.role = "admin";
        u.disabled = true;
        u.createdAt = 5;
        h->updateUser(u);
        User r = *h->findUser(id);
        CPPUNIT_ASSERT_EQUAL(std::string("alice2"), r.username);
        CPPUNIT_ASSERT_EQUAL(std::string("$2b$new"), r.passwordHash);
        CPPUNIT_ASSERT_EQUAL(std::string("admin"), r.role);
        CPPUNIT_ASSERT_EQUAL(true, r.disabled);
        CPPUNIT_ASSERT_EQUAL(sampleUser("x").createdAt, r.createdAt);
    }

    void updateOrRemoveUnknownIsNotFound()
    {
        StorageHarness h;
        User ghost = sampleUser("ghost");
        ghost.id = 42;
        CPPUNIT_ASSERT_THROW(h->updateUser(ghost), NotFoundError);
        CPPUNIT_ASSERT_THROW(h->removeUser(42), NotFoundError);
    }

    void removeTakesSessionsAndTokensAndHandsKeysToAdmin()
    {
        StorageHarness h;
        std::int64_t alice = h->addUser(sampleUser("alice"));
        std::int64_t bob = h->addUser(sampleUser("bob"));
        Session s;
        s.idHash = "sess-alice";
        s.userId = alice;
        s.expiresAt = nowMs(h) + 100000;
        h->addSession(s);
        s.idHash = "sess-bob";
        s.userId = bob;
        h->addSession(s);
        ApiToken t;
        t.userId = alice;
        t.name = "ci";
        t.tokenHash = "tok-alice";
        h->addToken(t);
        t.userId = bob;
        t.tokenHash = "tok-bob";
        h->addToken(t);
        ProxyKey k = sampleKey(1);
        k.ownerId = alice;
        std::int64_t keyId = h->addKey(k, sampleLog(0, "add", nowMs(h)));
        ProxyKey k2 = sampleKey(2);
        k2.ownerId = bob;
        std::int64_t key2 = h->addKey(k2, sampleLog(0, "add", nowMs(h)));

        h->removeUser(alice);
        CPPUNIT_ASSERT(!h->findUser(alice));
        CPPUNIT_ASSERT(!h->findSession("sess-alice"));
        CPPUNIT_ASSERT(!h->findTokenByHash("tok-alice"));
        CPPUNIT_ASSERT(h->listTokens(alice).empty());
        auto key = h->findKey(keyId);
        CPPUNIT_ASSERT(key);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), key->ownerId);
        // Bob's things are untouched.
        CPPUNIT_ASSERT(h->findSession("sess-bob"));
        CPPUNIT_ASSERT(h->findTokenByHash("tok-bob"));
        CPPUNIT_ASSERT_EQUAL(bob, h->findKey(key2)->ownerId);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UsersTest);
