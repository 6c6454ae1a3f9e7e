#include "TestNetProcess.h"
#include <Poco/Pipe.h>
#include <chrono>
#include <cstdlib>
#include <poll.h>
#include <stdexcept>
#include <unistd.h>

namespace steadyproxy::test {

TestNetProcess::TestNetProcess(const std::string& kind, const std::string& bindIp, const std::vector<std::string>& extraArgs)
{
    const char* source = std::getenv("STEADYPROXY_SOURCE_DIR");
    if (!source) throw std::runtime_error("STEADYPROXY_SOURCE_DIR is not set (run the test through ctest)");
    std::vector<std::string> args{"-u", std::string(source) + "/tests/support/sp_testnet.py", kind, "--bind", bindIp,
        "--port", "0"};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    Poco::Pipe out;
    _handle = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(SP_PYTHON, args, nullptr, &out, nullptr));

    // Read "READY <port>\n" within 15 s; never block past the deadline.
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (line.find('\n') == std::string::npos)
    {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{out.readHandle(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        char c[256];
        int n = out.readBytes(c, sizeof c);
        if (n <= 0) break;
        line.append(c, static_cast<std::size_t>(n));
    }
    if (line.compare(0, 6, "READY ") != 0)
    {
        stop();
        throw std::runtime_error("sp_testnet.py " + kind + " did not start (got '" + line + "')");
    }
    _port = static_cast<std::uint16_t>(std::stoi(line.substr(6)));
}

TestNetProcess::~TestNetProcess()
{
    stop();
}

void TestNetProcess::stop()
{
    if (!_handle) return;
    try
    {
        Poco::Process::kill(*_handle);
        _handle->wait();
    }
    catch (...)
    {
    }
    _handle.reset();
}

} // namespace steadyproxy::test
