// Config: YAML flattening, environment expansion, the schema validator and KernelOptions.
#include <steadyproxy/kernel/Config.h>
#include <steadyproxy/kernel/KernelOptions.h>
#include <Poco/File.h>
#include <Poco/TemporaryFile.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>

using namespace steadyproxy;
using namespace steadyproxy::kernel;

namespace {

/// Sets (or unsets) an environment variable for the life of the object, then restores it.
class EnvVar
{
public:
    EnvVar(std::string name, const char* value): _name(std::move(name))
    {
        if (const char* old = std::getenv(_name.c_str())) _old = old;
        if (value) ::setenv(_name.c_str(), value, 1);
        else ::unsetenv(_name.c_str());
    }
    ~EnvVar()
    {
        if (_old) ::setenv(_name.c_str(), _old->c_str(), 1);
        else ::unsetenv(_name.c_str());
    }
private:
    std::string _name;
    std::optional<std::string> _old;
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The message of the ConfigError `f` throws ("" and a failed assertion if it throws none).
template <class F> std::string configErrorOf(F f)
{
    try
    {
        f();
    }
    catch (const ConfigError& e)
    {
        return e.what();
    }
    CPPUNIT_FAIL("expected a ConfigError");
    return "";
}

/// The problem reported for `key`, if any.
std::optional<ConfigProblem> problemFor(const std::vector<ConfigProblem>& problems, const std::string& key)
{
    for (const auto& p : problems)
        if (p.key == key) return p;
    return std::nullopt;
}

std::string describe(const std::vector<ConfigProblem>& problems)
{
    std::string text;
    for (const auto& p : problems) text += p.toString() + "\n";
    return text;
}

const char* kMinimal = "plugins:\n  load:\n    - storage.sqlite\n";

ConfigSchema kernelSchema()
{
    ConfigSchema schema;
    schema.addSection("", kernelOptions());
    return schema;
}

ConfigOption option(const std::string& key, ConfigOption::Type type, const std::string& defaultValue = "",
                    long long min = 0, long long max = 0, std::vector<std::string> choices = {},
                    const std::string& env = "", bool required = false)
{
    ConfigOption o;
    o.key = key;
    o.type = type;
    o.defaultValue = defaultValue;
    o.help = "the " + key;
    o.min = min;
    o.max = max;
    o.choices = std::move(choices);
    o.env = env;
    o.required = required;
    return o;
}

} // namespace

class ConfigTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ConfigTest);
    CPPUNIT_TEST(testFlattensMappings);
    CPPUNIT_TEST(testFlattensLists);
    CPPUNIT_TEST(testEmptyValues);
    CPPUNIT_TEST(testExpandsEnvironment);
    CPPUNIT_TEST(testExpandEnvironmentFunction);
    CPPUNIT_TEST(testUnterminatedExpansionNamesLine);
    CPPUNIT_TEST(testBadYamlNamesFileAndLine);
    CPPUNIT_TEST(testDuplicateKeyNamesBothLines);
    CPPUNIT_TEST(testTopLevelMustBeMapping);
    CPPUNIT_TEST(testNestedListRefused);
    CPPUNIT_TEST(testLoadMissingFileNamesIt);
    CPPUNIT_TEST(testLoadNamesFileInLines);
    CPPUNIT_TEST(testUnknownKey);
    CPPUNIT_TEST(testWrongTypeInteger);
    CPPUNIT_TEST(testWrongTypeBoolean);
    CPPUNIT_TEST(testOutOfRange);
    CPPUNIT_TEST(testChoices);
    CPPUNIT_TEST(testListWhereSingleValueExpected);
    CPPUNIT_TEST(testRequired);
    CPPUNIT_TEST(testEnvironmentOverridesFile);
    CPPUNIT_TEST(testEnvironmentOverridesList);
    CPPUNIT_TEST(testBadEnvironmentValueNamesVariable);
    CPPUNIT_TEST(testDefaultsApplied);
    CPPUNIT_TEST(testGetListBothForms);
    CPPUNIT_TEST(testPluginSectionWithHandMadeOptions);
    CPPUNIT_TEST(testShippedConfigIsValid);
    CPPUNIT_TEST(testKernelOptionsCrossFieldChecks);
    CPPUNIT_TEST(testCheckValueAndParseBool);
    CPPUNIT_TEST_SUITE_END();

