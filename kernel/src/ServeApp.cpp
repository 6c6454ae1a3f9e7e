#include <steadyproxy/kernel/AdminServer.h>
#include <steadyproxy/kernel/Cli.h>
#include <steadyproxy/kernel/Kernel.h>
#include <steadyproxy/sdk/ForwardProxy.h>
#include <Poco/Util/ServerApplication.h>
#include <csignal>
#include <iostream>
#include <pthread.h>

namespace steadyproxy::kernel {

namespace {

/// The Poco ServerApplication around the kernel. Signals are taken synchronously
/// (sigwait) on the main thread: every other thread starts with them blocked.
class ServeApp : public Poco::Util::ServerApplication
{
public:
    explicit ServeApp(std::string configPath): _configPath(std::move(configPath)) {}

protected:
    void defineOptions(Poco::Util::OptionSet&) override {}

    int main(const std::vector<std::string>&) override
    {
        sigset_t signals;
        sigemptyset(&signals);
        for (int s : {SIGHUP, SIGUSR1, SIGTERM, SIGINT, SIGQUIT}) sigaddset(&signals, s);
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);
        std::unique_ptr<Kernel> kernel;
        try
        {
            kernel = makeKernel(_configPath);
            const auto& o = kernel->options();
            configureLogging(o.logLevel, o.logFormat, o.logFile);
            kernel->start(true);
            std::string password = kernel->ensureFirstAdmin();
            if (!password.empty())
                std::cout << "created the first admin account \"" << o.adminUsername
                          << "\"; its password (shown once): " << password << std::endl;
            AdminServer admin(*kernel);
            admin.start();
            Poco::Logger& log = Poco::Logger::get("kernel");
            log.information("steadyproxy " STEADYPROXY_VERSION " serving " + std::to_string(kernel->keys().list().size()) +
                            " endpoints; admin API on http://" + o.adminHost + ":" + std::to_string(o.adminPort));
            std::cout << "READY admin=http://" << o.adminHost << ":" << o.adminPort << std::endl;
            int sig = 0;
            while (sigwait(&signals, &sig) == 0)
            {
                if (sig == SIGHUP)
                {
                    log.information("SIGHUP: reloading the configuration");
                    kernel->reload();
                }
                else if (sig == SIGUSR1)
                    kernel->reopenLogs();
                else
                    break;
            }
            int drainMs = kernel->options().drainSeconds * 1000;
            log.information(std::string("stopping on ") + (sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGQUIT") +
                            ": draining requests and tunnels for up to " + std::to_string(drainMs / 1000) + " s");
            admin.beginShutdown();
            for (auto* proxy : kernel->registry().allOf<ForwardProxy>())
            {
                std::size_t left = proxy->drain(drainMs);
                log.information(left ? std::to_string(left) + " connections were still open at the drain limit and were closed"
                                     : std::string("every request and tunnel finished"));
            }
            admin.stop();
            kernel->stop();
            log.information("stopped");
        }
        catch (const std::exception& e)
        {
            std::cerr << "steadyproxy: " << e.what() << std::endl;
            return 1;
        }
        return 0;
    }

private:
    std::string _configPath;
};

} // namespace

int serve(const std::string& configPath)
{
    ServeApp app(configPath);
    std::vector<std::string> args{"steadyproxy"};
    return app.run(args);
}

} // namespace steadyproxy::kernel
