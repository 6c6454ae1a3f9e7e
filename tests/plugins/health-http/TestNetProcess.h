#pragma once
#include <Poco/Process.h>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace steadyproxy::test {

/// One server from tests/support/sp_testnet.py run as a child process
/// (`python3 sp_testnet.py KIND --bind IP --port 0 ...`). The constructor waits (bounded)
/// for "READY <port>"; the destructor or stop() kills it by its process id.
class TestNetProcess
{
public:
    TestNetProcess(const std::string& kind, const std::string& bindIp, const std::vector<std::string>& extraArgs = {});
    ~TestNetProcess();
    TestNetProcess(const TestNetProcess&) = delete;
    TestNetProcess& operator=(const TestNetProcess&) = delete;

    std::uint16_t port() const { return _port; }
    /// Kills the server (the port then refuses connections).
    void stop();

private:
    std::unique_ptr<Poco::ProcessHandle> _handle;
    std::uint16_t _port = 0;
};

} // namespace steadyproxy::test
