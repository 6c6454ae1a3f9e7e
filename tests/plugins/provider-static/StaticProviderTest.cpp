// provider.static as the kernel sees it: the built module, configured from a section,
// handing out its upstreams in round-robin or random order.
#include "TestPluginContext.h"
#include <steadyproxy/sdk/UpstreamProvider.h>
#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>
#include <set>

using namespace steadyproxy;

namespace {

struct Loaded
{
    std::unique_ptr<Plugin> plugin;
    UpstreamProvider* provider = nullptr;
    test::TestPluginContext context{"provider.static"};
};

std::unique_ptr<Loaded> load(const std::vector<std::string>& upstreams, const std::string& order = "")
{
    auto l = std::make_unique<Loaded>();
    l->plugin = test::loadPlugin("provider.static");
    l->provider = dynamic_cast<UpstreamProvider*>(l->plugin.get());
    CPPUNIT_ASSERT(l->provider);
    Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
    for (std::size_t i = 0; i < upstreams.size(); ++i) c->setString("upstreams[" + std::to_string(i) + "]", upstreams[i]);
    if (!order.empty()) c->setString("order", order);
    l->provider->configure(*c);
    l->provider->start(l->context);
    return l;
}

ProviderKey key(std::int64_t id)
{
    ProviderKey k;
    k.keyId = id;
    k.secret = "label";
    return k;
}

std::string primary(const Lease& l)
{
    return l.hasHttp() ? l.http.describe() : l.socks5.describe();
}

std::string configErrorFor(const std::vector<std::string>& upstreams, std::string* keyOut = nullptr)
{
    auto plugin = test::loadPlugin("provider.static");
    Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
    for (std::size_t i = 0; i < upstreams.size(); ++i) c->setString("upstreams[" + std::to_string(i) + "]", upstreams[i]);
    try
    {
        plugin->configure(*c);
    }
    catch (const ConfigError& e)
    {
        if (keyOut) *keyOut = e.key();
        return e.what();
    }
    CPPUNIT_FAIL("configure accepted a bad list");
    return "";
}

} // namespace

class StaticProviderTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(StaticProviderTest);
    CPPUNIT_TEST(testOptions);
    CPPUNIT_TEST(testRoundRobin);
    CPPUNIT_TEST(testRandomNeverRepeats);
    CPPUNIT_TEST(testCredentialsAndKinds);
    CPPUNIT_TEST(testCommaSeparatedScalar);
    CPPUNIT_TEST(testConfigErrors);
    CPPUNIT_TEST_SUITE_END();

