// SecretBox: AES-256-GCM sealing of secrets at rest, the master key file, fingerprints.
#include <steadyproxy/kernel/SecretBox.h>
#include <steadyproxy/sdk/Errors.h>
#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/File.h>
#include <Poco/TemporaryFile.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

using namespace steadyproxy;
using namespace steadyproxy::kernel;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string b64(const std::string& data)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << data;
    encoder.close();
    return out.str();
}

std::string unb64(const std::string& text)
{
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    return std::string((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
}

/// The message of the steadyproxy::Error `f` throws (fails the test on anything else).
template <class F> std::string errorOf(F f)
{
    try
    {
        f();
    }
    catch (const Error& e)
    {
        return e.what();
    }
    catch (const std::exception& e)
    {
        CPPUNIT_FAIL(std::string("expected a steadyproxy::Error, got: ") + e.what());
    }
    CPPUNIT_FAIL("expected a steadyproxy::Error");
    return "";
}

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

const std::string kKeyA(32, 'a');
const std::string kKeyB(32, 'b');

} // namespace

class SecretBoxTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SecretBoxTest);
    CPPUNIT_TEST(testRoundTrip);
    CPPUNIT_TEST(testSealIsRandomised);
    CPPUNIT_TEST(testTamperDetected);
    CPPUNIT_TEST(testMalformedSealedValues);
    CPPUNIT_TEST(testAnotherKeyCannotOpen);
    CPPUNIT_TEST(testEncodedKey);
    CPPUNIT_TEST(testMalformedEncodedKeyRefused);
    CPPUNIT_TEST(testKeyFileCreatedPrivateAndReused);
    CPPUNIT_TEST(testGroupReadableKeyFileRefused);
    CPPUNIT_TEST(testMalformedKeyFileRefused);
    CPPUNIT_TEST(testRawKeyMustBe32Bytes);
    CPPUNIT_TEST(testFingerprint);
    CPPUNIT_TEST(testRandomAndDigest);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = Poco::TemporaryFile::tempName();
        Poco::File(_dir).createDirectories();
    }

    void tearDown() override
    {
        try
        {
            Poco::File(_dir).remove(true);
        }
        catch (...)
        {
        }
    }

    void testRoundTrip()
    {
        SecretBox box(kKeyA);
        for (const std::string& plain : {std::string("Ke4bb685a1b2c3d4e5f6a7b8c9d0c24c47"), std::string(""),
                                         std::string("mật khẩu ✓ 密码"), std::string("with\0nul", 8),
                                         std::string(5000, 'x')})
        {
            std::string sealed = box.seal(plain);
            CPPUNIT_ASSERT(sealed.rfind("v1:", 0) == 0);
            CPPUNIT_ASSERT(box.open(sealed) == plain);
            // nonce (12) + ciphertext + tag (16)
            CPPUNIT_ASSERT_EQUAL(plain.size() + 28, unb64(sealed.substr(3)).size());
        }
    }

    void testSealIsRandomised()
    {
        SecretBox box(kKeyA);
        CPPUNIT_ASSERT(box.seal("same") != box.seal("same"));
    }

    void testTamperDetected()
    {
        SecretBox box(kKeyA);
        std::string raw = unb64(box.seal("a provider key").substr(3));
        // Flip one bit in the nonce, the ciphertext and the tag in turn.
        for (std::size_t at : {std::size_t(0), std::size_t(12), std::size_t(15), raw.size() - 1})
        {
            std::string altered = raw;
            altered[at] = static_cast<char>(altered[at] ^ 0x01);
            std::string message = errorOf([&] { box.open("v1:" + b64(altered)); });
            CPPUNIT_ASSERT_MESSAGE(message, contains(message, "altered"));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("a provider key"), box.open("v1:" + b64(raw)));
    }

    void testMalformedSealedValues()
    {
        SecretBox box(kKeyA);
        errorOf([&] { box.open("plain text"); });
        errorOf([&] { box.open(""); });
        errorOf([&] { box.open("v1:" + b64("short")); });
        errorOf([&] { box.open("v1:!!!not base64!!!"); });
        errorOf([&] { box.open("v2:" + box.seal("x").substr(3)); });
    }

    void testAnotherKeyCannotOpen()
    {
        SecretBox a(kKeyA), b(kKeyB);
        std::string sealed = a.seal("secret");
        std::string message = errorOf([&] { b.open(sealed); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "master key"));
        CPPUNIT_ASSERT_EQUAL(std::string("secret"), a.open(sealed));
    }

    void testEncodedKey()
    {
        SecretBox encoded(b64(kKeyA), _dir + "/unused.key");
        SecretBox raw(kKeyA);
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), raw.open(encoded.seal("hello")));
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), encoded.open(raw.seal("hello")));
        // A key given directly never creates the file.
        CPPUNIT_ASSERT(!Poco::File(_dir + "/unused.key").exists());
    }

    void testMalformedEncodedKeyRefused()
    {
        std::string message = errorOf([&] { SecretBox("c2hvcnQ=", _dir + "/k"); }); // "short"
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "32 bytes"));
        message = errorOf([&] { SecretBox("not*base64*at*all*!!", _dir + "/k"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "32 bytes"));
        message = errorOf([&] { SecretBox(b64(std::string(33, 'k')), _dir + "/k"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "32 bytes"));
    }

    void testKeyFileCreatedPrivateAndReused()
    {
        std::string path = _dir + "/nested/folder/master.key";
        std::string sealed;
        {
            SecretBox box("", path);
            sealed = box.seal("kept across restarts");
        }
        CPPUNIT_ASSERT(Poco::File(path).exists());
        struct stat st{};
        CPPUNIT_ASSERT_EQUAL(0, ::stat(path.c_str(), &st));
        CPPUNIT_ASSERT_EQUAL(0600, static_cast<int>(st.st_mode & 0777));
        std::string text = readFile(path);
        CPPUNIT_ASSERT_EQUAL(std::string("\n"), text.substr(text.size() - 1));
        CPPUNIT_ASSERT_EQUAL(std::size_t(32), unb64(text.substr(0, text.size() - 1)).size());

        SecretBox again("", path);
        CPPUNIT_ASSERT_EQUAL(std::string("kept across restarts"), again.open(sealed));
        CPPUNIT_ASSERT_EQUAL(text, readFile(path)); // reused, not rewritten

        // A different file is a different key.
        SecretBox other("", _dir + "/other.key");
        errorOf([&] { other.open(sealed); });
    }

    void testGroupReadableKeyFileRefused()
    {
        std::string path = _dir + "/master.key";
        {
            SecretBox create("", path);
        }
        CPPUNIT_ASSERT_EQUAL(0, ::chmod(path.c_str(), 0640));
        std::string message = errorOf([&] { SecretBox("", path); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, path));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "chmod 600"));
        CPPUNIT_ASSERT_EQUAL(0, ::chmod(path.c_str(), 0604));
        errorOf([&] { SecretBox("", path); });
        CPPUNIT_ASSERT_EQUAL(0, ::chmod(path.c_str(), 0600));
        SecretBox fine("", path);
    }

    void testMalformedKeyFileRefused()
    {
        std::string path = _dir + "/bad.key";
        {
            std::ofstream out(path);
            out << "this is not a key\n";
        }
        ::chmod(path.c_str(), 0600);
        std::string message = errorOf([&] { SecretBox("", path); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, path));
        {
            std::ofstream out(path, std::ios::trunc);
            out << b64("sixteen byte key") << "\n";
        }
        message = errorOf([&] { SecretBox("", path); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "32-byte"));
        // A key written by hand with CRLF and trailing spaces is accepted.
        {
            std::ofstream out(path, std::ios::trunc);
            out << b64(kKeyA) << " \r\n";
        }
        SecretBox box("", path);
        CPPUNIT_ASSERT_EQUAL(std::string("x"), SecretBox(kKeyA).open(box.seal("x")));
    }

    void testRawKeyMustBe32Bytes()
    {
        errorOf([] { SecretBox(std::string(31, 'k')); });
        errorOf([] { SecretBox(std::string("")); });
    }

    void testFingerprint()
    {
        SecretBox a(kKeyA), a2(kKeyA), b(kKeyB);
        std::string f = a.fingerprint("Ke4bb685a1b2c3d4e5f6a7b8c9d0c24c47");
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), f.size());
        CPPUNIT_ASSERT_EQUAL(std::string::npos, f.find_first_not_of("0123456789abcdef"));
        CPPUNIT_ASSERT_EQUAL(f, a.fingerprint("Ke4bb685a1b2c3d4e5f6a7b8c9d0c24c47"));
        CPPUNIT_ASSERT_EQUAL(f, a2.fingerprint("Ke4bb685a1b2c3d4e5f6a7b8c9d0c24c47"));
        CPPUNIT_ASSERT(f != a.fingerprint("Ke4bb685a1b2c3d4e5f6a7b8c9d0c24c48"));
        CPPUNIT_ASSERT(f != b.fingerprint("Ke4bb685a1b2c3d4e5f6a7b8c9d0c24c47")); // keyed
        CPPUNIT_ASSERT(f != SecretBox::sha256Hex("Ke4bb685a1b2c3d4e5f6a7b8c9d0c24c47")); // not a bare hash
    }

    void testRandomAndDigest()
    {
        CPPUNIT_ASSERT_EQUAL(std::size_t(24), SecretBox::randomBytes(24).size());
        CPPUNIT_ASSERT(SecretBox::randomBytes(16) != SecretBox::randomBytes(16));
        std::string token = SecretBox::randomToken(15);
        CPPUNIT_ASSERT_EQUAL(std::size_t(20), token.size());
        CPPUNIT_ASSERT_EQUAL(std::string::npos, token.find_first_of("+/=\n"));
        CPPUNIT_ASSERT(token != SecretBox::randomToken(15));
        CPPUNIT_ASSERT_EQUAL(std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
                             SecretBox::sha256Hex("abc"));
    }

private:
    std::string _dir;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SecretBoxTest);
