// storage.sqlite: personal API tokens.
#include "StorageHarness.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;
using namespace steadyproxy::test;

class TokensTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(TokensTest);
    CPPUNIT_TEST(addFindListTouchRemove);
    CPPUNIT_TEST(duplicateHashIsConflictAndUnknownUserIsNotFound);
    CPPUNIT_TEST_SUITE_END();

    ApiToken token(std::int64_t userId, const std::string& name, const std::string& hash)
    {
        ApiToken t;
        t.userId = userId;
        t.name = name;
        t.tokenHash = hash;
        t.createdAt = 111;
        return t;
    }

public:
    void addFindListTouchRemove()
    {
        StorageHarness h;
        User u;
        u.username = "alice";
        std::int64_t alice = h->addUser(u);
        u.username = "bob";
        std::int64_t bob = h->addUser(u);
        std::int64_t t1 = h->addToken(token(alice, "ci", "h1"));
        std::int64_t t2 = h->addToken(token(alice, "laptop", "h2"));
        h->addToken(token(bob, "bob", "h3"));
        CPPUNIT_ASSERT(t2 > t1);
        auto found = h->findTokenByHash("h2");
        CPPUNIT_ASSERT(found);
        CPPUNIT_ASSERT_EQUAL(t2, found->id);
        CPPUNIT_ASSERT_EQUAL(std::string("laptop"), found->name);
        CPPUNIT_ASSERT_EQUAL(alice, found->userId);
        CPPUNIT_ASSERT_EQUAL(EpochMs(111), found->createdAt);
        auto list = h->listTokens(alice);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), list.size());
        CPPUNIT_ASSERT_EQUAL(t1, list[0].id);
        h->touchToken(t1, 4242);
        CPPUNIT_ASSERT_EQUAL(EpochMs(4242), h->findTokenByHash("h1")->lastUsedAt);
        h->removeToken(t1);
        CPPUNIT_ASSERT(!h->findTokenByHash("h1"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->listTokens(alice).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->listTokens(bob).size());
    }

    void duplicateHashIsConflictAndUnknownUserIsNotFound()
    {
        StorageHarness h;
        User u;
        u.username = "alice";
        std::int64_t alice = h->addUser(u);
        h->addToken(token(alice, "ci", "same"));
        CPPUNIT_ASSERT_THROW(h->addToken(token(alice, "again", "same")), ConflictError);
        CPPUNIT_ASSERT_THROW(h->addToken(token(alice + 50, "ghost", "other")), NotFoundError);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h->listTokens(alice).size());
        CPPUNIT_ASSERT(!h->findTokenByHash("other"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TokensTest);