public:
    void testOptions()
    {
        auto p = test::loadPlugin("provider.static");
        auto opts = p->configOptions();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), opts.size());
        CPPUNIT_ASSERT_EQUAL(std::string("upstreams"), opts[0].key);
        CPPUNIT_ASSERT(opts[0].type == ConfigOption::Type::StringList);
        CPPUNIT_ASSERT(opts[0].required);
        CPPUNIT_ASSERT_EQUAL(std::string("order"), opts[1].key);
        CPPUNIT_ASSERT_EQUAL(std::string("round-robin"), opts[1].defaultValue);
    }

    void testRoundRobin()
    {
        auto l = load({"http://10.0.0.1:8001", "http://10.0.0.2:8002", "socks5://10.0.0.3:8003"});
        UpstreamProvider& p = *l->provider;
        CPPUNIT_ASSERT(!p.current(key(1)).has_value());
        // key 1 starts at entry 1 % 3 = 1, then moves on, wrapping.
        std::vector<std::string> seen;
        for (int i = 0; i < 4; ++i)
        {
            Lease lease = p.acquire(key(1), "nam");
            seen.push_back(primary(lease));
            auto cur = p.current(key(1));
            CPPUNIT_ASSERT(cur.has_value());
            CPPUNIT_ASSERT_EQUAL(primary(lease), primary(*cur));
            CPPUNIT_ASSERT_EQUAL(std::string("nam"), cur->region);
            CPPUNIT_ASSERT_EQUAL(std::int64_t(1), lease.keyId);
            CPPUNIT_ASSERT_EQUAL(std::int64_t(0), lease.expiresAt);
            CPPUNIT_ASSERT_EQUAL(std::int64_t(0), lease.nextChangeAt);
            CPPUNIT_ASSERT(std::abs(lease.obtainedAt - l->context.clk.now()) < 5000);
        }
        std::vector<std::string> expected{"http://10.0.0.2:8002", "socks5://10.0.0.3:8003", "http://10.0.0.1:8001",
                                          "http://10.0.0.2:8002"};
        CPPUNIT_ASSERT(expected == seen);
        // Another key starts elsewhere and keeps its own position.
        CPPUNIT_ASSERT_EQUAL(std::string("socks5://10.0.0.3:8003"), primary(p.acquire(key(2), "random")));
        CPPUNIT_ASSERT_EQUAL(std::string("http://10.0.0.2:8002"), primary(*p.current(key(1))));
        p.release(key(1));
        CPPUNIT_ASSERT(!p.current(key(1)).has_value());
        CPPUNIT_ASSERT(p.current(key(2)).has_value());
    }

    void testRandomNeverRepeats()
    {
        auto l = load({"http://10.0.0.1:1", "http://10.0.0.2:2", "http://10.0.0.3:3", "http://10.0.0.4:4"}, "random");
        std::set<std::string> all;
        std::string last = primary(l->provider->acquire(key(9), ""));
        for (int i = 0; i < 200; ++i)
        {
            std::string now = primary(l->provider->acquire(key(9), ""));
            CPPUNIT_ASSERT_MESSAGE("random order must move to another upstream", now != last);
            all.insert(now);
            last = now;
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), all.size());
        // A single upstream: acquire keeps giving it.
        auto one = load({"socks5://10.9.9.9:1080"}, "random");
        CPPUNIT_ASSERT_EQUAL(std::string("socks5://10.9.9.9:1080"), primary(one->provider->acquire(key(1), "")));
        CPPUNIT_ASSERT_EQUAL(std::string("socks5://10.9.9.9:1080"), primary(one->provider->acquire(key(1), "")));
    }

    void testCredentialsAndKinds()
    {
        auto l = load({"http://us%40er:p%3Ass%25w@203.0.113.7:8080/", "socks5://bob:a%20b@[2001:db8::5]:1080",
                       "socks5h://proxy.example.net:1081"});
        UpstreamProvider& p = *l->provider;
        Lease a = p.acquire(key(3), "");   // 3 % 3 = entry 0
        CPPUNIT_ASSERT(a.hasHttp());
        CPPUNIT_ASSERT(!a.hasSocks5());
        CPPUNIT_ASSERT(a.http.kind == Upstream::Kind::Http);
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), a.http.host);
        CPPUNIT_ASSERT_EQUAL(8080, static_cast<int>(a.http.port));
        CPPUNIT_ASSERT_EQUAL(std::string("us@er"), a.http.username);
        CPPUNIT_ASSERT_EQUAL(std::string("p:ss%w"), a.http.password);
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), a.realIp);
        Lease b = p.acquire(key(3), "");
        CPPUNIT_ASSERT(b.hasSocks5());
        CPPUNIT_ASSERT(!b.hasHttp());
        CPPUNIT_ASSERT(b.socks5.kind == Upstream::Kind::Socks5);
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::5"), b.socks5.host);
        CPPUNIT_ASSERT_EQUAL(std::string("bob"), b.socks5.username);
        CPPUNIT_ASSERT_EQUAL(std::string("a b"), b.socks5.password);
        CPPUNIT_ASSERT_EQUAL(std::string("socks5://[2001:db8::5]:1080"), b.socks5.describe());
        Lease c = p.acquire(key(3), "");
        CPPUNIT_ASSERT_EQUAL(std::string("proxy.example.net"), c.socks5.host);
        CPPUNIT_ASSERT(c.realIp.empty());
        CPPUNIT_ASSERT(c.socks5.username.empty());
    }

    void testCommaSeparatedScalar()
    {
        auto l = std::make_unique<Loaded>();
        l->plugin = test::loadPlugin("provider.static");
        l->provider = dynamic_cast<UpstreamProvider*>(l->plugin.get());
        Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
        c->setString("upstreams", "http://10.0.0.1:1, socks5://10.0.0.2:2");
        l->provider->configure(*c);
        l->provider->start(l->context);
        CPPUNIT_ASSERT_EQUAL(std::string("http://10.0.0.1:1"), primary(l->provider->acquire(key(0), "")));
        CPPUNIT_ASSERT_EQUAL(std::string("socks5://10.0.0.2:2"), primary(l->provider->acquire(key(0), "")));
    }

    void testConfigErrors()
    {
        std::string k;
        std::string m = configErrorFor({"http://10.0.0.1:1", "http://alice:topsecret@10.0.0.2"}, &k);
        CPPUNIT_ASSERT_EQUAL(std::string("plugins.provider.static.upstreams[1]"), k);
        CPPUNIT_ASSERT_MESSAGE(m, m.find("no port") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(m, m.find("topsecret") == std::string::npos);
        m = configErrorFor({"ftp://10.0.0.1:21"});
        CPPUNIT_ASSERT_MESSAGE(m, m.find("not http or socks5") != std::string::npos);
        m = configErrorFor({"http://10.0.0.1:99999"});
        CPPUNIT_ASSERT_MESSAGE(m, m.find("1..65535") != std::string::npos);
        m = configErrorFor({"http://u:bad%zzpass@10.0.0.1:80"});
        CPPUNIT_ASSERT_MESSAGE(m, m.find("%25") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(m, m.find("bad%zz") == std::string::npos);
        m = configErrorFor({"http://10.0.0.1:80/path"});
        CPPUNIT_ASSERT_MESSAGE(m, m.find("no path") != std::string::npos);
        m = configErrorFor({"10.0.0.1:80"});
        CPPUNIT_ASSERT_MESSAGE(m, m.find("scheme://") != std::string::npos);
        m = configErrorFor({}, &k);
        CPPUNIT_ASSERT_EQUAL(std::string("plugins.provider.static.upstreams"), k);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StaticProviderTest);
