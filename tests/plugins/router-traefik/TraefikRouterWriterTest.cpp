// router.traefik, loaded from the built module: what it renders and how it writes.
#include <TestPluginContext.h>
#include <steadyproxy/sdk/RouterWriter.h>
#include <Poco/AutoPtr.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

using namespace steadyproxy;

namespace {

std::string readText(const std::string& path)
{
    Poco::FileInputStream in(path);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    return text;
}

void writeText(const std::string& path, const std::string& text)
{
    Poco::FileOutputStream out(path);
    out << text;
}

RouterSnapshot sampleSnapshot(int routes)
{
    RouterSnapshot s;
    s.domain = "example.com";
    s.proxyHost = "10.0.0.5";
    s.adminHost = "10.0.0.6";
    s.adminPort = 8080;
    for (int n = 1; n <= routes; ++n)
        s.routes.push_back(Route{n * 10, "proxy" + std::to_string(n), static_cast<std::uint16_t>(9000 + n)});
    return s;
}

} // namespace

class TraefikRouterWriterTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(TraefikRouterWriterTest);
    CPPUNIT_TEST(testRoutersServicesAndPorts);
    CPPUNIT_TEST(testAdminRouter);
    CPPUNIT_TEST(testEmptyRouteListIsValid);
    CPPUNIT_TEST(testProxyProtocolServersTransport);
    CPPUNIT_TEST(testProxyProtocolOnLoadBalancer);
    CPPUNIT_TEST(testOptionsShapeOutput);
    CPPUNIT_TEST(testIpv6ProxyHost);
    CPPUNIT_TEST(testRejectsUnsafeNames);
    CPPUNIT_TEST(testWriteCreatesFileWithRenderedText);
    CPPUNIT_TEST(testWriteReplacesAndLeavesNoTemporary);
    CPPUNIT_TEST(testUnchangedConfigurationIsNotRewritten);
    CPPUNIT_TEST(testFailedTemporaryKeepsPreviousFile);
    CPPUNIT_TEST(testTargetIsDirectoryFailsClearly);
    CPPUNIT_TEST(testReadOnlyDirectoryKeepsPreviousFile);
    CPPUNIT_TEST(testUncreatableDirectory);
    CPPUNIT_TEST(testConfigRejectsBadFileName);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = Poco::TemporaryFile::tempName();
        Poco::File(_dir).createDirectories();
        _plugin = makeWriter({});
    }

    void tearDown() override
    {
        ::chmod(_dir.c_str(), 0755);
        try { Poco::File(_dir).remove(true); } catch (...) {}
        _plugin.reset();
    }

    std::unique_ptr<Plugin> makeWriter(const std::map<std::string, std::string>& options)
    {
        auto plugin = test::loadPlugin("router.traefik");
        CPPUNIT_ASSERT(dynamic_cast<RouterWriter*>(plugin.get()));
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("directory", _dir);
        for (const auto& [k, v] : options) config->setString(k, v);
        plugin->configure(*config);
        return plugin;
    }

    RouterWriter& writer() { return dynamic_cast<RouterWriter&>(*_plugin); }
    std::string target() const { return _dir + "/steadyproxy.yml"; }

    void testRoutersServicesAndPorts()
    {
        YAML::Node doc = YAML::Load(writer().render(sampleSnapshot(3)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), doc["tcp"]["routers"].size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), doc["tcp"]["services"].size());
        for (int n = 1; n <= 3; ++n)
        {
            std::string name = "proxy" + std::to_string(n);
            YAML::Node r = doc["tcp"]["routers"][name];
            CPPUNIT_ASSERT_EQUAL("HostSNI(`" + name + ".example.com`)", r["rule"].as<std::string>());
            CPPUNIT_ASSERT_EQUAL(name, r["service"].as<std::string>());
            CPPUNIT_ASSERT_EQUAL(std::string("websecure"), r["entryPoints"][0].as<std::string>());
            CPPUNIT_ASSERT_EQUAL(std::string("letsencrypt"), r["tls"]["certResolver"].as<std::string>());
            CPPUNIT_ASSERT_EQUAL(false, r["tls"]["passthrough"].as<bool>());
            YAML::Node servers = doc["tcp"]["services"][name]["loadBalancer"]["servers"];
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), servers.size());
            CPPUNIT_ASSERT_EQUAL("10.0.0.5:" + std::to_string(9000 + n), servers[0]["address"].as<std::string>());
            CPPUNIT_ASSERT(!doc["tcp"]["services"][name]["loadBalancer"]["serversTransport"]);
        }
        CPPUNIT_ASSERT(!doc["tcp"]["serversTransports"]);
    }

    void testAdminRouter()
    {
        YAML::Node doc = YAML::Load(writer().render(sampleSnapshot(1)));
        YAML::Node admin = doc["http"]["routers"]["admin"];
        CPPUNIT_ASSERT_EQUAL(std::string("Host(`app.example.com`)"), admin["rule"].as<std::string>());
        CPPUNIT_ASSERT_EQUAL(std::string("admin"), admin["service"].as<std::string>());
        CPPUNIT_ASSERT_EQUAL(std::string("letsencrypt"), admin["tls"]["certResolver"].as<std::string>());
        CPPUNIT_ASSERT_EQUAL(std::string("http://10.0.0.6:8080"),
            doc["http"]["services"]["admin"]["loadBalancer"]["servers"][0]["url"].as<std::string>());

        RouterSnapshot noAdmin = sampleSnapshot(1);
        noAdmin.adminPort = 0;
        CPPUNIT_ASSERT(!YAML::Load(writer().render(noAdmin))["http"]);
    }

    void testEmptyRouteListIsValid()
    {
        RouterSnapshot s = sampleSnapshot(0);
        s.proxyHost.clear(); // not needed without routes
        std::string text = writer().render(s);
        YAML::Node doc = YAML::Load(text);
        CPPUNIT_ASSERT(doc.IsMap());
        CPPUNIT_ASSERT(!doc["tcp"]);
        CPPUNIT_ASSERT(doc["http"]["routers"]["admin"]);
        s.adminPort = 0;
        doc = YAML::Load(writer().render(s));
        CPPUNIT_ASSERT(doc.IsMap());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), doc.size());
    }

    void testProxyProtocolServersTransport()
    {
        auto w = makeWriter({{"proxy_protocol", "true"}});
        YAML::Node doc = YAML::Load(dynamic_cast<RouterWriter&>(*w).render(sampleSnapshot(2)));
        std::string transport = doc["tcp"]["services"]["proxy1"]["loadBalancer"]["serversTransport"].as<std::string>();
        CPPUNIT_ASSERT_EQUAL(transport, doc["tcp"]["services"]["proxy2"]["loadBalancer"]["serversTransport"].as<std::string>());
        CPPUNIT_ASSERT_EQUAL(2, doc["tcp"]["serversTransports"][transport]["proxyProtocol"]["version"].as<int>());
        CPPUNIT_ASSERT(!doc["tcp"]["services"]["proxy1"]["loadBalancer"]["proxyProtocol"]);
    }

    void testProxyProtocolOnLoadBalancer()
    {
        auto w = makeWriter({{"proxy_protocol", "true"}, {"proxy_protocol_style", "load_balancer"}});
        YAML::Node doc = YAML::Load(dynamic_cast<RouterWriter&>(*w).render(sampleSnapshot(2)));
        CPPUNIT_ASSERT_EQUAL(2, doc["tcp"]["services"]["proxy2"]["loadBalancer"]["proxyProtocol"]["version"].as<int>());
        CPPUNIT_ASSERT(!doc["tcp"]["serversTransports"]);
    }

    void testOptionsShapeOutput()
    {
        auto w = makeWriter({{"entrypoint", "tls443"}, {"cert_resolver", ""}});
        YAML::Node doc = YAML::Load(dynamic_cast<RouterWriter&>(*w).render(sampleSnapshot(1)));
        YAML::Node r = doc["tcp"]["routers"]["proxy1"];
        CPPUNIT_ASSERT_EQUAL(std::string("tls443"), r["entryPoints"][0].as<std::string>());
        CPPUNIT_ASSERT(r["tls"].IsMap());
        CPPUNIT_ASSERT(!r["tls"]["certResolver"]);
        CPPUNIT_ASSERT(!doc["http"]["routers"]["admin"]["tls"]["certResolver"]);
        CPPUNIT_ASSERT(doc["http"]["routers"]["admin"]["tls"].IsMap());
    }

    void testIpv6ProxyHost()
    {
        RouterSnapshot s = sampleSnapshot(1);
        s.proxyHost = "fd00::5";
        s.adminHost = "::1";
        YAML::Node doc = YAML::Load(writer().render(s));
        CPPUNIT_ASSERT_EQUAL(std::string("[fd00::5]:9001"),
            doc["tcp"]["services"]["proxy1"]["loadBalancer"]["servers"][0]["address"].as<std::string>());
        CPPUNIT_ASSERT_EQUAL(std::string("http://[::1]:8080"),
            doc["http"]["services"]["admin"]["loadBalancer"]["servers"][0]["url"].as<std::string>());
    }

    void assertRenderFails(const RouterSnapshot& s, const std::string& part)
    {
        try
        {
            writer().render(s);
            CPPUNIT_FAIL("rendered an unsafe snapshot");
        }
        catch (const Error& e)
        {
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find(part) != std::string::npos);
        }
    }

    void testRejectsUnsafeNames()
    {
        RouterSnapshot s = sampleSnapshot(1);
        s.domain = "";
        assertRenderFails(s, "DOMAIN");
        s.domain = "example.com`) || HostSNI(`*";
        assertRenderFails(s, "not a DNS name");
        s = sampleSnapshot(1);
        s.routes[0].subdomain = "proxy1.evil";
        assertRenderFails(s, "proxy1.evil");
        s = sampleSnapshot(1);
        s.proxyHost = "";
        assertRenderFails(s, "proxy host");
    }

    void testWriteCreatesFileWithRenderedText()
    {
        Poco::File(_dir).remove(true); // write() creates the directory
        RouterSnapshot s = sampleSnapshot(2);
        writer().write(s);
        CPPUNIT_ASSERT_EQUAL(writer().render(s), readText(target()));
    }

    void testWriteReplacesAndLeavesNoTemporary()
    {
        writer().write(sampleSnapshot(2));
        writer().write(sampleSnapshot(5));
        YAML::Node doc = YAML::LoadFile(target());
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), doc["tcp"]["routers"].size());
        std::vector<std::string> names;
        Poco::File(_dir).list(names);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), names.size());
        CPPUNIT_ASSERT_EQUAL(std::string("steadyproxy.yml"), names[0]);
    }

    void testUnchangedConfigurationIsNotRewritten()
    {
        writer().write(sampleSnapshot(2));
        struct stat before {};
        CPPUNIT_ASSERT_EQUAL(0, ::stat(target().c_str(), &before));
        writer().write(sampleSnapshot(2));
        struct stat after {};
        CPPUNIT_ASSERT_EQUAL(0, ::stat(target().c_str(), &after));
        CPPUNIT_ASSERT_EQUAL(before.st_ino, after.st_ino); // rename would give a new inode
        writer().write(sampleSnapshot(3));
        struct stat changed {};
        CPPUNIT_ASSERT_EQUAL(0, ::stat(target().c_str(), &changed));
        CPPUNIT_ASSERT(changed.st_ino != before.st_ino);
    }

    void assertWriteFails(const RouterSnapshot& s, const std::string& part)
    {
        try
        {
            writer().write(s);
            CPPUNIT_FAIL("write() reported success");
        }
        catch (const Error& e)
        {
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find(part) != std::string::npos);
        }
    }

    void testFailedTemporaryKeepsPreviousFile()
    {
        writer().write(sampleSnapshot(2));
        const std::string previous = readText(target());
        // The temporary name is taken by a directory: the new file cannot be written.
        Poco::File(_dir + "/.steadyproxy.yml.tmp").createDirectories();
        assertWriteFails(sampleSnapshot(4), _dir + "/.steadyproxy.yml.tmp");
        assertWriteFails(sampleSnapshot(4), "Is a directory");
        CPPUNIT_ASSERT_EQUAL(previous, readText(target()));
    }

    void testTargetIsDirectoryFailsClearly()
    {
        Poco::File(target()).createDirectories();
        writeText(target() + "/keep", "x");
        assertWriteFails(sampleSnapshot(1), target());
        CPPUNIT_ASSERT(Poco::File(target()).isDirectory());
        CPPUNIT_ASSERT(!Poco::File(_dir + "/.steadyproxy.yml.tmp").exists()); // cleaned up
    }

    void testReadOnlyDirectoryKeepsPreviousFile()
    {
        writer().write(sampleSnapshot(2));
        const std::string previous = readText(target());
        ::chmod(_dir.c_str(), 0555);
        if (::access(_dir.c_str(), W_OK) == 0)
        {
            // Running as root: permissions do not bind. The other failure tests cover this.
            ::chmod(_dir.c_str(), 0755);
            return;
        }
        assertWriteFails(sampleSnapshot(4), "Permission denied");
        ::chmod(_dir.c_str(), 0755);
        CPPUNIT_ASSERT_EQUAL(previous, readText(target()));
    }

    void testUncreatableDirectory()
    {
        writeText(_dir + "/plain-file", "x");
        auto w = makeWriter({{"directory", _dir + "/plain-file/traefik"}});
        try
        {
            dynamic_cast<RouterWriter&>(*w).write(sampleSnapshot(1));
            CPPUNIT_FAIL("wrote below a regular file");
        }
        catch (const Error& e)
        {
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find(_dir + "/plain-file/traefik") != std::string::npos);
        }
    }

    void testConfigRejectsBadFileName()
    {
        for (const std::string name : {"steadyproxy.toml", "../steadyproxy.yml", ".hidden.yml", "steadyproxy"})
        {
            auto plugin = test::loadPlugin("router.traefik");
            Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
            config->setString("file_name", name);
            try
            {
                plugin->configure(*config);
                CPPUNIT_FAIL("accepted file_name " + name);
            }
            catch (const ConfigError& e)
            {
                CPPUNIT_ASSERT_EQUAL(std::string("plugins.router.traefik.file_name"), e.key());
            }
        }
        auto ok = makeWriter({{"file_name", "proxies.yaml"}});
        dynamic_cast<RouterWriter&>(*ok).write(sampleSnapshot(1));
        CPPUNIT_ASSERT(Poco::File(_dir + "/proxies.yaml").exists());
    }

private:
    std::string _dir;
    std::unique_ptr<Plugin> _plugin;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TraefikRouterWriterTest);
