// auth.local, loaded from the built module: Argon2id hashing, bcrypt import, the policy.
#include <TestPluginContext.h>
#include <steadyproxy/sdk/Auth.h>
#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>
#include <crypt.h>
#include <cstring>
#include <memory>

using namespace steadyproxy;

namespace {

/// A bcrypt hash made at test time by libxcrypt, as Python's bcrypt would have made it.
std::string makeBcrypt(const std::string& password, const char* prefix, unsigned long cost)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn(prefix, cost, nullptr, 0, setting, sizeof setting))
        throw std::runtime_error("crypt_gensalt_rn failed");
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    const char* out = crypt_r(password.c_str(), setting, data.get());
    if (!out || out[0] == '*') throw std::runtime_error("crypt_r failed");
    return out;
}

} // namespace

class LocalAuthServiceTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(LocalAuthServiceTest);
    CPPUNIT_TEST(testHashFormatUsesOwaspParameters);
    CPPUNIT_TEST(testRoundTrip);
    CPPUNIT_TEST(testWrongPassword);
    CPPUNIT_TEST(testSaltIsFresh);
    CPPUNIT_TEST(testWeakerArgon2NeedsRehash);
    CPPUNIT_TEST(testArgon2iVerifiesAndNeedsRehash);
    CPPUNIT_TEST(testBcryptGeneratedAtTestTime);
    CPPUNIT_TEST(testBcryptPrefixes2a2y);
    CPPUNIT_TEST(testBcryptKnownAnswerVectors);
    CPPUNIT_TEST(testBcryptNulByteDoesNotTruncate);
    CPPUNIT_TEST(testMalformedHashesNeverMatch);
    CPPUNIT_TEST(testPolicyTooShort);
    CPPUNIT_TEST(testPolicyCountsCharactersNotBytes);
    CPPUNIT_TEST(testPolicyTooLong);
    CPPUNIT_TEST(testPolicyOnlyWhitespace);
    CPPUNIT_TEST(testPolicyDescription);
    CPPUNIT_TEST(testConfigureRejectsWeakCost);
    CPPUNIT_TEST(testConfigOptionsHaveDefaults);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _plugin = test::loadPlugin("auth.local");
        _auth = dynamic_cast<AuthService*>(_plugin.get());
        CPPUNIT_ASSERT_MESSAGE("auth.local does not implement AuthService", _auth);
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        _plugin->configure(*config);
    }

    void tearDown() override
    {
        _auth = nullptr;
        _plugin.reset();
    }

    void testHashFormatUsesOwaspParameters()
    {
        std::string hash = _auth->hashPassword("correct horse battery");
        CPPUNIT_ASSERT_EQUAL(std::string("$argon2id$v=19$m=19456,t=2,p=1$"), hash.substr(0, 31));
        // 16-byte salt and 32-byte hash, unpadded base64: 22 and 43 characters.
        std::size_t saltEnd = hash.find('$', 31);
        CPPUNIT_ASSERT(saltEnd != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::size_t(22), saltEnd - 31);
        CPPUNIT_ASSERT_EQUAL(std::size_t(43), hash.size() - saltEnd - 1);
    }

    void testRoundTrip()
    {
        const std::string password = "Mật khẩu rất dài 123";
        std::string hash = _auth->hashPassword(password);
        bool rehash = true;
        CPPUNIT_ASSERT(_auth->verifyPassword(password, hash, rehash));
        CPPUNIT_ASSERT(!rehash);
    }

    void testWrongPassword()
    {
        std::string hash = _auth->hashPassword("correct horse battery");
        bool rehash = true;
        CPPUNIT_ASSERT(!_auth->verifyPassword("correct horse batterY", hash, rehash));
        CPPUNIT_ASSERT(!rehash);
        CPPUNIT_ASSERT(!_auth->verifyPassword("", hash, rehash));
        CPPUNIT_ASSERT(!_auth->verifyPassword("correct horse battery ", hash, rehash));
    }

    void testSaltIsFresh()
    {
        CPPUNIT_ASSERT(_auth->hashPassword("same password here") != _auth->hashPassword("same password here"));
    }

    void testWeakerArgon2NeedsRehash()
    {
        // A hash made at m=19456,t=1 (weaker than the current t=2) by a differently
        // configured instance still verifies, and asks for a rehash.
        auto weak = test::loadPlugin("auth.local");
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        weak->configure(*config);
        std::string strongHash = dynamic_cast<AuthService&>(*weak).hashPassword("correct horse battery");

        // Stronger configuration: the default hash is now weaker than current.
        auto strong = test::loadPlugin("auth.local");
        Poco::AutoPtr<Poco::Util::MapConfiguration> strongConfig(new Poco::Util::MapConfiguration);
        strongConfig->setInt("argon2.iterations", 3);
        strong->configure(*strongConfig);
        bool rehash = false;
        CPPUNIT_ASSERT(dynamic_cast<AuthService&>(*strong).verifyPassword("correct horse battery", strongHash, rehash));
        CPPUNIT_ASSERT(rehash);
        std::string newHash = dynamic_cast<AuthService&>(*strong).hashPassword("correct horse battery");
        CPPUNIT_ASSERT(newHash.find("m=19456,t=3,p=1$") != std::string::npos);
        CPPUNIT_ASSERT(dynamic_cast<AuthService&>(*strong).verifyPassword("correct horse battery", newHash, rehash));
        CPPUNIT_ASSERT(!rehash);
    }

    void testArgon2iVerifiesAndNeedsRehash()
    {
        // Reference vector from the Argon2 specification's CLI tests (argon2i, v=19).
        const std::string hash = "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA";
        bool rehash = false;
        CPPUNIT_ASSERT(_auth->verifyPassword("password", hash, rehash));
        CPPUNIT_ASSERT(rehash);
        CPPUNIT_ASSERT(!_auth->verifyPassword("passwore", hash, rehash));
    }

    void testBcryptGeneratedAtTestTime()
    {
        std::string hash = makeBcrypt("admin-password-1", "$2b$", 12);
        CPPUNIT_ASSERT_EQUAL(std::string("$2b$12$"), hash.substr(0, 7));
        bool rehash = false;
        CPPUNIT_ASSERT(_auth->verifyPassword("admin-password-1", hash, rehash));
        CPPUNIT_ASSERT_MESSAGE("bcrypt hashes must be upgraded at the next login", rehash);
        CPPUNIT_ASSERT(!_auth->verifyPassword("admin-password-2", hash, rehash));
        CPPUNIT_ASSERT(!rehash);
        // Short legacy passwords still verify: the policy applies to new passwords only.
        std::string shortHash = makeBcrypt("abc", "$2b$", 4);
        CPPUNIT_ASSERT(_auth->verifyPassword("abc", shortHash, rehash));
    }

    void testBcryptPrefixes2a2y()
    {
        std::string a = makeBcrypt("legacy secret", "$2a$", 5);
        std::string y = "$2y$" + a.substr(4);
        bool rehash = false;
        CPPUNIT_ASSERT(_auth->verifyPassword("legacy secret", a, rehash));
        CPPUNIT_ASSERT(rehash);
        CPPUNIT_ASSERT(_auth->verifyPassword("legacy secret", y, rehash));
        CPPUNIT_ASSERT(rehash);
    }

    void testBcryptKnownAnswerVectors()
    {
        // Openwall crypt_blowfish test vectors: independent of the library under test.
        struct { const char* hash; const char* password; } vectors[] = {
            {"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U"},
            {"$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK", "U*U*"},
            {"$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a", "U*U*U"},
            {"$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U"},
        };
        for (const auto& v : vectors)
        {
            bool rehash = false;
            CPPUNIT_ASSERT_MESSAGE(v.hash, _auth->verifyPassword(v.password, v.hash, rehash));
            CPPUNIT_ASSERT(rehash);
            CPPUNIT_ASSERT_MESSAGE(v.hash, !_auth->verifyPassword(std::string(v.password) + "x", v.hash, rehash));
        }
    }

    void testBcryptNulByteDoesNotTruncate()
    {
        std::string hash = makeBcrypt("abc", "$2b$", 4);
        bool rehash = false;
        CPPUNIT_ASSERT(!_auth->verifyPassword(std::string("abc\0xyz", 7), hash, rehash));
    }

    void testMalformedHashesNeverMatch()
    {
        std::string good = makeBcrypt("admin-password-1", "$2b$", 4);
        std::string argon = _auth->hashPassword("admin-password-1");
        const std::string malformed[] = {
            "", "admin-password-1", "$", "$$$$", "$2b$", "$2b$12$", "$2x$04$" + good.substr(7),
            good.substr(0, 59), good + "A", "$2b$99$" + good.substr(7), "$2b$03$" + good.substr(7),
            "$2b$04$" + good.substr(7, 52) + "!", "$1$abcdefgh$abcdefghijklmnopqrstuv",
            "$5$rounds=1000$salt$hash", "$argon2id$", "$argon2id$v=19$m=19456,t=2,p=1$",
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$", "$argon2id$v=19$m=abc,t=2,p=1$c29tZXNhbHQ$aGFzaA",
            "$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHQ$aGFzaA", "$argon2x$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA",
            argon.substr(0, argon.size() - 5), argon + "$extra", argon.substr(0, 40) + "!" + argon.substr(41),
            "{SSHA}abcdef", std::string("$2b$04$\0", 8),
        };
        for (const std::string& h : malformed)
        {
            bool rehash = true;
            bool ok = true;
            CPPUNIT_ASSERT_NO_THROW(ok = _auth->verifyPassword("admin-password-1", h, rehash));
            CPPUNIT_ASSERT_MESSAGE("matched malformed hash: " + h, !ok);
            CPPUNIT_ASSERT(!rehash);
        }
    }

    void assertRejected(const std::string& password, const std::string& expectedText)
    {
        try
        {
            _auth->hashPassword(password);
            CPPUNIT_FAIL("accepted a password the policy forbids");
        }
        catch (const ValidationError& e)
        {
            CPPUNIT_ASSERT_EQUAL(std::string("password"), e.field());
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find(expectedText) != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE("a message must never repeat the password",
                password.size() < 4 || std::string(e.what()).find(password) == std::string::npos);
        }
    }

    void testPolicyTooShort()
    {
        assertRejected("", "at least 10 characters");
        assertRejected("123456789", "too short (9 characters): use at least 10 characters");
        CPPUNIT_ASSERT_NO_THROW(_auth->hashPassword("1234567890"));
    }

    void testPolicyCountsCharactersNotBytes()
    {
        // 9 characters, 18 bytes: still too short.
        assertRejected("ăăăăăăăăă", "too short (9 characters)");
        CPPUNIT_ASSERT_NO_THROW(_auth->hashPassword("ăăăăăăăăăă"));
    }

    void testPolicyTooLong()
    {
        CPPUNIT_ASSERT_NO_THROW(_auth->hashPassword(std::string(1024, 'a')));
        assertRejected(std::string(1025, 'a'), "at most 1024 bytes");
    }

    void testPolicyOnlyWhitespace()
    {
        assertRejected(std::string(12, ' '), "only whitespace");
        assertRejected(" \t \n \r  \t   ", "only whitespace");
        CPPUNIT_ASSERT_NO_THROW(_auth->hashPassword("          x"));
    }

    void testPolicyDescription()
    {
        std::string text = _auth->passwordPolicy();
        CPPUNIT_ASSERT_MESSAGE(text, text.find("at least 10 characters") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("1024 bytes") != std::string::npos);
    }

    void testConfigureRejectsWeakCost()
    {
        auto other = test::loadPlugin("auth.local");
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setInt("argon2.memory_kib", 4096);
        try
        {
            other->configure(*config);
            CPPUNIT_FAIL("accepted m=4096");
        }
        catch (const ConfigError& e)
        {
            CPPUNIT_ASSERT_EQUAL(std::string("plugins.auth.local.argon2.memory_kib"), e.key());
        }
    }

    void testConfigOptionsHaveDefaults()
    {
        auto options = _plugin->configOptions();
        CPPUNIT_ASSERT(!options.empty());
        for (const auto& o : options)
        {
            CPPUNIT_ASSERT_MESSAGE(o.key, !o.defaultValue.empty());
            CPPUNIT_ASSERT_MESSAGE(o.key, !o.help.empty());
            CPPUNIT_ASSERT_MESSAGE(o.key, o.min < o.max);
        }
    }

private:
    std::unique_ptr<Plugin> _plugin;
    AuthService* _auth = nullptr;
};

CPPUNIT_TEST_SUITE_REGISTRATION(LocalAuthServiceTest);