public:
    void testFlattensMappings()
    {
        Config c = Config::parse("a:\n  b:\n    c: 1\n  d: x\ntop: y\n", "t.yaml");
        CPPUNIT_ASSERT_EQUAL(std::string("1"), c.values().getString("a.b.c"));
        CPPUNIT_ASSERT_EQUAL(std::string("x"), c.values().getString("a.d"));
        CPPUNIT_ASSERT_EQUAL(std::string("y"), c.values().getString("top"));
        std::vector<std::string> expected{"a.b.c", "a.d", "top"};
        CPPUNIT_ASSERT(expected == c.keys());
        CPPUNIT_ASSERT_EQUAL(std::string("t.yaml:3"), c.where("a.b.c"));
        CPPUNIT_ASSERT_EQUAL(std::string("t.yaml:4"), c.where("a.d"));
        CPPUNIT_ASSERT_EQUAL(std::string("t.yaml:5"), c.where("top"));
        CPPUNIT_ASSERT_EQUAL(std::string("t.yaml"), c.where("not.there"));
        CPPUNIT_ASSERT(c.has("a.d"));
        CPPUNIT_ASSERT(!c.has("a"));
        // Keys with dots (plugin ids) stay whole inside the flattened path.
        Config p = Config::parse("plugins:\n  storage.sqlite:\n    path: /x.db\n", "p.yaml");
        CPPUNIT_ASSERT_EQUAL(std::string("/x.db"), p.values().getString("plugins.storage.sqlite.path"));
    }

    void testFlattensLists()
    {
        Config c = Config::parse("l:\n  - x\n  - y\ninline: [1, 2, 3]\n", "l.yaml");
        CPPUNIT_ASSERT_EQUAL(std::string("x"), c.values().getString("l[0]"));
        CPPUNIT_ASSERT_EQUAL(std::string("y"), c.values().getString("l[1]"));
        CPPUNIT_ASSERT(!c.has("l[2]"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), c.values().getString("inline[2]"));
        CPPUNIT_ASSERT_EQUAL(std::string("l.yaml:3"), c.where("l[1]"));
        CPPUNIT_ASSERT_EQUAL(std::string("l.yaml:4"), c.where("inline[0]"));
    }

    void testEmptyValues()
    {
        Config c = Config::parse("a:\nb: {}\nc: []\nd: ''\ne: ~\n", "e.yaml");
        for (const char* key : {"a", "b", "c", "d", "e"})
        {
            CPPUNIT_ASSERT_MESSAGE(key, c.has(key));
            CPPUNIT_ASSERT_EQUAL(std::string(""), c.values().getString(key));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("e.yaml:1"), c.where("a"));
        CPPUNIT_ASSERT_EQUAL(std::string("e.yaml:2"), c.where("b"));
        CPPUNIT_ASSERT_EQUAL(std::string("e.yaml:5"), c.where("e"));
        CPPUNIT_ASSERT(Config::parse("", "empty.yaml").keys().empty());
        CPPUNIT_ASSERT(Config::parse("# only a comment\n", "empty.yaml").keys().empty());
    }

    void testExpandsEnvironment()
    {
        EnvVar host("SP_TEST_HOST", "example.org");
        EnvVar unset("SP_TEST_UNSET", nullptr);
        Config c = Config::parse("host: ${SP_TEST_HOST}\n"
                                 "port: ${SP_TEST_UNSET:-8080}\n"
                                 "price: $$5\n"
                                 "missing: ${SP_TEST_UNSET}\n"
                                 "url: http://${SP_TEST_HOST}:${SP_TEST_UNSET:-80}/x\n"
                                 "list:\n  - ${SP_TEST_HOST}\n  - ${SP_TEST_UNSET:-b}\n"
                                 "plain: a$b\n",
                                 "x.yaml");
        CPPUNIT_ASSERT_EQUAL(std::string("example.org"), c.values().getString("host"));
        CPPUNIT_ASSERT_EQUAL(std::string("8080"), c.values().getString("port"));
        CPPUNIT_ASSERT_EQUAL(std::string("$5"), c.values().getString("price"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), c.values().getString("missing"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://example.org:80/x"), c.values().getString("url"));
        CPPUNIT_ASSERT_EQUAL(std::string("example.org"), c.values().getString("list[0]"));
        CPPUNIT_ASSERT_EQUAL(std::string("b"), c.values().getString("list[1]"));
        CPPUNIT_ASSERT_EQUAL(std::string("a$b"), c.values().getString("plain"));
    }

    void testExpandEnvironmentFunction()
    {
        EnvVar set("SP_TEST_SET", "value");
        EnvVar empty("SP_TEST_EMPTY", "");
        EnvVar unset("SP_TEST_UNSET", nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("value"), expandEnvironment("${SP_TEST_SET:-other}"));
        // As in the shell, ":-" also replaces a variable that is set but empty.
        CPPUNIT_ASSERT_EQUAL(std::string("d"), expandEnvironment("${SP_TEST_EMPTY:-d}"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), expandEnvironment("${SP_TEST_EMPTY}"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), expandEnvironment("${SP_TEST_UNSET:-}"));
        CPPUNIT_ASSERT_EQUAL(std::string("$${SP_TEST_SET}"), expandEnvironment("$$$${SP_TEST_SET}"));
        CPPUNIT_ASSERT_EQUAL(std::string("${SP_TEST_SET}"), expandEnvironment("$${SP_TEST_SET}"));
        CPPUNIT_ASSERT_EQUAL(std::string("cost $"), expandEnvironment("cost $"));
        CPPUNIT_ASSERT_EQUAL(std::string("a-value-b"), expandEnvironment("a-${SP_TEST_SET}-b"));
        std::string message = configErrorOf([] { expandEnvironment("x ${SP_TEST_SET"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "unterminated"));
    }

    void testUnterminatedExpansionNamesLine()
    {
        std::string message = configErrorOf([] { Config::parse("a: 1\nb: ${OOPS\n", "u.yaml"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "u.yaml:2: b: unterminated"));
    }

    void testBadYamlNamesFileAndLine()
    {
        std::string message = configErrorOf([] { Config::parse("a: 1\nb: 2\nc: [1, 2\nd: 4\n", "bad.yaml"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "bad.yaml:4:"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "not valid YAML"));
        message = configErrorOf([] { Config::parse("a: 1\nb: 2\n  c: 3\n", "indent.yaml"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "indent.yaml:3:"));
        message = configErrorOf([] { Config::parse("a: 1\n\tb: 2\n", "tab.yaml"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "tab.yaml:2:"));
    }

    void testDuplicateKeyNamesBothLines()
    {
        std::string message = configErrorOf([] { Config::parse("admin:\n  port: 1\n  port: 2\n", "dup.yaml"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "dup.yaml:3: admin.port: "));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "dup.yaml:2"));
        message = configErrorOf([] { Config::parse("a.b: 1\na:\n  b: 2\n", "dot.yaml"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "dot.yaml:3: a.b: "));
    }

    void testTopLevelMustBeMapping()
    {
        std::string message = configErrorOf([] { Config::parse("- a\n- b\n", "list.yaml"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "list.yaml:1"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "mapping"));
        message = configErrorOf([] { Config::parse("just a sentence\n", "scalar.yaml"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "scalar.yaml:1"));
    }

    void testNestedListRefused()
    {
        std::string message = configErrorOf([] { Config::parse("a: 1\nl:\n  - x\n  - {k: v}\n", "n.yaml"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "n.yaml:4: l: "));
    }

    void testLoadMissingFileNamesIt()
    {
        std::string message = configErrorOf([] { Config::load("/nonexistent/steadyproxy-test.yaml"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "/nonexistent/steadyproxy-test.yaml"));
    }

    void testLoadNamesFileInLines()
    {
        Poco::TemporaryFile file;
        {
            std::ofstream out(file.path());
            out << "# comment\nadmin:\n  port: 8001\n";
        }
        Config c = Config::load(file.path());
        CPPUNIT_ASSERT_EQUAL(file.path(), c.source());
        CPPUNIT_ASSERT_EQUAL(file.path() + ":3", c.where("admin.port"));
        CPPUNIT_ASSERT_EQUAL(8001, c.values().getInt("admin.port"));
    }

    void testUnknownKey()
    {
        Config c = Config::parse(std::string(kMinimal) + "admin:\n  prot: 8000\nbogus: 1\n", "k.yaml");
        auto problems = kernelSchema().validate(c);
        auto p = problemFor(problems, "admin.prot");
        CPPUNIT_ASSERT_MESSAGE(describe(problems), p.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("k.yaml:5"), p->where);
        CPPUNIT_ASSERT_MESSAGE(p->message, contains(p->message, "unknown key"));
        CPPUNIT_ASSERT_EQUAL(std::string("k.yaml:5: admin.prot: ") + p->message, p->toString());
        auto b = problemFor(problems, "bogus");
        CPPUNIT_ASSERT_MESSAGE(describe(problems), b.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("k.yaml:6"), b->where);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), problems.size());
    }

    void testWrongTypeInteger()
    {
        Config c = Config::parse(std::string(kMinimal) + "admin:\n  port: eighty\n", "i.yaml");
        auto problems = kernelSchema().validate(c);
        auto p = problemFor(problems, "admin.port");
        CPPUNIT_ASSERT_MESSAGE(describe(problems), p.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("i.yaml:5"), p->where);
        CPPUNIT_ASSERT_MESSAGE(p->message, contains(p->message, "whole number"));
        CPPUNIT_ASSERT_MESSAGE(p->message, contains(p->message, "eighty"));
        // An empty value is reported on its own line (yaml-cpp places it on the next one).
        Config e = Config::parse(std::string(kMinimal) + "admin:\n  port:\nlog:\n  level: debug\n", "e.yaml");
        auto empty = problemFor(kernelSchema().validate(e), "admin.port");
        CPPUNIT_ASSERT(empty.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("e.yaml:5"), empty->where);
        Config f = Config::parse(std::string(kMinimal) + "admin:\n  port: 80.5\n", "f.yaml");
        CPPUNIT_ASSERT(problemFor(kernelSchema().validate(f), "admin.port").has_value());
    }

    void testWrongTypeBoolean()
    {
        ConfigSchema schema;
        schema.addSection("", {option("verbose", ConfigOption::Type::Boolean, "false")});
        Config bad = Config::parse("verbose: maybe\n", "b.yaml");
        auto problems = schema.validate(bad);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(problems), std::size_t(1), problems.size());
        CPPUNIT_ASSERT_EQUAL(std::string("verbose"), problems[0].key);
        CPPUNIT_ASSERT_EQUAL(std::string("b.yaml:1"), problems[0].where);
        CPPUNIT_ASSERT_MESSAGE(problems[0].message, contains(problems[0].message, "true or false"));
        for (const char* ok : {"true", "False", "yes", "no", "on", "OFF", "1", "0"})
        {
            Config good = Config::parse(std::string("verbose: ") + ok + "\n", "b.yaml");
            CPPUNIT_ASSERT_MESSAGE(ok, schema.validate(good).empty());
        }
    }

    void testOutOfRange()
    {
        Config c = Config::parse(std::string(kMinimal) + "admin:\n  port: 70000\nhealth:\n  interval_seconds: 1\n", "r.yaml");
        auto problems = kernelSchema().validate(c);
        auto p = problemFor(problems, "admin.port");
        CPPUNIT_ASSERT_MESSAGE(describe(problems), p.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("r.yaml:5"), p->where);
        CPPUNIT_ASSERT_MESSAGE(p->message, contains(p->message, "between 1 and 65535"));
        CPPUNIT_ASSERT_MESSAGE(p->message, contains(p->message, "70000"));
        auto h = problemFor(problems, "health.interval_seconds");
        CPPUNIT_ASSERT_MESSAGE(describe(problems), h.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("r.yaml:7"), h->where);
        // The edges of the range are allowed.
        Config edge = Config::parse(std::string(kMinimal) + "admin:\n  port: 65535\n", "r.yaml");
        CPPUNIT_ASSERT(!problemFor(kernelSchema().validate(edge), "admin.port").has_value());
    }

    void testChoices()
    {
        Config c = Config::parse(std::string(kMinimal) + "log:\n  level: loud\n  format: json\n", "c.yaml");
        auto problems = kernelSchema().validate(c);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(problems), std::size_t(1), problems.size());
        CPPUNIT_ASSERT_EQUAL(std::string("log.level"), problems[0].key);
        CPPUNIT_ASSERT_EQUAL(std::string("c.yaml:5"), problems[0].where);
        CPPUNIT_ASSERT_MESSAGE(problems[0].message, contains(problems[0].message, "one of"));
        CPPUNIT_ASSERT_MESSAGE(problems[0].message, contains(problems[0].message, "debug"));
        CPPUNIT_ASSERT_MESSAGE(problems[0].message, contains(problems[0].message, "loud"));
    }

    void testListWhereSingleValueExpected()
    {
        Config c = Config::parse(std::string(kMinimal) + "admin:\n  port:\n    - 1\n", "s.yaml");
        auto problems = kernelSchema().validate(c);
        auto p = problemFor(problems, "admin.port[0]");
        CPPUNIT_ASSERT_MESSAGE(describe(problems), p.has_value());
        CPPUNIT_ASSERT_MESSAGE(p->message, contains(p->message, "single value"));
    }

    void testRequired()
    {
        Config c = Config::parse("admin:\n  port: 8001\n", "q.yaml");
        auto problems = kernelSchema().validate(c);
        auto p = problemFor(problems, "plugins.load");
        CPPUNIT_ASSERT_MESSAGE(describe(problems), p.has_value());
        CPPUNIT_ASSERT_MESSAGE(p->message, contains(p->message, "required"));
        CPPUNIT_ASSERT_EQUAL(std::string("q.yaml"), p->where);

        ConfigSchema schema;
        schema.addSection("", {option("name", ConfigOption::Type::String, "", 0, 0, {}, "", true)});
        Config empty = Config::parse("", "e.yaml");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), schema.validate(empty).size());
        Config given = Config::parse("name: x\n", "e.yaml");
        CPPUNIT_ASSERT(schema.validate(given).empty());
    }

    void testEnvironmentOverridesFile()
    {
        EnvVar port("PROXY_PORT_START", "9500");
        EnvVar domain("DOMAIN", "proxies.example.com");
        Config c = Config::parse(std::string(kMinimal) + "endpoints:\n  port_start: 9001\n  port_end: 9600\n", "o.yaml");
        auto problems = kernelSchema().validate(c);
        CPPUNIT_ASSERT_MESSAGE(describe(problems), problems.empty());
        CPPUNIT_ASSERT_EQUAL(9500, c.values().getInt("endpoints.port_start"));
        CPPUNIT_ASSERT_EQUAL(std::string("environment variable PROXY_PORT_START"), c.where("endpoints.port_start"));
        CPPUNIT_ASSERT_EQUAL(9600, c.values().getInt("endpoints.port_end"));
        CPPUNIT_ASSERT_EQUAL(std::string("proxies.example.com"), c.values().getString("endpoints.domain"));
        KernelOptions o = KernelOptions::from(c.values());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(9500), o.portStart);
        CPPUNIT_ASSERT_EQUAL(std::string("proxies.example.com"), o.domain);
    }

    void testEnvironmentOverridesList()
    {
        EnvVar dirs("STEADYPROXY_PLUGIN_DIRS", "/opt/a, /opt/b");
        Config c = Config::parse(std::string(kMinimal) + "  directories:\n    - /from/file\n    - /from/file2\n", "d.yaml");
        auto problems = kernelSchema().validate(c);
        CPPUNIT_ASSERT_MESSAGE(describe(problems), problems.empty());
        std::vector<std::string> expected{"/opt/a", "/opt/b"};
        CPPUNIT_ASSERT(expected == readList(c.values(), "plugins.directories"));
        CPPUNIT_ASSERT(!c.has("plugins.directories[0]"));
        CPPUNIT_ASSERT(!c.has("plugins.directories[1]"));
    }

    void testBadEnvironmentValueNamesVariable()
    {
        EnvVar port("PROXY_PORT_START", "ninety");
        Config c = Config::parse(std::string(kMinimal) + "endpoints:\n  port_start: 9001\n", "v.yaml");
        auto problems = kernelSchema().validate(c);
        auto p = problemFor(problems, "endpoints.port_start");
        CPPUNIT_ASSERT_MESSAGE(describe(problems), p.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("environment variable PROXY_PORT_START"), p->where);
        CPPUNIT_ASSERT_MESSAGE(p->message, contains(p->message, "ninety"));
        CPPUNIT_ASSERT_MESSAGE(p->toString(), contains(p->toString(), "PROXY_PORT_START"));

        EnvVar port2("PROXY_PORT_START", "70000");
        Config c2 = Config::parse(kMinimal, "v.yaml");
        auto p2 = problemFor(kernelSchema().validate(c2), "endpoints.port_start");
        CPPUNIT_ASSERT(p2.has_value());
        CPPUNIT_ASSERT_MESSAGE(p2->message, contains(p2->message, "between 1 and 65535"));
    }

    void testDefaultsApplied()
    {
        EnvVar a("STEADYPROXY_ADMIN_PORT", nullptr);
        EnvVar b("PROXY_PORT_START", nullptr);
        EnvVar d("STEADYPROXY_DATA_DIR", nullptr);
        EnvVar l("STEADYPROXY_LOG_LEVEL", nullptr);
        Config c = Config::parse(kMinimal, "m.yaml");
        auto problems = kernelSchema().validate(c);
        CPPUNIT_ASSERT_MESSAGE(describe(problems), problems.empty());
        CPPUNIT_ASSERT_EQUAL(8000, c.values().getInt("admin.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("default"), c.where("admin.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("information"), c.values().getString("log.level"));
        KernelOptions o = KernelOptions::from(c.values());
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(8000), o.adminPort);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(9001), o.portStart);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(9100), o.portEnd);
        CPPUNIT_ASSERT_EQUAL(30, o.healthIntervalSeconds);
        CPPUNIT_ASSERT_EQUAL(std::string("http"), o.upstreamProtocol);
        CPPUNIT_ASSERT(o.dataDir.size() > 1 && o.dataDir[0] == '/' && o.dataDir.back() != '/');
        CPPUNIT_ASSERT_EQUAL(o.dataDir + "/master.key", o.masterKeyFile);
        CPPUNIT_ASSERT(std::vector<std::string>{"storage.sqlite"} == o.plugins);

        // A value in the file is kept, not replaced by the default.
        Config given = Config::parse(std::string(kMinimal) + "admin:\n  port: 8123\n", "m.yaml");
        kernelSchema().validate(given);
        CPPUNIT_ASSERT_EQUAL(8123, given.values().getInt("admin.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("m.yaml:5"), given.where("admin.port"));
    }

    void testGetListBothForms()
    {
        Config c = Config::parse("a: x, y ,z\nb:\n  - p\n  - q\nc: ''\nd: single\n", "g.yaml");
        CPPUNIT_ASSERT((std::vector<std::string>{"x", "y", "z"}) == readList(c.values(), "a"));
        CPPUNIT_ASSERT((std::vector<std::string>{"p", "q"}) == readList(c.values(), "b"));
        CPPUNIT_ASSERT(readList(c.values(), "c").empty());
        CPPUNIT_ASSERT((std::vector<std::string>{"single"}) == readList(c.values(), "d"));
        CPPUNIT_ASSERT(readList(c.values(), "missing").empty());
    }

    void testPluginSectionWithHandMadeOptions()
    {
        using T = ConfigOption::Type;
        ConfigSchema schema;
        schema.addSection("", kernelOptions());
        schema.addSection("plugins.health.example", {
            option("level", T::Integer, "5", 1, 10),
            option("mode", T::String, "fast", 0, 0, {"fast", "slow"}),
            option("probe.url", T::String, "", 0, 0, {}, "SP_TEST_PROBE_URL"),
            option("targets", T::StringList),
        });
        EnvVar url("SP_TEST_PROBE_URL", "http://probe.test/");
        Config c = Config::parse("plugins:\n"
                                 "  load: [health.example]\n"
                                 "  health.example:\n"
                                 "    level: 11\n"
                                 "    colour: red\n"
                                 "    mode: slow\n"
                                 "    targets: [a, b]\n",
                                 "h.yaml");
        auto problems = schema.validate(c);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(problems), std::size_t(2), problems.size());
        auto level = problemFor(problems, "plugins.health.example.level");
        CPPUNIT_ASSERT_MESSAGE(describe(problems), level.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("h.yaml:4"), level->where);
        auto colour = problemFor(problems, "plugins.health.example.colour");
        CPPUNIT_ASSERT_MESSAGE(describe(problems), colour.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("h.yaml:5"), colour->where);
        CPPUNIT_ASSERT_EQUAL(std::string("http://probe.test/"), c.values().getString("plugins.health.example.probe.url"));
        CPPUNIT_ASSERT((std::vector<std::string>{"a", "b"}) == readList(c.values(), "plugins.health.example.targets"));

        // An empty section (`health.example: {}`) is fine and gets the defaults.
        Config empty = Config::parse("plugins:\n  load: [health.example]\n  health.example: {}\n", "h.yaml");
        problems = schema.validate(empty);
        CPPUNIT_ASSERT_MESSAGE(describe(problems), problems.empty());
        CPPUNIT_ASSERT_EQUAL(5, empty.values().getInt("plugins.health.example.level"));
        CPPUNIT_ASSERT_EQUAL(std::string("fast"), empty.values().getString("plugins.health.example.mode"));

        auto all = schema.options();
        CPPUNIT_ASSERT_EQUAL(kernelOptions().size() + 4, all.size());
        CPPUNIT_ASSERT_EQUAL(std::string("plugins.health.example.probe.url"), all[kernelOptions().size() + 2].first);
    }

    void testShippedConfigIsValid()
    {
        const char* root = std::getenv("STEADYPROXY_SOURCE_DIR");
        CPPUNIT_ASSERT_MESSAGE("STEADYPROXY_SOURCE_DIR is not set (run the test through ctest)", root);
        std::string source = std::string(root) + "/conf/steadyproxy.yaml";
        Config c = Config::load(source);
        auto problems = kernelSchema().validate(c);
        // Plugin sections are checked once plugins are loaded; the rest must be clean.
        for (const auto& p : problems)
            CPPUNIT_ASSERT_MESSAGE(p.toString(), p.key.rfind("plugins.", 0) == 0 && p.key.rfind("plugins.load", 0) != 0);
        KernelOptions o = KernelOptions::from(c.values());
        CPPUNIT_ASSERT(!o.plugins.empty());
    }

    void testKernelOptionsCrossFieldChecks()
    {
        Config c = Config::parse(std::string(kMinimal) + "endpoints:\n  port_start: 9200\n  port_end: 9100\n", "x.yaml");
        kernelSchema().validate(c);
        try
        {
            KernelOptions::from(c.values());
            CPPUNIT_FAIL("a reversed port range must be refused");
        }
        catch (const ConfigError& e)
        {
            CPPUNIT_ASSERT_EQUAL(std::string("endpoints.port_start"), e.key());
        }
        Config inside = Config::parse(std::string(kMinimal) + "admin:\n  port: 9050\n", "x.yaml");
        kernelSchema().validate(inside);
        try
        {
            KernelOptions::from(inside.values());
            CPPUNIT_FAIL("an admin port inside the endpoint range must be refused");
        }
        catch (const ConfigError& e)
        {
            CPPUNIT_ASSERT_EQUAL(std::string("admin.port"), e.key());
        }
    }

    void testCheckValueAndParseBool()
    {
        using T = ConfigOption::Type;
        CPPUNIT_ASSERT_EQUAL(std::string(""), checkValue(option("n", T::Integer, "", 1, 3), " 2 "));
        CPPUNIT_ASSERT(!checkValue(option("n", T::Integer, "", 1, 3), "4").empty());
        CPPUNIT_ASSERT_EQUAL(std::string(""), checkValue(option("n", T::Integer), "-40"));
        CPPUNIT_ASSERT(!checkValue(option("n", T::Integer), "").empty());
        CPPUNIT_ASSERT_EQUAL(std::string(""), checkValue(option("s", T::String), "anything"));
        CPPUNIT_ASSERT(parseBool("Yes"));
        CPPUNIT_ASSERT(parseBool(" on "));
        CPPUNIT_ASSERT(!parseBool("off"));
        CPPUNIT_ASSERT(!parseBool("0"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigTest);
