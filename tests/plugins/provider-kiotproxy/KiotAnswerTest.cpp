// The strict reading of KiotProxy answers: envelopes, every field of a success, failure
// classification, waiting times in messages, and key masking.
#include "KiotAnswer.h"
#include <steadyproxy/sdk/SecretMask.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;
using namespace steadyproxy::kiotproxy;

namespace {

const std::string kGood =
    R"({"data": {"realIpAddress": "171.229.10.20", "http": "171.229.10.20:39008",
        "socks5": "171.229.10.20:39009", "httpPort": 39008, "socks5Port": 39009,
        "host": "171.229.10.20", "location": "Phú Thọ",
        "expirationAt": 1718030731927, "nextRequestAt": 1718029591927, "ttl": 1200, "ttc": 59},
        "success": true, "code": 200, "timestamp": 1718029532890, "status": "SUCCESS"})";

std::string withData(const std::string& data)
{
    return R"({"success": true, "code": 200, "timestamp": 1718029532890, "status": "SUCCESS", "data": )" + data + "}";
}

std::string replaced(std::string s, const std::string& from, const std::string& to)
{
    auto p = s.find(from);
    CPPUNIT_ASSERT_MESSAGE("test data has " + from, p != std::string::npos);
    return s.replace(p, from.size(), to);
}

void assertBadData(const std::string& body, const std::string& mentions)
{
    Envelope e = parseEnvelope(body);
    try
    {
        parseProxyData(e.data, true, false);
        CPPUNIT_FAIL("accepted a bad answer: " + body);
    }
    catch (const AnswerError& err)
    {
        CPPUNIT_ASSERT_MESSAGE(std::string(err.what()) + " should mention " + mentions,
                               std::string(err.what()).find(mentions) != std::string::npos);
    }
}

} // namespace

class KiotAnswerTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(KiotAnswerTest);
    CPPUNIT_TEST(testDocumentedSuccess);
    CPPUNIT_TEST(testCredentials);
    CPPUNIT_TEST(testRejectsBrokenFields);
    CPPUNIT_TEST(testEnvelopeErrors);
    CPPUNIT_TEST(testFailureKinds);
    CPPUNIT_TEST(testWaitTimes);
    CPPUNIT_TEST(testHostPort);
    CPPUNIT_TEST(testMask);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDocumentedSuccess()
    {
        Envelope e = parseEnvelope(kGood);
        CPPUNIT_ASSERT(e.success);
        CPPUNIT_ASSERT_EQUAL(1718029532890LL, static_cast<long long>(e.timestamp));
        ProxyData pd = parseProxyData(e.data, true, true);
        CPPUNIT_ASSERT_EQUAL(std::string("171.229.10.20"), pd.realIp);
        CPPUNIT_ASSERT_EQUAL(std::string("171.229.10.20"), pd.http.host);
        CPPUNIT_ASSERT_EQUAL(39008, static_cast<int>(pd.http.port));
        CPPUNIT_ASSERT(pd.http.kind == Upstream::Kind::Http);
        CPPUNIT_ASSERT_EQUAL(39009, static_cast<int>(pd.socks5.port));
        CPPUNIT_ASSERT(pd.socks5.kind == Upstream::Kind::Socks5);
        CPPUNIT_ASSERT_EQUAL(std::string("Ph\xC3\xBA Th\xE1\xBB\x8D"), pd.location);
        CPPUNIT_ASSERT_EQUAL(1718030731927LL, static_cast<long long>(pd.expirationAt));
        CPPUNIT_ASSERT_EQUAL(1718029591927LL, static_cast<long long>(pd.nextRequestAt));
        CPPUNIT_ASSERT_EQUAL(1200, pd.ttl);
        CPPUNIT_ASSERT_EQUAL(59, pd.ttc);
        CPPUNIT_ASSERT(pd.http.username.empty());
        // \u escapes arrive as the same UTF-8.
        ProxyData esc = parseProxyData(parseEnvelope(replaced(kGood, "Phú Thọ", "Ph\\u00fa Th\\u1ecd")).data, true, true);
        CPPUNIT_ASSERT_EQUAL(pd.location, esc.location);
    }

    void testCredentials()
    {
        std::string body = replaced(kGood, "\"ttc\": 59", "\"ttc\": 59, \"proxyUser\": \"u@x:1\", \"proxyPass\": \"p%20w\"");
        ProxyData pd = parseProxyData(parseEnvelope(body).data, true, true);
        CPPUNIT_ASSERT_EQUAL(std::string("u@x:1"), pd.http.username);
        CPPUNIT_ASSERT_EQUAL(std::string("p%20w"), pd.http.password);
        CPPUNIT_ASSERT_EQUAL(std::string("u@x:1"), pd.socks5.username);
        CPPUNIT_ASSERT_EQUAL(std::string("p%20w"), pd.socks5.password);
    }

    void testRejectsBrokenFields()
    {
        assertBadData(replaced(kGood, "\"http\": \"171.229.10.20:39008\",", ""), "data.http is missing");
        assertBadData(replaced(kGood, "\"171.229.10.20:39008\"", "\"171.229.10.20\""), "data.http");
        assertBadData(replaced(kGood, "\"171.229.10.20:39008\"", "\"171.229.10.20:70000\""), "1..65535");
        assertBadData(replaced(kGood, "\"171.229.10.20:39008\"", "\"171.229.10.20:0\""), "1..65535");
        assertBadData(replaced(kGood, "\"171.229.10.20:39008\"", "\"999.1.1.1:39008\""), "not a valid IPv4");
        assertBadData(replaced(kGood, "\"httpPort\": 39008", "\"httpPort\": 39010"), "httpPort");
        assertBadData(replaced(kGood, "\"realIpAddress\": \"171.229.10.20\"", "\"realIpAddress\": \"nope\""), "realIpAddress");
        assertBadData(replaced(kGood, "\"realIpAddress\": \"171.229.10.20\",", ""), "realIpAddress is missing");
        assertBadData(replaced(kGood, "1718030731927", "\"1718030731927\""), "expirationAt is a string");
        assertBadData(replaced(kGood, "1718030731927", "1718030731"), "epoch milliseconds");
        assertBadData(replaced(kGood, "\"nextRequestAt\": 1718029591927,", ""), "nextRequestAt is missing");
        assertBadData(replaced(kGood, "\"location\": \"Phú Thọ\"", "\"location\": 7"), "location");
        assertBadData(replaced(kGood, "\"ttl\": 1200", "\"ttl\": -5"), "ttl");
        assertBadData(replaced(kGood, "\"ttl\": 1200", "\"ttl\": 12.5"), "whole number");
        assertBadData(withData("[]"), "expected an object");
        assertBadData(withData("null"), "no data");
        assertBadData(withData("true"), "expected an object");
        // The socks5 address is optional when http is primary, and the other way round.
        std::string noSocks = replaced(replaced(kGood, "\"socks5\": \"171.229.10.20:39009\",", ""), "\"socks5Port\": 39009,", "");
        ProxyData pd = parseProxyData(parseEnvelope(noSocks).data, true, false);
        CPPUNIT_ASSERT_EQUAL(0, static_cast<int>(pd.socks5.port));
        CPPUNIT_ASSERT_THROW(parseProxyData(parseEnvelope(noSocks).data, false, true), AnswerError);
    }

    void testEnvelopeErrors()
    {
        CPPUNIT_ASSERT_THROW(parseEnvelope("{\"data\": {\"realIp"), AnswerError);
        CPPUNIT_ASSERT_THROW(parseEnvelope("<html>502</html>"), AnswerError);
        CPPUNIT_ASSERT_THROW(parseEnvelope("[1,2]"), AnswerError);
        CPPUNIT_ASSERT_THROW(parseEnvelope("{\"status\": 404, \"error\": \"Not Found\"}"), AnswerError);
        CPPUNIT_ASSERT_THROW(parseEnvelope("{\"success\": \"true\"}"), AnswerError);
        CPPUNIT_ASSERT_THROW(parseEnvelope(""), AnswerError);
    }

    void testFailureKinds()
    {
        Envelope nf = parseEnvelope(R"({"success": false, "code": 40400006, "message": "Key not found",
            "timestamp": 1718032727635, "status": "FAIL", "error": "KEY_NOT_FOUND"})");
        CPPUNIT_ASSERT(!nf.success);
        CPPUNIT_ASSERT(isKeyNotFound(nf));
        CPPUNIT_ASSERT(!isKeyExpired(nf));
        CPPUNIT_ASSERT(!looksTooEarly(nf));
        CPPUNIT_ASSERT_EQUAL(std::string("Key not found"), nf.message);

        Envelope ex = parseEnvelope(R"({"success": false, "message": "Key proxy đã hết hạn, vui lòng gia hạn để tiếp tục sử dụng", "status": "FAIL"})");
        CPPUNIT_ASSERT(isKeyExpired(ex));
        CPPUNIT_ASSERT_EQUAL(std::string("Key proxy đã hết hạn, vui lòng gia hạn để tiếp tục sử dụng"), ex.message);
        Envelope ex2 = parseEnvelope(R"({"success": false, "error": "KEY_EXPIRED", "message": "whatever"})");
        CPPUNIT_ASSERT(isKeyExpired(ex2));

        Envelope np = parseEnvelope(R"({"success": false, "code": 40001050, "message": "Could not find the proxy being used by key Ke4bb685...c24c47", "status": "FAIL", "error": "PROXY_NOT_FOUND_BY_KEY"})");
        CPPUNIT_ASSERT(isNoProxy(np));
        CPPUNIT_ASSERT(!looksTooEarly(np));

        CPPUNIT_ASSERT(looksTooEarly(parseEnvelope(R"({"success": false, "message": "Bạn chỉ có thể đổi proxy sau 42 giây nữa"})")));
        CPPUNIT_ASSERT(looksTooEarly(parseEnvelope(R"({"success": false, "message": "Please wait before changing"})")));
        CPPUNIT_ASSERT(looksTooEarly(parseEnvelope(R"({"success": false, "error": "CHANGE_TOO_EARLY", "message": "x"})")));
        CPPUNIT_ASSERT(!looksTooEarly(parseEnvelope(R"({"success": false, "error": "SOMETHING", "message": "Internal problem"})")));
    }

    void testWaitTimes()
    {
        CPPUNIT_ASSERT_EQUAL(42000LL, waitMsIn("Bạn chỉ có thể đổi proxy sau 42 giây nữa").value_or(-1));
        CPPUNIT_ASSERT_EQUAL(5000LL, waitMsIn("Please wait 5 seconds").value_or(-1));
        CPPUNIT_ASSERT_EQUAL(17000LL, waitMsIn("retry in 17s").value_or(-1));
        CPPUNIT_ASSERT_EQUAL(120000LL, waitMsIn("Vui lòng đợi 2 phút").value_or(-1));
        CPPUNIT_ASSERT(!waitMsIn("Key not found").has_value());
        CPPUNIT_ASSERT(!waitMsIn("Could not find the proxy being used by key Ke4bb685...c24c47").has_value());
    }

    void testHostPort()
    {
        Upstream v6 = parseHostPort("f", "[2001:db8::1]:8080", Upstream::Kind::Socks5);
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::1"), v6.host);
        CPPUNIT_ASSERT_EQUAL(8080, static_cast<int>(v6.port));
        CPPUNIT_ASSERT_EQUAL(std::string("proxy.example.vn"), parseHostPort("f", "proxy.example.vn:1", Upstream::Kind::Http).host);
        CPPUNIT_ASSERT_THROW(parseHostPort("f", "2001:db8::1:8080", Upstream::Kind::Http), AnswerError);
        CPPUNIT_ASSERT_THROW(parseHostPort("f", "host:", Upstream::Kind::Http), AnswerError);
        CPPUNIT_ASSERT_THROW(parseHostPort("f", ":80", Upstream::Kind::Http), AnswerError);
        CPPUNIT_ASSERT_THROW(parseHostPort("f", "a b:80", Upstream::Kind::Http), AnswerError);
        CPPUNIT_ASSERT_THROW(parseHostPort("f", "1.2.3.4:65536", Upstream::Kind::Http), AnswerError);
    }

    void testMask()
    {
        const std::string key = "Ke4bb685aaaaaaaaaaaaaaaaaaaac24c47";
        CPPUNIT_ASSERT_EQUAL(std::string("Ke4bb685...c24c47"), maskSecret(key));
        CPPUNIT_ASSERT_EQUAL(std::string("Ks..."), maskSecret("Kshortkey"));
        CPPUNIT_ASSERT_EQUAL(std::string("..."), maskSecret("abc"));
        CPPUNIT_ASSERT_EQUAL(std::string("x Ke4bb685...c24c47 y Ke4bb685...c24c47"), scrubSecret("x " + key + " y " + key, key));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KiotAnswerTest);
