// PluginHost against the fixture plugins (tests/fixtures/plugins, built into
// $STEADYPROXY_FIXTURE_PLUGIN_DIR): loading, refusals, lifecycle order, registry.
#include <steadyproxy/kernel/Clocks.h>
#include <steadyproxy/kernel/Config.h>
#include <steadyproxy/kernel/EventHub.h>
#include <steadyproxy/kernel/KernelOptions.h>
#include <steadyproxy/kernel/PluginHost.h>
#include <steadyproxy/sdk/HealthCheck.h>
#include <steadyproxy/sdk/Storage.h>
#include <Poco/File.h>
#include <Poco/TemporaryFile.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <cstdlib>
#include <fstream>
#include <memory>

using namespace steadyproxy;
using namespace steadyproxy::kernel;

namespace {

const std::vector<std::string> kFixtureIds{
    "health.fixture-good", "health.fixture-throws", "health.fixture-needs-absent", "health.fixture-bad-config",
    "health.fixture-dep-a", "health.fixture-dep-b", "health.fixture-dup"};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string fixtureDir()
{
    const char* dir = std::getenv("STEADYPROXY_FIXTURE_PLUGIN_DIR");
    if (!dir || !*dir) throw std::runtime_error("STEADYPROXY_FIXTURE_PLUGIN_DIR is not set (run the test through ctest)");
    if (!Poco::File(std::string(dir) + "/health.fixture-good.so").exists())
        throw std::runtime_error(std::string("the fixture plugins are not built in ") + dir +
                                 " (build the steadyproxy_fixture_plugins target)");
    return dir;
}

/// The message of the steadyproxy::Error `f` throws (fails the test if it throws none).
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
    CPPUNIT_FAIL("expected a steadyproxy::Error");
    return "";
}

std::vector<std::string> readLines(const std::string& path)
{
    std::vector<std::string> lines;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string join(const std::vector<std::string>& lines)
{
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    return text;
}

} // namespace

class PluginHostTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PluginHostTest);
    CPPUNIT_TEST(testGoodPluginLifecycle);
    CPPUNIT_TEST(testInspectReadsInfo);
    CPPUNIT_TEST(testLoadByPath);
    CPPUNIT_TEST(testMissingFileNamesSearchedDirectories);
    CPPUNIT_TEST(testMissingPathNamesIt);
    CPPUNIT_TEST(testWrongAbiRefused);
    CPPUNIT_TEST(testDuplicateIdRefused);
    CPPUNIT_TEST(testIdMismatchRefused);
    CPPUNIT_TEST(testMissingDependencyRefused);
    CPPUNIT_TEST(testThrowingStartStopsTheStartedOnes);
    CPPUNIT_TEST(testDependencyOrder);
    CPPUNIT_TEST(testRegistry);
    CPPUNIT_TEST(testConfigureErrorNamesPlugin);
    CPPUNIT_TEST(testConfigurePocoExceptionKeepsDetail);
    CPPUNIT_TEST(testStartOnlyWhich);
    CPPUNIT_TEST(testDestructorStops);
    CPPUNIT_TEST(testPluginSectionValidatedWithItsOptions);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = fixtureDir();
        _tmp = Poco::TemporaryFile::tempName();
        Poco::File(_tmp).createDirectories();
        _order = _tmp + "/order.txt";
        _config = new Poco::Util::MapConfiguration;
        for (const auto& id : kFixtureIds) _config->setString("plugins." + id + ".order_file", _order);
    }

    void tearDown() override
    {
        try
        {
            Poco::File(_tmp).remove(true);
        }
        catch (...)
        {
        }
    }

    void testGoodPluginLifecycle()
    {
        PluginHost host({_dir});
        host.load({"health.fixture-good"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), host.plugins().size());
        const LoadedPlugin& p = host.plugins()[0];
        CPPUNIT_ASSERT_EQUAL(std::string("health.fixture-good"), p.id);
        CPPUNIT_ASSERT_EQUAL(std::string("health"), p.kind);
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.3"), p.version);
        CPPUNIT_ASSERT_EQUAL(_dir + "/health.fixture-good.so", p.file);
        CPPUNIT_ASSERT(!p.started);
        CPPUNIT_ASSERT(host.registry().find("health.fixture-good") == nullptr);

        host.configure(*_config);
        host.start(_clock, _events, _tmp + "/data");
        CPPUNIT_ASSERT(host.plugins()[0].started);
        CPPUNIT_ASSERT(host.registry().find("health.fixture-good") != nullptr);
        CPPUNIT_ASSERT(Poco::File(_tmp + "/data/health.fixture-good").isDirectory());

        host.stop();
        CPPUNIT_ASSERT(!host.plugins()[0].started);
        CPPUNIT_ASSERT(host.registry().find("health.fixture-good") == nullptr);
        std::vector<std::string> expected{"configure health.fixture-good", "start health.fixture-good",
                                          "stop health.fixture-good"};
        CPPUNIT_ASSERT_EQUAL(join(expected), join(readLines(_order)));
        host.stop(); // a second stop does nothing
        CPPUNIT_ASSERT_EQUAL(join(expected), join(readLines(_order)));
    }

    void testInspectReadsInfo()
    {
        LoadedPlugin p = PluginHost::inspect(_dir + "/health.fixture-dep-b.so");
        CPPUNIT_ASSERT_EQUAL(std::string("health.fixture-dep-b"), p.id);
        CPPUNIT_ASSERT_EQUAL(std::string("health"), p.kind);
        CPPUNIT_ASSERT_EQUAL(std::string("1.0.0"), p.version);
        CPPUNIT_ASSERT(!p.buildId.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("fixture: depends on dep-a"), p.description);
        CPPUNIT_ASSERT(std::vector<std::string>{"health.fixture-dep-a"} == p.dependsOn);
        CPPUNIT_ASSERT(!p.instance);
    }

    void testLoadByPath()
    {
        PluginHost host({});
        host.load({_dir + "/health.fixture-good.so"});
        CPPUNIT_ASSERT_EQUAL(std::string("health.fixture-good"), host.plugins()[0].id);
    }

    void testMissingFileNamesSearchedDirectories()
    {
        PluginHost host({"/nonexistent/first", _dir});
        std::string message = errorOf([&] { host.load({"health.fixture-nothere"}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "health.fixture-nothere.so"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "/nonexistent/first"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, _dir));
        PluginHost none({});
        message = errorOf([&] { none.load({"health.fixture-good"}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "no plugin directories"));
    }

    void testMissingPathNamesIt()
    {
        PluginHost host({_dir});
        std::string message = errorOf([&] { host.load({"/nonexistent/health.x.so"}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "/nonexistent/health.x.so"));
    }

    void testWrongAbiRefused()
    {
        PluginHost host({_dir});
        std::string message = errorOf([&] { host.load({"health.fixture-wrong-abi"}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "health.fixture-wrong-abi.so"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "ABI " + std::to_string(SP_SDK_ABI_VERSION + 1)));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "ABI " + std::to_string(SP_SDK_ABI_VERSION)));
        CPPUNIT_ASSERT(host.plugins().empty());
        std::string inspected = errorOf([&] { PluginHost::inspect(_dir + "/health.fixture-wrong-abi.so"); });
        CPPUNIT_ASSERT_EQUAL(message, inspected);
    }

    void testDuplicateIdRefused()
    {
        PluginHost host({_dir});
        std::string one = _dir + "/health.fixture-dup-one.so", two = _dir + "/health.fixture-dup-two.so";
        std::string message = errorOf([&] { host.load({one, two}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "duplicate"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "\"health.fixture-dup\""));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, one));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, two));
        // The same file twice is a duplicate too.
        PluginHost again({_dir});
        message = errorOf([&] { again.load({"health.fixture-good", "health.fixture-good"}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "duplicate"));
    }

    void testIdMismatchRefused()
    {
        PluginHost host({_dir});
        std::string message = errorOf([&] { host.load({"health.fixture-dup-one"}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "declares the id \"health.fixture-dup\""));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "health.fixture-dup-one"));
    }

    void testMissingDependencyRefused()
    {
        PluginHost host({_dir});
        std::string message = errorOf([&] { host.load({"health.fixture-good", "health.fixture-needs-absent"}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "health.fixture-needs-absent"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "storage.fixture-absent"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "not loaded"));
        PluginHost alone({_dir});
        message = errorOf([&] { alone.load({"health.fixture-dep-b"}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "health.fixture-dep-a"));
    }

    void testThrowingStartStopsTheStartedOnes()
    {
        PluginHost host({_dir});
        host.load({"health.fixture-good", "health.fixture-dep-a", "health.fixture-throws"});
        host.configure(*_config);
        std::string message = errorOf([&] { host.start(_clock, _events, _tmp + "/data"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "plugin health.fixture-throws failed to start"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "refuses to start on purpose"));
        std::vector<std::string> expected{
            "configure health.fixture-good", "configure health.fixture-dep-a", "configure health.fixture-throws",
            "start health.fixture-good",     "start health.fixture-dep-a",     "start health.fixture-throws",
            "stop health.fixture-dep-a",     "stop health.fixture-good"};
        CPPUNIT_ASSERT_EQUAL(join(expected), join(readLines(_order)));
        CPPUNIT_ASSERT(host.registry().all().empty());
        for (const auto& p : host.plugins()) CPPUNIT_ASSERT_MESSAGE(p.id, !p.started);
        host.stop(); // nothing is stopped twice
        CPPUNIT_ASSERT_EQUAL(expected.size(), readLines(_order).size());
    }

    void testDependencyOrder()
    {
        PluginHost host({_dir});
        host.load({"health.fixture-dep-b", "health.fixture-good", "health.fixture-dep-a"});
        CPPUNIT_ASSERT_EQUAL(std::string("health.fixture-good"), host.plugins()[0].id);
        CPPUNIT_ASSERT_EQUAL(std::string("health.fixture-dep-a"), host.plugins()[1].id);
        CPPUNIT_ASSERT_EQUAL(std::string("health.fixture-dep-b"), host.plugins()[2].id);
        host.configure(*_config);
        host.start(_clock, _events, _tmp + "/data");
        host.stop();
        std::vector<std::string> expected{
            "configure health.fixture-good",  "configure health.fixture-dep-a", "configure health.fixture-dep-b",
            "start health.fixture-good",      "start health.fixture-dep-a",     "start health.fixture-dep-b",
            "found-dependency health.fixture-dep-b",
            "stop health.fixture-dep-b",      "stop health.fixture-dep-a",      "stop health.fixture-good"};
        CPPUNIT_ASSERT_EQUAL(join(expected), join(readLines(_order)));
    }

    void testRegistry()
    {
        PluginHost host({_dir});
        host.load({"health.fixture-dep-b", "health.fixture-dep-a", "health.fixture-good"});
        host.configure(*_config);
        host.start(_clock, _events, _tmp + "/data");
        Registry& registry = host.registry();

        Plugin* good = registry.find("health.fixture-good");
        Plugin* a = registry.find("health.fixture-dep-a");
        Plugin* b = registry.find("health.fixture-dep-b");
        CPPUNIT_ASSERT(good && a && b);
        CPPUNIT_ASSERT(registry.find("health.fixture-nothere") == nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("health.fixture-good"), registry.idOf(good));
        CPPUNIT_ASSERT_EQUAL(std::string("health.fixture-dep-a"), registry.idOf(a));
        CPPUNIT_ASSERT_EQUAL(std::string(""), registry.idOf(nullptr));

        std::vector<Plugin*> all = registry.all();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), all.size());
        CPPUNIT_ASSERT(all[0] == a && all[1] == b && all[2] == good); // start order

        // Found by interface across the library boundary.
        HealthCheck* check = registry.find<HealthCheck>("health.fixture-good");
        CPPUNIT_ASSERT(check != nullptr);
        CPPUNIT_ASSERT(registry.find<HealthCheck>("health.fixture-dep-a") == nullptr);
        std::vector<HealthCheck*> checks = registry.allOf<HealthCheck>();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), checks.size());
        CPPUNIT_ASSERT(checks[0] == check);
        HealthTarget target;
        target.keyId = 42;
        HealthSample sample = check->check(target);
        CPPUNIT_ASSERT(sample.ok);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(42), sample.keyId);
        CPPUNIT_ASSERT(&registry.require<HealthCheck>("health") == check);
        try
        {
            registry.require<Storage>("storage");
            CPPUNIT_FAIL("no storage plugin is loaded");
        }
        catch (const Error& e)
        {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "storage"));
        }
        CPPUNIT_ASSERT(registry.allOf<Storage>().empty());
        host.stop();
        CPPUNIT_ASSERT(registry.all().empty());
    }

    void testConfigureErrorNamesPlugin()
    {
        PluginHost host({_dir});
        host.load({"health.fixture-good", "health.fixture-bad-config"});
        std::string message = errorOf([&] { host.configure(*_config); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "plugin health.fixture-bad-config refused its configuration"));
        CPPUNIT_ASSERT_MESSAGE(message,
                               contains(message, "plugins.health.fixture-bad-config.level: the fixture never accepts"));
    }

    void testConfigurePocoExceptionKeepsDetail()
    {
        PluginHost host({_dir});
        host.load({"health.fixture-bad-config"});
        _config->setString("plugins.health.fixture-bad-config.mode", "slow");
        std::string message = errorOf([&] { host.configure(*_config); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "health.fixture-bad-config"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "missing.key"));
    }

    void testStartOnlyWhich()
    {
        PluginHost host({_dir});
        host.load({"health.fixture-good", "health.fixture-dep-a"});
        host.configure(*_config);
        host.start(_clock, _events, _tmp + "/data", [](const LoadedPlugin& p) { return p.id == "health.fixture-dep-a"; });
        CPPUNIT_ASSERT(host.registry().find("health.fixture-good") == nullptr);
        CPPUNIT_ASSERT(host.registry().find("health.fixture-dep-a") != nullptr);
        host.stop();
        std::vector<std::string> lines = readLines(_order);
        CPPUNIT_ASSERT_MESSAGE(join(lines), std::find(lines.begin(), lines.end(), "start health.fixture-good") == lines.end());
        CPPUNIT_ASSERT_MESSAGE(join(lines), std::find(lines.begin(), lines.end(), "stop health.fixture-dep-a") != lines.end());
    }

    void testDestructorStops()
    {
        {
            PluginHost host({_dir});
            host.load({"health.fixture-dep-a", "health.fixture-dep-b"});
            host.configure(*_config);
            host.start(_clock, _events, _tmp + "/data");
        }
        std::vector<std::string> lines = readLines(_order);
        CPPUNIT_ASSERT(lines.size() >= 2);
        CPPUNIT_ASSERT_EQUAL(std::string("stop health.fixture-dep-b"), lines[lines.size() - 2]);
        CPPUNIT_ASSERT_EQUAL(std::string("stop health.fixture-dep-a"), lines[lines.size() - 1]);
    }

    void testPluginSectionValidatedWithItsOptions()
    {
        PluginHost host({_dir});
        host.load({"health.fixture-good"});
        ConfigSchema schema;
        schema.addSection("", kernelOptions());
        for (const auto& p : host.plugins()) schema.addSection("plugins." + p.id, p.instance->configOptions());
        Config c = Config::parse("plugins:\n"
                                 "  load: [health.fixture-good]\n"
                                 "  health.fixture-good:\n"
                                 "    level: 11\n"
                                 "    enabled: perhaps\n"
                                 "    mode: medium\n"
                                 "    colour: red\n",
                                 "fixture.yaml");
        auto problems = schema.validate(c);
        std::string text;
        for (const auto& p : problems) text += p.toString() + "\n";
        CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::size_t(4), problems.size());
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "fixture.yaml:4: plugins.health.fixture-good.level: must be between 1 and 10"));
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "fixture.yaml:5: plugins.health.fixture-good.enabled: expected true or false"));
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "fixture.yaml:6: plugins.health.fixture-good.mode: must be one of fast, slow"));
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "fixture.yaml:7: plugins.health.fixture-good.colour: unknown key"));

        // A valid section reaches configure() with the defaults applied.
        Config good = Config::parse("plugins:\n  load: [health.fixture-good]\n  health.fixture-good: {}\n", "fixture.yaml");
        CPPUNIT_ASSERT(schema.validate(good).empty());
        CPPUNIT_ASSERT_EQUAL(5, good.values().getInt("plugins.health.fixture-good.level"));
        host.configure(good.values());
    }

private:
    std::string _dir;
    std::string _tmp;
    std::string _order;
    Poco::AutoPtr<Poco::Util::MapConfiguration> _config;
    OffsetClock _clock;
    EventHub _events{_clock};
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginHostTest);
