// The forward proxy's pure building blocks for limits and client addresses: the token
// bucket, the per-client table (its memory bound and expiry), the log throttle, the
// PROXY protocol v2 header parser and the access log line formats.
#include "AccessLog.h"
#include "ClientAccess.h"
#include "Limits.h"
#include "ProxyProtocol.h"
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <arpa/inet.h>
#include <string>

using namespace steadyproxy::forward;

namespace {

std::string v2(unsigned char verCmd, unsigned char fam, const std::string& body)
{
    std::string h(proxyv2::Signature, sizeof proxyv2::Signature);
    h += static_cast<char>(verCmd);
    h += static_cast<char>(fam);
    h += static_cast<char>(body.size() >> 8);
    h += static_cast<char>(body.size() & 0xff);
    return h + body;
}

std::string tcp4Body(const char* src, const char* dst, unsigned short sport, unsigned short dport)
{
    std::string b(12, '\0');
    ::inet_pton(AF_INET, src, &b[0]);
    ::inet_pton(AF_INET, dst, &b[4]);
    b[8] = static_cast<char>(sport >> 8); b[9] = static_cast<char>(sport & 0xff);
    b[10] = static_cast<char>(dport >> 8); b[11] = static_cast<char>(dport & 0xff);
    return b;
}

proxyv2::Status parse(const std::string& s, proxyv2::Header& h)
{
    return proxyv2::parse(reinterpret_cast<const unsigned char*>(s.data()), s.size(), h);
}

} // namespace

class LimitsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(LimitsTest);
    CPPUNIT_TEST(testTokenBucketRefillsAtTheRate);
    CPPUNIT_TEST(testClientTableCountsConnections);
    CPPUNIT_TEST(testClientTableMemoryIsBounded);
    CPPUNIT_TEST(testClientTableRequestRate);
    CPPUNIT_TEST(testLogThrottle);
    CPPUNIT_TEST(testProxyV2Tcp4AndPrefixes);
    CPPUNIT_TEST(testProxyV2Tcp6LocalAndTlvs);
    CPPUNIT_TEST(testProxyV2Invalid);
    CPPUNIT_TEST(testCombinedLogLine);
    CPPUNIT_TEST_SUITE_END();

