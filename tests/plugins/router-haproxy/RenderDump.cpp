// router_haproxy_dump [--routes N] [--no-admin] [--proxy-host H] [--admin-host H] [--admin-port P]
//                     [--set key=value]...
// Loads router.haproxy from STEADYPROXY_PLUGIN_DIR, configures it with the given options and
// prints render() of a sample snapshot (domain example.com, proxy host 127.0.0.1, routes
// proxy1..proxyN on ports 9001..). Exit status 1 with a message when configuring or
// rendering throws.
#include <TestPluginContext.h>
#include <steadyproxy/sdk/RouterWriter.h>
#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <iostream>

int main(int argc, char** argv)
{
    using namespace steadyproxy;
    try
    {
        int routes = 3;
        bool admin = true;
        int adminPort = 8080;
        std::string proxyHost = "127.0.0.1", adminHost = "127.0.0.1";
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        for (int i = 1; i < argc; ++i)
        {
            std::string arg = argv[i];
            if (arg == "--routes" && i + 1 < argc) routes = std::stoi(argv[++i]);
            else if (arg == "--no-admin") admin = false;
            else if (arg == "--proxy-host" && i + 1 < argc) proxyHost = argv[++i];
            else if (arg == "--admin-host" && i + 1 < argc) adminHost = argv[++i];
            else if (arg == "--admin-port" && i + 1 < argc) adminPort = std::stoi(argv[++i]);
            else if (arg == "--set" && i + 1 < argc)
            {
                std::string kv = argv[++i];
                auto eq = kv.find('=');
                config->setString(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
            }
            else
            {
                std::cerr << "unknown argument " << arg << "\n";
                return 2;
            }
        }
        auto plugin = test::loadPlugin("router.haproxy");
        plugin->configure(*config);
        RouterSnapshot snapshot;
        snapshot.domain = "example.com";
        snapshot.proxyHost = proxyHost;
        snapshot.adminHost = adminHost;
        snapshot.adminPort = admin ? static_cast<std::uint16_t>(adminPort) : 0;
        for (int n = 1; n <= routes; ++n)
            snapshot.routes.push_back(Route{n, "proxy" + std::to_string(n), static_cast<std::uint16_t>(9000 + n)});
        std::cout << dynamic_cast<RouterWriter&>(*plugin).render(snapshot);
        return 0;
    }
    catch (const std::exception& e)
    {
        std::cerr << e.what() << "\n";
        return 1;
    }
}
