// Drives the real proxy.forward module for integration tests: loads the built .so, configures
// it from `--opt key=value` arguments, starts it with a TestPluginContext and takes one
// command per line on stdin, answering one line each:
//   endpoint <keyId> <name> <port> <user|-> <pass|-> <upstream-url|none> [allow=CIDR,CIDR] [inactive]
//   upstream <keyId> <upstream-url|none>
//   remove <keyId> | restart <keyId> | stats | quit
//   drain <ms>                      -> "drained <connections still open at the deadline>"
//   reconfigure [key=value ...]     -> the start options with these changed, through
//                                      Plugin::reconfigure: "OK restart=<keys,...>" or "ERR ..."
//   reopen                          -> Plugin::reopenLogs()
//   errors <keyId>                  -> "ERRORS <kind>=<count> ..." (EndpointStats::errorsByKind)
// Upstream URLs: http://[user:pass@]host:port, socks5://[user:pass@]host:port (user and
// password percent-encoded), or "direct". Answers start with OK, ERR or STATS; published
// events are printed as "EVENT <type> <keyId> <key>=<value>..." lines at any time.
#include "TestPluginContext.h"
#include <steadyproxy/sdk/ForwardProxy.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Logger.h>
#include <Poco/URI.h>
#include <Poco/Util/MapConfiguration.h>
#include <iostream>
#include <mutex>
#include <sstream>

using namespace steadyproxy;

namespace {

std::mutex outMutex;

void say(const std::string& line)
{
    std::lock_guard<std::mutex> l(outMutex);
    std::cout << line << std::endl;
}

std::shared_ptr<const Upstream> parseUpstream(const std::string& text)
{
    if (text == "none") return nullptr;
    auto up = std::make_shared<Upstream>();
    if (text == "direct")
    {
        up->kind = Upstream::Kind::Direct;
        return up;
    }
    std::string rest;
    if (text.rfind("http://", 0) == 0) { up->kind = Upstream::Kind::Http; rest = text.substr(7); }
    else if (text.rfind("socks5://", 0) == 0) { up->kind = Upstream::Kind::Socks5; rest = text.substr(9); }
    else throw std::runtime_error("unknown upstream scheme in " + text);
    std::size_t at = rest.rfind('@');
    if (at != std::string::npos)
    {
        std::string info = rest.substr(0, at);
        rest = rest.substr(at + 1);
        std::size_t colon = info.find(':');
        Poco::URI::decode(info.substr(0, colon), up->username);
        if (colon != std::string::npos) Poco::URI::decode(info.substr(colon + 1), up->password);
    }
    std::size_t colon = rest.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("upstream needs host:port: " + text);
    up->host = rest.substr(0, colon);
    if (up->host.size() > 2 && up->host.front() == '[') up->host = up->host.substr(1, up->host.size() - 2);
    up->port = static_cast<std::uint16_t>(std::stoi(rest.substr(colon + 1)));
    return up;
}

std::string dash(const std::string& s) { return s == "-" ? std::string() : s; }

} // namespace