public:
    void testTokenBucketRefillsAtTheRate()
    {
        TokenBucket b;
        CPPUNIT_ASSERT_EQUAL(100.0, b.take(1000, 1, 100, 100, 0)); // starts full
        CPPUNIT_ASSERT_EQUAL(0.0, b.take(1, 1, 100, 100, 0));
        CPPUNIT_ASSERT_EQUAL(100LL, b.waitMs(10, 100));
        CPPUNIT_ASSERT_EQUAL(10.0, b.take(1000, 1, 100, 100, 100)); // 100 ms at 100/s
        CPPUNIT_ASSERT_EQUAL(100.0, b.take(1000, 1, 100, 100, 60000)); // never more than the burst
        CPPUNIT_ASSERT_EQUAL(0.0, b.take(1000, 50, 100, 100, 60100)); // 10 there, 50 needed
        b.refund(30, 100);
        CPPUNIT_ASSERT_EQUAL(40.0, b.take(1000, 1, 100, 100, 60100));
    }

    void testClientTableCountsConnections()
    {
        ClientTable t;
        CPPUNIT_ASSERT(t.open("a", 2, 0));
        CPPUNIT_ASSERT(t.open("a", 2, 0));
        CPPUNIT_ASSERT(!t.open("a", 2, 0));
        CPPUNIT_ASSERT(t.open("b", 2, 0));
        t.close("a", 1);
        CPPUNIT_ASSERT(t.open("a", 2, 1));
    }

    void testClientTableMemoryIsBounded()
    {
        ClientTable t(100, 60000);
        for (int i = 0; i < 10; ++i) CPPUNIT_ASSERT(t.open("busy" + std::to_string(i), 0, 0));
        for (int i = 0; i < 10000; ++i) t.request("flood" + std::to_string(i), 5, 1000 + i / 100);
        CPPUNIT_ASSERT(t.size() <= 100 + 10);
        // addresses with open connections are never forgotten: their limit still holds
        CPPUNIT_ASSERT(!t.open("busy3", 1, 2000));
        // idle addresses expire
        ClientTable e(1000, 100);
        e.request("x", 5, 0);
        e.request("y", 5, 0);
        e.request("z", 5, 500); // a sweep after the expiry time
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), e.size());
    }

    void testClientTableRequestRate()
    {
        ClientTable t;
        for (int i = 0; i < 3; ++i) CPPUNIT_ASSERT_EQUAL(0LL, t.request("a", 3, 0));
        long long wait = t.request("a", 3, 0);
        CPPUNIT_ASSERT(wait > 0 && wait <= 334);
        CPPUNIT_ASSERT_EQUAL(0LL, t.request("b", 3, 0)); // its own bucket
        CPPUNIT_ASSERT_EQUAL(0LL, t.request("a", 3, 400));
        CPPUNIT_ASSERT_EQUAL(0LL, t.request("a", 0, 400)); // 0 = off
    }

    void testLogThrottle()
    {
        LogThrottle t(2, 3);
        std::uint64_t s = 99;
        for (int i = 0; i < 3; ++i) CPPUNIT_ASSERT(t.allow(0, s));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), s);
        for (int i = 0; i < 7; ++i) CPPUNIT_ASSERT(!t.allow(10, s));
        CPPUNIT_ASSERT(t.allow(600, s));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(7), s);
    }

    void testProxyV2Tcp4AndPrefixes()
    {
        std::string h = v2(0x21, 0x11, tcp4Body("203.0.113.7", "10.0.0.1", 51234, 8080));
        std::string data = h + "GET / HTTP/1.1\r\n";
        proxyv2::Header out;
        CPPUNIT_ASSERT(parse(data, out) == proxyv2::Status::Done);
        CPPUNIT_ASSERT_EQUAL(std::size_t(28), out.length);
        CPPUNIT_ASSERT(!out.local);
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), addressText(out.source));
        CPPUNIT_ASSERT_EQUAL(51234, static_cast<int>(ntohs(reinterpret_cast<sockaddr_in*>(&out.source)->sin_port)));
        for (std::size_t n = 0; n < h.size(); ++n)
            CPPUNIT_ASSERT(parse(h.substr(0, n), out) == proxyv2::Status::NeedMore);
    }

    void testProxyV2Tcp6LocalAndTlvs()
    {
        std::string b(36, '\0');
        ::inet_pton(AF_INET6, "2001:db8::7", &b[0]);
        ::inet_pton(AF_INET6, "::1", &b[16]);
        std::string tlvs("\x01\x00\x02h2\x04\x00\x00", 8);
        proxyv2::Header out;
        CPPUNIT_ASSERT(parse(v2(0x21, 0x21, b + tlvs), out) == proxyv2::Status::Done);
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::7"), addressText(out.source));
        CPPUNIT_ASSERT_EQUAL(std::size_t(16 + 36 + 8), out.length);
        CPPUNIT_ASSERT(parse(v2(0x20, 0x00, ""), out) == proxyv2::Status::Done);
        CPPUNIT_ASSERT(out.local);
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), out.length);
        CPPUNIT_ASSERT(parse(v2(0x20, 0x11, tcp4Body("1.2.3.4", "5.6.7.8", 1, 2)), out) == proxyv2::Status::Done);
        CPPUNIT_ASSERT(out.local); // LOCAL ignores the addresses
    }

    void testProxyV2Invalid()
    {
        proxyv2::Header out;
        const std::string body = tcp4Body("203.0.113.7", "10.0.0.1", 1, 2);
        CPPUNIT_ASSERT(parse("GET / HTTP/1.1\r\n", out) == proxyv2::Status::Invalid);
        CPPUNIT_ASSERT(!out.error.empty());
        CPPUNIT_ASSERT(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", out) == proxyv2::Status::Invalid); // v1 text
        CPPUNIT_ASSERT(parse(v2(0x11, 0x11, body), out) == proxyv2::Status::Invalid); // version 1 byte
        CPPUNIT_ASSERT(parse(v2(0x22, 0x11, body), out) == proxyv2::Status::Invalid); // command 2
        CPPUNIT_ASSERT(parse(v2(0x21, 0x12, body), out) == proxyv2::Status::Invalid); // UDP
        CPPUNIT_ASSERT(parse(v2(0x21, 0x21, body), out) == proxyv2::Status::Invalid); // TCP6 with 12 bytes
        CPPUNIT_ASSERT(parse(v2(0x21, 0x31, std::string(216, '\0')), out) == proxyv2::Status::Invalid); // UNIX
        std::string tooLong = v2(0x21, 0x11, body).substr(0, 14) + std::string("\xff\xff", 2);
        CPPUNIT_ASSERT(parse(tooLong, out) == proxyv2::Status::Invalid);
    }

    void testCombinedLogLine()
    {
        AccessRecord r;
        r.time = 971186136000LL; // 2000-10-10 13:55:36 UTC
        r.client = "203.0.113.7";
        r.endpoint = "proxy1";
        r.method = "GET";
        r.target = "http://example.com/a b";
        r.protocol = "HTTP/1.1";
        r.status = 200;
        r.bytesOut = 2326;
        r.referer = "http://ref/";
        r.userAgent = "curl/8 \"x\"";
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7 - proxy1 [10/Oct/2000:13:55:36 +0000] \"GET http://example.com/a b HTTP/1.1\" 200 2326 "
                                         "\"http://ref/\" \"curl/8 \\\"x\\\"\""),
            AccessLog::format(r, true));
        r.bytesOut = 0;
        r.referer.clear();
        r.userAgent.clear();
        r.endpoint.clear();
        CPPUNIT_ASSERT(AccessLog::format(r, true).find("\" 200 - \"-\" \"-\"") != std::string::npos);
        CPPUNIT_ASSERT(AccessLog::format(r, true).find(" - - [") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LimitsTest);
