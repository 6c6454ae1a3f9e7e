// health.http, loaded from the built module, checking real loopback proxies and origins.
#include "TestNetProcess.h"
#include <TestPluginContext.h>
#include <steadyproxy/sdk/HealthCheck.h>
#include <Poco/AutoPtr.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>
#include <chrono>

using namespace steadyproxy;
using steadyproxy::test::TestNetProcess;

namespace {

const std::string ProxyIp = "127.0.0.2"; // the proxy's outgoing address: what the origin sees
const std::string ProxyUser = "proxy1";
const std::string ProxyPass = "s3cret-pass";

/// An origin answering the caller's address as plain text (/plain) or httpbin-style
/// (/origin: {"origin": "<peer>, 10.9.8.7"}).
class TextOriginHandler : public Poco::Net::HTTPRequestHandler
{
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
    {
        std::string peer = request.clientAddress().host().toString();
        std::string body = request.getURI() == "/origin" ? "{\"origin\": \"" + peer + ", 10.9.8.7\"}" : peer + "\n";
        response.setContentType(request.getURI() == "/origin" ? "application/json" : "text/plain");
        response.sendBuffer(body.data(), body.size());
    }
};

class TextOriginFactory : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override
    {
        return new TextOriginHandler;
    }
};

std::uint16_t unusedPort()
{
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    std::uint16_t port = s.address().port();
    s.close();
    return port;
}

} // namespace

class HttpHealthCheckTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(HttpHealthCheckTest);
    CPPUNIT_TEST(testOkWithMatchingExitIp);
    CPPUNIT_TEST(testLeakIsAnError);
    CPPUNIT_TEST(testUnknownExpectedIpStillReportsExitIp);
    CPPUNIT_TEST(testPlainTextAndOriginFieldExitIp);
    CPPUNIT_TEST(testWrongCredentialsIs407Failure);
    CPPUNIT_TEST(testMissingCredentialsIs407Failure);
    CPPUNIT_TEST(testProxyDownIsFailure);
    CPPUNIT_TEST(testOrigin5xxIsFailure);
    CPPUNIT_TEST(testOther4xxIsFailure);
    CPPUNIT_TEST(testSilentEndpointTimesOut);
    CPPUNIT_TEST(testSlowAnswerIsDegraded);
    CPPUNIT_TEST(testHttpsConnectWrongCredentials);
    CPPUNIT_TEST(testHttpsToPlainServerFailsClearly);
    CPPUNIT_TEST(testSampleTimeFromKernelClock);
    CPPUNIT_TEST(testConfigRejectsBadUrl);
    CPPUNIT_TEST(testConfigOptions);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _origin = std::make_unique<TestNetProcess>("origin", "127.0.0.1");
        _proxy = std::make_unique<TestNetProcess>("http", ProxyIp,
            std::vector<std::string>{"--user", ProxyUser, "--password", ProxyPass});
    }

    void tearDown() override
    {
        _proxy.reset();
        _origin.reset();
    }

    std::string originUrl(const std::string& path) const
    {
        return "http://127.0.0.1:" + std::to_string(_origin->port()) + path;
    }

    HealthTarget target(const std::string& expectedIp = ProxyIp) const
    {
        HealthTarget t;
        t.keyId = 42;
        t.proxyHost = ProxyIp;
        t.proxyPort = _proxy->port();
        t.username = ProxyUser;
        t.password = ProxyPass;
        t.expectedIp = expectedIp;
        return t;
    }

    /// A configured health.http for `url`.
    std::unique_ptr<Plugin> makeCheck(const std::string& url, int timeoutMs = 5000, int degradedMs = 3000)
    {
        auto plugin = test::loadPlugin("health.http");
        CPPUNIT_ASSERT(dynamic_cast<HealthCheck*>(plugin.get()));
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("url", url);
        config->setInt("timeout_ms", timeoutMs);
        config->setInt("degraded_ms", degradedMs);
        plugin->configure(*config);
        return plugin;
    }

    static HealthSample run(Plugin& plugin, const HealthTarget& t)
    {
        return dynamic_cast<HealthCheck&>(plugin).check(t);
    }

    static void assertFailure(const HealthSample& s, const std::string& errorPart)
    {
        CPPUNIT_ASSERT_MESSAGE(s.error, !s.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("error"), s.state);
        CPPUNIT_ASSERT_MESSAGE("'" + s.error + "' lacks '" + errorPart + "'", s.error.find(errorPart) != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE("the password leaked into: " + s.error, s.error.find(ProxyPass) == std::string::npos);
    }

    void testOkWithMatchingExitIp()
    {
        auto check = makeCheck(originUrl("/ip"));
        HealthSample s = run(*check, target());
        CPPUNIT_ASSERT_MESSAGE(s.error, s.ok);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(42), s.keyId);
        CPPUNIT_ASSERT_EQUAL(std::string("active"), s.state);
        CPPUNIT_ASSERT_EQUAL(200, s.httpStatus);
        CPPUNIT_ASSERT_EQUAL(ProxyIp, s.exitIp);
        CPPUNIT_ASSERT(s.latencyMs >= 0 && s.latencyMs < 3000);
        CPPUNIT_ASSERT(s.error.empty());
        CPPUNIT_ASSERT(s.at > 0);
    }

    void testLeakIsAnError()
    {
        auto check = makeCheck(originUrl("/ip"));
        HealthSample s = run(*check, target("127.0.0.9"));
        assertFailure(s, "exit IP 127.0.0.2 does not match the lease's IP 127.0.0.9 (leak)");
        CPPUNIT_ASSERT_EQUAL(ProxyIp, s.exitIp);
        CPPUNIT_ASSERT_EQUAL(200, s.httpStatus);
    }

    void testUnknownExpectedIpStillReportsExitIp()
    {
        auto check = makeCheck(originUrl("/ip"));
        HealthSample s = run(*check, target(""));
        CPPUNIT_ASSERT_MESSAGE(s.error, s.ok);
        CPPUNIT_ASSERT_EQUAL(ProxyIp, s.exitIp);
    }

    void testPlainTextAndOriginFieldExitIp()
    {
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
        Poco::Net::HTTPServer server(new TextOriginFactory, socket, new Poco::Net::HTTPServerParams);
        server.start();
        const std::string base = "http://127.0.0.1:" + std::to_string(socket.address().port());
        for (const std::string path : {"/plain", "/origin"})
        {
            auto check = makeCheck(base + path);
            HealthSample s = run(*check, target());
            CPPUNIT_ASSERT_MESSAGE(path + ": " + s.error, s.ok);
            CPPUNIT_ASSERT_EQUAL(ProxyIp, s.exitIp);
            assertFailure(run(*check, target("127.0.0.7")), "(leak)");
        }
        server.stopAll(true);
    }

    void testWrongCredentialsIs407Failure()
    {
        auto check = makeCheck(originUrl("/ip"));
        HealthTarget t = target();
        t.password = "wrong-password";
        HealthSample s = run(*check, t);
        assertFailure(s, "407");
        CPPUNIT_ASSERT_EQUAL(407, s.httpStatus);
        CPPUNIT_ASSERT(s.error.find("proxy1") != std::string::npos);
        CPPUNIT_ASSERT(s.error.find("wrong-password") == std::string::npos);
    }

    void testMissingCredentialsIs407Failure()
    {
        auto check = makeCheck(originUrl("/ip"));
        HealthTarget t = target();
        t.username.clear();
        t.password.clear();
        HealthSample s = run(*check, t);
        assertFailure(s, "407");
    }

    void testProxyDownIsFailure()
    {
        auto check = makeCheck(originUrl("/ip"));
        _proxy->stop();
        HealthSample s = run(*check, target());
        assertFailure(s, "connection refused");
        CPPUNIT_ASSERT_EQUAL(-1, s.latencyMs);
        CPPUNIT_ASSERT_EQUAL(0, s.httpStatus);

        HealthTarget t = target();
        t.proxyHost = "127.0.0.1";
        t.proxyPort = unusedPort();
        assertFailure(run(*check, t), "cannot connect to the endpoint 127.0.0.1:" + std::to_string(t.proxyPort));
    }

    void testOrigin5xxIsFailure()
    {
        for (int code : {500, 502, 503})
        {
            auto check = makeCheck(originUrl("/status?code=" + std::to_string(code)));
            HealthSample s = run(*check, target());
            assertFailure(s, "HTTP " + std::to_string(code));
            CPPUNIT_ASSERT_EQUAL(code, s.httpStatus);
        }
        // The origin is down: the endpoint answers 502 itself; still a failure.
        auto check = makeCheck("http://127.0.0.1:" + std::to_string(unusedPort()) + "/ip");
        HealthSample s = run(*check, target());
        assertFailure(s, "HTTP 502");
    }

    void testOther4xxIsFailure()
    {
        auto check = makeCheck(originUrl("/status?code=404"));
        HealthSample s = run(*check, target());
        assertFailure(s, "unexpected HTTP 404");
        CPPUNIT_ASSERT_EQUAL(404, s.httpStatus);
    }

    void testSilentEndpointTimesOut()
    {
        TestNetProcess silent("silent", "127.0.0.1");
        auto check = makeCheck(originUrl("/ip"), 500);
        HealthTarget t = target();
        t.proxyHost = "127.0.0.1";
        t.proxyPort = silent.port();
        auto started = std::chrono::steady_clock::now();
        HealthSample s = run(*check, t);
        auto tookMs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        assertFailure(s, "timeout");
        CPPUNIT_ASSERT_MESSAGE(s.error, s.error.find("500 ms") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(tookMs), tookMs >= 400 && tookMs < 3000);

        // An origin that dribbles its body past the timeout is a timeout too.
        auto slow = makeCheck(originUrl("/slow?ms=3000&n=30"), 700);
        assertFailure(run(*slow, target()), "timeout");
    }

    void testSlowAnswerIsDegraded()
    {
        auto check = makeCheck(originUrl("/slow?ms=400&n=4"), 5000, 200);
        HealthSample s = run(*check, target());
        CPPUNIT_ASSERT_MESSAGE(s.error, s.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("degraded"), s.state);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(s.latencyMs), s.latencyMs >= 200);
        CPPUNIT_ASSERT(s.exitIp.empty()); // "xxxx" carries no IP: nothing to compare
    }

    void testHttpsConnectWrongCredentials()
    {
        auto check = makeCheck("https://127.0.0.1:" + std::to_string(_origin->port()) + "/ip");
        HealthTarget t = target();
        t.password = "wrong-password";
        HealthSample s = run(*check, t);
        assertFailure(s, "407");
    }

    void testHttpsToPlainServerFailsClearly()
    {
        // CONNECT succeeds, then the TLS handshake meets a plain HTTP server.
        auto check = makeCheck("https://127.0.0.1:" + std::to_string(_origin->port()) + "/ip", 3000);
        HealthSample s = run(*check, target());
        assertFailure(s, "through the endpoint " + ProxyIp + ":" + std::to_string(_proxy->port()));
    }

    void testSampleTimeFromKernelClock()
    {
        auto check = makeCheck(originUrl("/ip"));
        test::TestPluginContext context("health.http");
        context.clk.offset = 3600000;
        check->start(context);
        HealthSample s = run(*check, target());
        check->stop();
        EpochMs real = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch()).count();
        CPPUNIT_ASSERT_MESSAGE(std::to_string(s.at - real), s.at - real > 3500000);
    }

    void testConfigRejectsBadUrl()
    {
        for (const std::string url : {"ftp://example.com/", "not a url", "http://"})
        {
            auto plugin = test::loadPlugin("health.http");
            Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
            config->setString("url", url);
            try
            {
                plugin->configure(*config);
                CPPUNIT_FAIL("accepted url " + url);
            }
            catch (const ConfigError& e)
            {
                CPPUNIT_ASSERT_EQUAL(std::string("plugins.health.http.url"), e.key());
            }
        }
    }

    void testConfigOptions()
    {
        auto plugin = test::loadPlugin("health.http");
        bool sawUrl = false;
        for (const auto& o : plugin->configOptions())
        {
            CPPUNIT_ASSERT(!o.help.empty());
            CPPUNIT_ASSERT(!o.defaultValue.empty());
            if (o.key == "url")
            {
                sawUrl = true;
                CPPUNIT_ASSERT_EQUAL(std::string("https://api.ipify.org?format=json"), o.defaultValue);
            }
        }
        CPPUNIT_ASSERT(sawUrl);
    }

private:
    std::unique_ptr<TestNetProcess> _origin;
    std::unique_ptr<TestNetProcess> _proxy;
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpHealthCheckTest);