int main(int argc, char** argv)
{
    Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
    for (int i = 1; i < argc; ++i)
    {
        std::string a = argv[i];
        if (a == "--opt" && i + 1 < argc)
        {
            std::string kv = argv[++i];
            std::size_t eq = kv.find('=');
            config->setString(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
        }
    }
    // The plugin's application log goes to stderr (tests read it to check what was logged).
    Poco::Logger::get("proxy.forward").setChannel(new Poco::ConsoleChannel(std::cerr));
    std::unique_ptr<Plugin> plugin;
    ForwardProxy* proxy = nullptr;
    test::TestPluginContext context("proxy.forward");
    try
    {
        plugin = test::loadPlugin("proxy.forward");
        proxy = dynamic_cast<ForwardProxy*>(plugin.get());
        if (!proxy) throw std::runtime_error("proxy.forward does not implement ForwardProxy");
        plugin->configure(*config);
        context.bus.subscribe([](const Event& e) {
            std::string line = "EVENT " + e.type + " " + std::to_string(e.keyId);
            for (auto& [k, v] : e.data) line += " " + k + "=" + v;
            say(line);
        });
        plugin->start(context);
    }
    catch (const std::exception& e)
    {
        say(std::string("FATAL ") + e.what());
        return 1;
    }
    say("READY");
    std::string line;
    while (std::getline(std::cin, line))
    {
        std::istringstream in(line);
        std::string cmd;
        in >> cmd;
        if (cmd.empty()) continue;
        try
        {
            if (cmd == "quit") break;
            if (cmd == "endpoint")
            {
                EndpointSpec spec;
                std::string user, pass, url, extra;
                int port = 0;
                in >> spec.keyId >> spec.name >> port >> user >> pass >> url;
                spec.port = static_cast<std::uint16_t>(port);
                spec.username = dash(user);
                spec.password = dash(pass);
                while (in >> extra)
                {
                    if (extra == "inactive") spec.active = false;
                    else if (extra.rfind("allow=", 0) == 0)
                    {
                        std::istringstream list(extra.substr(6));
                        std::string c;
                        while (std::getline(list, c, ',')) spec.allowCidrs.push_back(c);
                    }
                }
                proxy->upsertEndpoint(spec, parseUpstream(url));
                say("OK");
            }
            else if (cmd == "upstream")
            {
                std::int64_t id;
                std::string url;
                in >> id >> url;
                proxy->setUpstream(id, parseUpstream(url));
                say("OK");
            }
            else if (cmd == "remove")
            {
                std::int64_t id;
                in >> id;
                proxy->removeEndpoint(id);
                say("OK");
            }
            else if (cmd == "restart")
            {
                std::int64_t id;
                in >> id;
                proxy->restartEndpoint(id);
                say("OK");
            }
            else if (cmd == "drain")
            {
                long ms = 0;
                in >> ms;
                say("drained " + std::to_string(proxy->drain(ms)));
            }
            else if (cmd == "reconfigure")
            {
                Poco::AutoPtr<Poco::Util::MapConfiguration> fresh(new Poco::Util::MapConfiguration);
                Poco::Util::AbstractConfiguration::Keys keys;
                config->keys(keys);
                for (const auto& k : keys) fresh->setString(k, config->getString(k));
                std::string kv;
                while (in >> kv)
                {
                    std::size_t eq = kv.find('=');
                    fresh->setString(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
                }
                std::string out;
                for (const auto& k : plugin->reconfigure(*fresh)) out += (out.empty() ? "" : ",") + k;
                config = fresh; // accepted: the next reload starts from it
                say("OK restart=" + out);
            }
            else if (cmd == "reopen")
            {
                plugin->reopenLogs();
                say("OK");
            }
            else if (cmd == "errors")
            {
                std::int64_t id = 0;
                in >> id;
                std::string out = "ERRORS";
                for (const auto& s : proxy->stats())
                    if (s.keyId == id)
                        for (const auto& [kind, n] : s.errorsByKind) out += " " + kind + "=" + std::to_string(n);
                say(out);
            }
            else if (cmd == "stats")
            {
                std::string out = "STATS";
                for (const auto& s : proxy->stats())
                    out += " " + std::to_string(s.keyId) + ":" + std::to_string(s.activeConnections) + ":" + std::to_string(s.totalConnections)
                        + ":" + std::to_string(s.bytesIn) + ":" + std::to_string(s.bytesOut) + ":" + std::to_string(s.errors) + ":"
                        + (s.listening ? "1" : "0");
                say(out);
            }
            else say("ERR unknown command " + cmd);
        }
        catch (const std::exception& e)
        {
            say(std::string("ERR ") + e.what());
        }
    }
    plugin->stop();
    plugin.reset();
    return 0;
}
