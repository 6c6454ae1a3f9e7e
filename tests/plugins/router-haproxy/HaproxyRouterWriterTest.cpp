// router.haproxy, loaded from the built module: what it renders, how it installs the file
// (check first, atomic rename) and how it reloads HAProxy (command, SIGUSR2, master socket).
#include <TestPluginContext.h>
#include <steadyproxy/sdk/RouterWriter.h>
#include <Poco/AutoPtr.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

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

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

std::size_t count(const std::string& text, const std::string& part)
{
    std::size_t n = 0;
    for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
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

/// The lines of one section ("backend proxy1"), each ending in a newline, up to the next blank line.
std::string section(const std::string& text, const std::string& header)
{
    std::size_t at = text.find("\n" + header + "\n");
    if (at == std::string::npos) return "";
    std::size_t end = text.find("\n\n", at + 1);
    return text.substr(at + 1, end == std::string::npos ? std::string::npos : end - at);
}

bool waitFor(const std::function<bool()>& condition, int ms = 5000)
{
    for (int waited = 0; waited < ms; waited += 20)
    {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
}

/// A stand-in for HAProxy's master CLI on a Unix socket: answers `show proc` with a reload
/// counter and counts `reload` commands; `failNext` makes the next reload count as failed.
class FakeMasterSocket
{
public:
    explicit FakeMasterSocket(const std::string& path): _path(path)
    {
        _fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
        if (::bind(_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(_fd, 8) != 0)
            throw std::runtime_error("cannot listen on " + path);
        _thread = std::thread([this] { serve(); });
    }
    ~FakeMasterSocket()
    {
        _stop = true;
        ::shutdown(_fd, SHUT_RDWR);
        _thread.join();
        ::close(_fd);
        ::unlink(_path.c_str());
    }
    std::atomic<int> reloads{0};
    std::atomic<int> reloadCommands{0};
    std::atomic<bool> failNext{false};
    std::atomic<bool> answerReload{false}; ///< answer like HAProxy 2.7+ ("Success=1")

private:
    void serve()
    {
        while (!_stop)
        {
            int c = ::accept4(_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            std::string request;
            char buffer[256];
            ssize_t n;
            while ((n = ::read(c, buffer, sizeof buffer)) > 0) request.append(buffer, n);
            std::string answer;
            if (request == "show proc\n")
                answer = "#<PID>          <type>          <reloads>       <uptime>        <version>\n"
                         "4242            master          " + std::to_string(reloads.load()) + " [failed: " +
                         (_failed ? "1" : "0") + "]   0d00h00m05s     2.6.12\n# workers\n4243 worker 0 0d00h00m05s 2.6.12\n";
            else if (request == "reload\n")
            {
                ++reloadCommands;
                _failed = failNext.exchange(false);
                // The real master answers nothing (2.6) and re-executes a moment later.
                std::thread([this] {
                    std::this_thread::sleep_for(std::chrono::milliseconds(150));
                    ++reloads;
                }).detach();
                if (answerReload) answer = _failed ? "Success=0\n--\n[ALERT] config : parsing error\n" : "Success=1\n--\n";
            }
            else
                answer = "Unknown command\n";
            if (!answer.empty()) (void)!::write(c, answer.data(), answer.size());
            ::close(c);
        }
    }

    std::string _path;
    int _fd;
    std::thread _thread;
    std::atomic<bool> _stop{false};
    std::atomic<bool> _failed{false};
};

/// A child process that records SIGUSR2 in a file, as HAProxy's master would reload.
class SignalWitness
{
public:
    explicit SignalWitness(const std::string& markFile)
    {
        std::string script = "trap 'echo usr2 >> " + markFile + "' USR2; while :; do sleep 0.05; done";
        const char* argv[] = {"sh", "-c", script.c_str(), nullptr};
        if (::posix_spawnp(&pid, "sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
            throw std::runtime_error("cannot start sh");
        std::this_thread::sleep_for(std::chrono::milliseconds(300)); // let the trap be set
    }
    ~SignalWitness()
    {
        ::kill(pid, SIGKILL);
        int status;
        ::waitpid(pid, &status, 0);
    }
    pid_t pid = 0;
};

} // namespace

class HaproxyRouterWriterTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(HaproxyRouterWriterTest);
    CPPUNIT_TEST(testFrontendPicksBackendBySni);
    CPPUNIT_TEST(testBackendsPerEndpoint);
    CPPUNIT_TEST(testAdminBackend);
    CPPUNIT_TEST(testUnspecifiedAdminHostUsesProxyHost);
    CPPUNIT_TEST(testProxyProtocol);
    CPPUNIT_TEST(testOptionsShapeOutput);
    CPPUNIT_TEST(testEmptyRouteList);
    CPPUNIT_TEST(testIpv6AndNames);
    CPPUNIT_TEST(testRejectsUnsafeSnapshots);
    CPPUNIT_TEST(testConfigRejectsBadValues);
    CPPUNIT_TEST(testDeclaredOptionsMatchConfigure);
    CPPUNIT_TEST(testWriteCreatesFileAndLeavesNoTemporary);
    CPPUNIT_TEST(testUnchangedConfigurationIsNotRewritten);
    CPPUNIT_TEST(testCheckSeesTemporaryBeforeInstall);
    CPPUNIT_TEST(testRejectedFileKeepsPrevious);
    CPPUNIT_TEST(testCheckTimeout);
    CPPUNIT_TEST(testMissingCheckProgram);
    CPPUNIT_TEST(testWriteFailureNamesPathAndErrno);
    CPPUNIT_TEST(testReloadCommandAfterInstall);
    CPPUNIT_TEST(testFailedReloadIsRetried);
    CPPUNIT_TEST(testReloadBySignal);
    CPPUNIT_TEST(testReloadBySignalErrors);
    CPPUNIT_TEST(testReloadThroughMasterSocket);
    CPPUNIT_TEST(testMasterSocketReportsFailedReload);
    CPPUNIT_TEST(testMasterSocketNewStyleAnswer);
    CPPUNIT_TEST(testMasterSocketUnreachable);
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
        _plugin.reset();
        try { Poco::File(_dir).remove(true); } catch (...) {}
    }

    std::unique_ptr<Plugin> makeWriter(const std::map<std::string, std::string>& options)
    {
        auto plugin = test::loadPlugin("router.haproxy");
        CPPUNIT_ASSERT(dynamic_cast<RouterWriter*>(plugin.get()));
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("directory", _dir);
        for (const auto& [k, v] : options) config->setString(k, v);
        plugin->configure(*config);
        return plugin;
    }

    static RouterWriter& as(std::unique_ptr<Plugin>& p) { return dynamic_cast<RouterWriter&>(*p); }
    RouterWriter& writer() { return as(_plugin); }
    std::string target() const { return _dir + "/haproxy.cfg"; }
    std::string temporary() const { return _dir + "/.haproxy.cfg.tmp"; }

    void assertThrows(const std::function<void()>& f, const std::vector<std::string>& parts)
    {
        try
        {
            f();
        }
        catch (const Error& e)
        {
            for (const auto& part : parts)
                CPPUNIT_ASSERT_MESSAGE(std::string(e.what()) + "\n  lacks: " + part, contains(e.what(), part));
            return;
        }
        CPPUNIT_FAIL("no Error thrown; expected one with: " + parts.front());
    }

    // --- render -----------------------------------------------------------------------

    void testFrontendPicksBackendBySni()
    {
        std::string text = writer().render(sampleSnapshot(3));
        std::string fe = section(text, "frontend steadyproxy_tls");
        CPPUNIT_ASSERT_MESSAGE(text, !fe.empty());
        CPPUNIT_ASSERT_MESSAGE(fe, contains(fe, "    bind :443 ssl crt '/etc/haproxy/certs/steadyproxy.pem'\n"));
        for (int n = 1; n <= 3; ++n)
        {
            std::string name = "proxy" + std::to_string(n);
            CPPUNIT_ASSERT_MESSAGE(fe, contains(fe, "    use_backend " + name + " if { ssl_fc_sni -i " + name + ".example.com }\n"));
        }
        CPPUNIT_ASSERT(!contains(fe, "default_backend")); // unknown names are closed
        CPPUNIT_ASSERT(!contains(fe, "alpn"));            // HTTP/1.1 to the proxy
        std::string defaults = section(text, "defaults");
        CPPUNIT_ASSERT_MESSAGE(text, contains(defaults, "    mode tcp\n"));
        CPPUNIT_ASSERT(contains(defaults, "    timeout client 1h\n"));
        CPPUNIT_ASSERT(contains(defaults, "    timeout server 1h\n"));
        CPPUNIT_ASSERT(contains(text, "\nglobal\n"));
    }

    void testBackendsPerEndpoint()
    {
        std::string text = writer().render(sampleSnapshot(3));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), count(text, "\nbackend ")); // 3 endpoints + admin
        for (int n = 1; n <= 3; ++n)
        {
            std::string name = "proxy" + std::to_string(n);
            std::string be = section(text, "backend " + name);
            CPPUNIT_ASSERT_EQUAL("backend " + name + "\n    server " + name + " 10.0.0.5:" + std::to_string(9000 + n) + "\n", be);
        }
    }

    void testAdminBackend()
    {
        std::string text = writer().render(sampleSnapshot(1));
        CPPUNIT_ASSERT(contains(section(text, "frontend steadyproxy_tls"),
            "    use_backend steadyproxy_admin if { ssl_fc_sni -i app.example.com }\n"));
        std::string admin = section(text, "backend steadyproxy_admin");
        CPPUNIT_ASSERT_MESSAGE(text, contains(admin, "    mode http\n"));
        CPPUNIT_ASSERT(contains(admin, "    option forwardfor\n"));
        CPPUNIT_ASSERT(contains(admin, "    http-request set-header X-Forwarded-Proto https\n"));
        CPPUNIT_ASSERT(contains(admin, "    server admin 10.0.0.6:8080\n"));

        RouterSnapshot noAdmin = sampleSnapshot(1);
        noAdmin.adminPort = 0;
        text = writer().render(noAdmin);
        CPPUNIT_ASSERT(!contains(text, "steadyproxy_admin"));
        CPPUNIT_ASSERT(!contains(text, "app.example.com"));
    }

    void testUnspecifiedAdminHostUsesProxyHost()
    {
        RouterSnapshot s = sampleSnapshot(1);
        s.adminHost = "0.0.0.0"; // a listen address names no host to connect to
        CPPUNIT_ASSERT(contains(section(writer().render(s), "backend steadyproxy_admin"), "server admin 10.0.0.5:8080"));
        s.adminHost = "";
        s.proxyHost = "";
        s.routes.clear();
        CPPUNIT_ASSERT(contains(section(writer().render(s), "backend steadyproxy_admin"), "server admin 127.0.0.1:8080"));
    }

    void testProxyProtocol()
    {
        CPPUNIT_ASSERT(!contains(writer().render(sampleSnapshot(2)), "send-proxy"));
        auto w = makeWriter({{"proxy_protocol", "true"}});
        std::string text = as(w).render(sampleSnapshot(2));
        CPPUNIT_ASSERT_EQUAL(std::string("backend proxy1\n    server proxy1 10.0.0.5:9001 send-proxy-v2\n"),
            section(text, "backend proxy1"));
        CPPUNIT_ASSERT(contains(section(text, "backend proxy2"), "send-proxy-v2"));
        CPPUNIT_ASSERT(!contains(section(text, "backend steadyproxy_admin"), "send-proxy")); // the admin server reads HTTP
    }

    void testOptionsShapeOutput()
    {
        auto w = makeWriter({{"bind_address", "127.0.0.1:8443,[::1]:8443"},
                             {"certificate", "/srv/certs/"},
                             {"bind_options", "ssl-min-ver TLSv1.3"},
                             {"global_section", "false"},
                             {"idle_timeout", "30m"}});
        std::string text = as(w).render(sampleSnapshot(1));
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "    bind 127.0.0.1:8443,[::1]:8443 ssl crt '/srv/certs/' ssl-min-ver TLSv1.3\n"));
        CPPUNIT_ASSERT(!contains(text, "\nglobal\n"));
        CPPUNIT_ASSERT(!contains(text, "hard-stop-after"));
        CPPUNIT_ASSERT(contains(text, "    timeout client 30m\n"));

        auto g = makeWriter({{"hard_stop_after", "2h"}});
        CPPUNIT_ASSERT(contains(section(as(g).render(sampleSnapshot(1)), "global"), "    hard-stop-after 2h\n"));
    }

    void testEmptyRouteList()
    {
        RouterSnapshot s = sampleSnapshot(0);
        s.proxyHost.clear(); // not needed without routes
        std::string text = writer().render(s);
        CPPUNIT_ASSERT(contains(text, "\nfrontend steadyproxy_tls\n"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), count(text, "\nbackend "));
        s.adminPort = 0;
        text = writer().render(s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), count(text, "\nbackend "));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), count(text, "use_backend"));
    }

    void testIpv6AndNames()
    {
        RouterSnapshot s = sampleSnapshot(1);
        s.proxyHost = "fd00::5";
        s.adminHost = "::1";
        std::string text = writer().render(s);
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "    server proxy1 [fd00::5]:9001"));
        CPPUNIT_ASSERT(contains(text, "    server admin [::1]:8080"));
        s.proxyHost = "[fd00::5]";
        CPPUNIT_ASSERT(contains(writer().render(s), "    server proxy1 [fd00::5]:9001"));
        s.proxyHost = "steadyproxy"; // a compose service name
        CPPUNIT_ASSERT(contains(writer().render(s), "    server proxy1 steadyproxy:9001"));
    }

    void testRejectsUnsafeSnapshots()
    {
        RouterSnapshot s = sampleSnapshot(1);
        s.domain = "";
        assertThrows([&] { writer().render(s); }, {"DOMAIN"});
        s.domain = "example.com }\n    use_backend evil";
        assertThrows([&] { writer().render(s); }, {"not a DNS name"});
        s = sampleSnapshot(1);
        s.routes[0].subdomain = "proxy1.evil";
        assertThrows([&] { writer().render(s); }, {"proxy1.evil", "DNS label"});
        s = sampleSnapshot(1);
        s.routes[0].subdomain = "proxy 1";
        assertThrows([&] { writer().render(s); }, {"key 10"});
        s = sampleSnapshot(1);
        s.proxyHost = "";
        assertThrows([&] { writer().render(s); }, {"proxy host", "endpoints.proxy_host"});
        s.proxyHost = "10.0.0.5\nbackend x";
        assertThrows([&] { writer().render(s); }, {"endpoints.proxy_host"});
        s = sampleSnapshot(1);
        s.adminHost = "a b";
        assertThrows([&] { writer().render(s); }, {"admin.host"});
        s = sampleSnapshot(1);
        s.routes[0].port = 0;
        assertThrows([&] { writer().render(s); }, {"proxy1 has no port"});
    }

    void assertConfigRejected(const std::map<std::string, std::string>& options, const std::string& key)
    {
        try
        {
            makeWriter(options);
        }
        catch (const ConfigError& e)
        {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(e.what(), "plugins.router.haproxy." + key, e.key());
            return;
        }
        CPPUNIT_FAIL("accepted " + options.begin()->first + "=" + options.begin()->second);
    }

    void testConfigRejectsBadValues()
    {
        for (std::string name : {"haproxy.conf", "../haproxy.cfg", ".hidden.cfg", "haproxy", ".cfg"})
            assertConfigRejected({{"file_name", name}}, "file_name");
        for (std::string bind : {"", "443", ":443 ssl crt /x", ":443\nfrontend x", "*:443;"})
            assertConfigRejected({{"bind_address", bind}}, "bind_address");
        for (std::string cert : {"", "certs/wild.pem", "/etc/it's.pem", "/etc/a.pem\nglobal"})
            assertConfigRejected({{"certificate", cert}}, "certificate");
        assertConfigRejected({{"bind_options", "accept-proxy\nfrontend x"}}, "bind_options");
        assertConfigRejected({{"bind_options", "# comment"}}, "bind_options");
        for (std::string t : {"", "soon", "1 h", "0"})
            assertConfigRejected({{"idle_timeout", t}}, "idle_timeout");
        assertConfigRejected({{"hard_stop_after", "1y"}}, "hard_stop_after");
        // A global keyword: without the global section it would be silently lost.
        assertConfigRejected({{"hard_stop_after", "2h"}, {"global_section", "false"}}, "hard_stop_after");
        assertConfigRejected({{"check_command", "haproxy -c -f '{file}"}}, "check_command");
        assertConfigRejected({{"reload_command", "sh -c \"x"}}, "reload_command");
        assertConfigRejected({{"master_socket", "/run/m.sock"}, {"pid_file", "/run/h.pid"}}, "reload_command");
        assertConfigRejected({{"reload_command", "true"}, {"pid_file", "/run/h.pid"}}, "reload_command");
        assertConfigRejected({{"reload_timeout_ms", "5"}}, "reload_timeout_ms");
        makeWriter({{"file_name", "steadyproxy.cfg"}, {"bind_address", "[::]:443"}, {"hard_stop_after", "30m"}});
    }

    void testDeclaredOptionsMatchConfigure()
    {
        std::vector<ConfigOption> options = _plugin->configOptions();
        CPPUNIT_ASSERT_EQUAL(std::size_t(14), options.size());
        std::map<std::string, std::string> defaults;
        for (const ConfigOption& o : options)
        {
            CPPUNIT_ASSERT_MESSAGE(o.key + " has no help", !o.help.empty());
            if (o.key != "directory") defaults[o.key] = o.defaultValue;
        }
        CPPUNIT_ASSERT_EQUAL(std::string(":443"), defaults["bind_address"]);
        CPPUNIT_ASSERT_EQUAL(std::string(""), defaults["reload_command"]);
        // The declared defaults are a valid configuration that renders like no configuration.
        auto w = makeWriter(defaults);
        CPPUNIT_ASSERT_EQUAL(writer().render(sampleSnapshot(2)), as(w).render(sampleSnapshot(2)));
    }

    // --- write --------------------------------------------------------------------------

    void testWriteCreatesFileAndLeavesNoTemporary()
    {
        Poco::File(_dir).remove(true); // write() creates the directory
        writer().write(sampleSnapshot(2));
        CPPUNIT_ASSERT_EQUAL(writer().render(sampleSnapshot(2)), readText(target()));
        writer().write(sampleSnapshot(5));
        CPPUNIT_ASSERT_EQUAL(writer().render(sampleSnapshot(5)), readText(target()));
        std::vector<std::string> names;
        Poco::File(_dir).list(names);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), names.size());
        CPPUNIT_ASSERT_EQUAL(std::string("haproxy.cfg"), names[0]);
    }

    void testUnchangedConfigurationIsNotRewritten()
    {
        auto w = makeWriter({{"reload_command", "sh -c 'echo x >> " + _dir + "/reloads'"}});
        as(w).write(sampleSnapshot(2));
        struct stat before {};
        CPPUNIT_ASSERT_EQUAL(0, ::stat(target().c_str(), &before));
        as(w).write(sampleSnapshot(2));
        struct stat after {};
        CPPUNIT_ASSERT_EQUAL(0, ::stat(target().c_str(), &after));
        CPPUNIT_ASSERT_EQUAL(before.st_ino, after.st_ino); // a rename would give a new inode
        CPPUNIT_ASSERT_EQUAL(std::string("x\n"), readText(_dir + "/reloads")); // and no second reload
        as(w).write(sampleSnapshot(3));
        CPPUNIT_ASSERT_EQUAL(std::string("x\nx\n"), readText(_dir + "/reloads"));
    }

    void testCheckSeesTemporaryBeforeInstall()
    {
        // The check copies what it was given and records its name; the target must not
        // exist yet while it runs.
        const std::string script = "cp \"$1\" " + _dir + "/checked.txt; echo \"$1\" > " + _dir +
            "/checked-name.txt; test ! -e " + target();
        auto w = makeWriter({{"check_command", "sh -c '" + script + "' check {file}"}});
        as(w).write(sampleSnapshot(3));
        CPPUNIT_ASSERT_EQUAL(temporary() + "\n", readText(_dir + "/checked-name.txt"));
        CPPUNIT_ASSERT_EQUAL(writer().render(sampleSnapshot(3)), readText(_dir + "/checked.txt"));
        CPPUNIT_ASSERT_EQUAL(writer().render(sampleSnapshot(3)), readText(target()));
        CPPUNIT_ASSERT(!Poco::File(temporary()).exists());
    }

    void testRejectedFileKeepsPrevious()
    {
        // Accepts a file with at most 2 endpoints, like HAProxy rejecting a broken one.
        auto w = makeWriter({{"check_command",
            "sh -c 'if grep -q proxy3 \"$1\"; then echo \"[ALERT] parsing [$1:42] : unknown keyword\" >&2; exit 1; fi' check {file}"},
            {"reload_command", "sh -c 'echo x >> " + _dir + "/reloads'"}});
        as(w).write(sampleSnapshot(2));
        const std::string previous = readText(target());
        assertThrows([&] { as(w).write(sampleSnapshot(3)); },
            {"HAProxy rejected the new configuration", "exited with status 1", "unknown keyword", "left in place",
             target()});
        CPPUNIT_ASSERT_EQUAL(previous, readText(target()));
        CPPUNIT_ASSERT(!Poco::File(temporary()).exists());
        CPPUNIT_ASSERT_EQUAL(std::string("x\n"), readText(_dir + "/reloads")); // no reload for a refused file
    }

    void testCheckTimeout()
    {
        auto w = makeWriter({{"check_command", "sleep 5"}, {"reload_timeout_ms", "300"}});
        auto started = std::chrono::steady_clock::now();
        assertThrows([&] { as(w).write(sampleSnapshot(1)); }, {"did not finish within 300 ms"});
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
        CPPUNIT_ASSERT(!Poco::File(target()).exists());
    }

    void testMissingCheckProgram()
    {
        auto w = makeWriter({{"check_command", "/nonexistent/haproxy -c -f {file}"}});
        assertThrows([&] { as(w).write(sampleSnapshot(1)); }, {"/nonexistent/haproxy", "No such file", "left in place"});
        CPPUNIT_ASSERT(!Poco::File(target()).exists());
    }

    void testWriteFailureNamesPathAndErrno()
    {
        writer().write(sampleSnapshot(2));
        const std::string previous = readText(target());
        Poco::File(temporary()).createDirectories(); // the temporary name is taken
        assertThrows([&] { writer().write(sampleSnapshot(4)); }, {temporary(), "Is a directory", "errno 21"});
        CPPUNIT_ASSERT_EQUAL(previous, readText(target()));
        Poco::File(temporary()).remove(true);

        writeText(_dir + "/plain-file", "x");
        auto w = makeWriter({{"directory", _dir + "/plain-file/haproxy"}});
        assertThrows([&] { as(w).write(sampleSnapshot(1)); }, {_dir + "/plain-file/haproxy"});
    }

    // --- reload -------------------------------------------------------------------------

    void testReloadCommandAfterInstall()
    {
        // The command sees the installed file under its final name.
        auto w = makeWriter({{"reload_command", "sh -c 'grep -c \"^backend proxy\" \"$1\" >> " + _dir + "/reloads' reload {file}"}});
        as(w).write(sampleSnapshot(2));
        as(w).write(sampleSnapshot(3));
        CPPUNIT_ASSERT_EQUAL(std::string("2\n3\n"), readText(_dir + "/reloads"));
    }

    void testFailedReloadIsRetried()
    {
        const std::string ok = _dir + "/haproxy-is-up";
        auto w = makeWriter({{"reload_command", "sh -c 'test -e " + ok + " && echo x >> " + _dir + "/reloads || { echo not running; exit 3; }'"}});
        assertThrows([&] { as(w).write(sampleSnapshot(2)); },
            {"installed " + target(), "HAProxy was not reloaded", "exited with status 3", "not running"});
        CPPUNIT_ASSERT_EQUAL(writer().render(sampleSnapshot(2)), readText(target())); // installed all the same
        writeText(ok, "");
        as(w).write(sampleSnapshot(2)); // same text, but HAProxy has not read it: reload again
        CPPUNIT_ASSERT_EQUAL(std::string("x\n"), readText(_dir + "/reloads"));
        as(w).write(sampleSnapshot(2)); // now it has
        CPPUNIT_ASSERT_EQUAL(std::string("x\n"), readText(_dir + "/reloads"));
    }

    void testReloadBySignal()
    {
        const std::string mark = _dir + "/usr2";
        SignalWitness master(mark);
        writeText(_dir + "/haproxy.pid", std::to_string(master.pid) + "\n");
        auto w = makeWriter({{"pid_file", _dir + "/haproxy.pid"}});
        as(w).write(sampleSnapshot(1));
        CPPUNIT_ASSERT(waitFor([&] { return Poco::File(mark).exists() && readText(mark) == "usr2\n"; }));
        as(w).write(sampleSnapshot(1)); // unchanged: no signal
        as(w).write(sampleSnapshot(2));
        CPPUNIT_ASSERT(waitFor([&] { return readText(mark) == "usr2\nusr2\n"; }));
    }

    void testReloadBySignalErrors()
    {
        auto w = makeWriter({{"pid_file", _dir + "/missing.pid"}});
        assertThrows([&] { as(w).write(sampleSnapshot(1)); }, {"HAProxy was not reloaded", _dir + "/missing.pid", "-W -p"});
        CPPUNIT_ASSERT(Poco::File(target()).exists());

        writeText(_dir + "/garbage.pid", "haproxy\n");
        auto g = makeWriter({{"pid_file", _dir + "/garbage.pid"}});
        assertThrows([&] { as(g).write(sampleSnapshot(2)); }, {"'haproxy'", "not the pid"});

        // A pid that no longer exists: a child that has been reaped.
        pid_t pid = 0;
        const char* argv[] = {"true", nullptr};
        CPPUNIT_ASSERT_EQUAL(0, ::posix_spawnp(&pid, "true", nullptr, nullptr, const_cast<char**>(argv), environ));
        int status;
        ::waitpid(pid, &status, 0);
        writeText(_dir + "/stale.pid", std::to_string(pid));
        auto s = makeWriter({{"pid_file", _dir + "/stale.pid"}});
        assertThrows([&] { as(s).write(sampleSnapshot(3)); }, {"No such process", "errno 3", "stale"});
    }

    void testReloadThroughMasterSocket()
    {
        FakeMasterSocket master(_dir + "/master.sock");
        master.reloads = 4;
        auto w = makeWriter({{"master_socket", _dir + "/master.sock"}});
        as(w).write(sampleSnapshot(1));
        CPPUNIT_ASSERT_EQUAL(1, master.reloadCommands.load());
        CPPUNIT_ASSERT_EQUAL(5, master.reloads.load()); // it waited for HAProxy to count the reload
        as(w).write(sampleSnapshot(1));
        CPPUNIT_ASSERT_EQUAL(1, master.reloadCommands.load());
        as(w).write(sampleSnapshot(2));
        CPPUNIT_ASSERT_EQUAL(2, master.reloadCommands.load());
    }

    void testMasterSocketReportsFailedReload()
    {
        FakeMasterSocket master(_dir + "/master.sock");
        auto w = makeWriter({{"master_socket", _dir + "/master.sock"}});
        master.failNext = true;
        assertThrows([&] { as(w).write(sampleSnapshot(1)); },
            {"HAProxy was not reloaded", "could not load the new configuration", "keeps the previous one"});
        as(w).write(sampleSnapshot(1)); // retried, and this time HAProxy takes it
        CPPUNIT_ASSERT_EQUAL(2, master.reloadCommands.load());
    }

    void testMasterSocketNewStyleAnswer()
    {
        FakeMasterSocket master(_dir + "/master.sock");
        master.answerReload = true;
        auto w = makeWriter({{"master_socket", _dir + "/master.sock"}});
        as(w).write(sampleSnapshot(1));
        master.failNext = true;
        assertThrows([&] { as(w).write(sampleSnapshot(2)); }, {"refused the new configuration", "parsing error"});
    }

    void testMasterSocketUnreachable()
    {
        auto w = makeWriter({{"master_socket", _dir + "/nobody.sock"}});
        assertThrows([&] { as(w).write(sampleSnapshot(1)); },
            {"HAProxy was not reloaded", _dir + "/nobody.sock", "No such file or directory", "-W -S"});
    }

private:
    std::string _dir;
    std::unique_ptr<Plugin> _plugin;
};

CPPUNIT_TEST_SUITE_REGISTRATION(HaproxyRouterWriterTest);
