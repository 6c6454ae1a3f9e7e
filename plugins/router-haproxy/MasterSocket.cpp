#include "MasterSocket.h"
#include <steadyproxy/sdk/Errors.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace steadyproxy::router::haproxy {

namespace {

long long nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

/// Closes the descriptor when the call ends, however it ends.
struct Descriptor
{
    int fd;
    ~Descriptor()
    {
        if (fd >= 0) ::close(fd);
    }
};

} // namespace

MasterSocket::MasterSocket(std::string path, long timeoutMs): _path(std::move(path)), _timeoutMs(timeoutMs)
{
}

std::string MasterSocket::command(const std::string& command) const
{
    auto fail = [&](const std::string& what, int error) -> Error {
        return Error("HAProxy's master socket " + _path + ": cannot " + what + ": " + std::strerror(error) + " (errno " +
            std::to_string(error) + "; is HAProxy running with -W -S " + _path +
            " and may steadyproxy's user open the socket?)");
    };
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (_path.size() >= sizeof address.sun_path)
        throw Error("HAProxy's master socket path " + _path + " is longer than " +
            std::to_string(sizeof address.sun_path - 1) + " bytes: use a shorter path");
    std::memcpy(address.sun_path, _path.c_str(), _path.size() + 1);

    Descriptor socket{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (socket.fd < 0) throw fail("create a socket", errno);
    if (::connect(socket.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
        throw fail("connect", errno);

    // One command, then end of input: the master answers and closes.
    const std::string line = command + "\n";
    std::size_t sent = 0;
    while (sent < line.size())
    {
        ssize_t n = ::send(socket.fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw fail("send '" + command + "'", errno);
        sent += static_cast<std::size_t>(n);
    }
    ::shutdown(socket.fd, SHUT_WR);

    std::string answer;
    const long long deadline = nowMs() + _timeoutMs;
    char buffer[4096];
    for (;;)
    {
        long long left = deadline - nowMs();
        if (left <= 0)
            throw Error("HAProxy's master socket " + _path + " did not finish answering '" + command + "' within " +
                std::to_string(_timeoutMs) + " ms");
        pollfd p{socket.fd, POLLIN, 0};
        int ready = ::poll(&p, 1, static_cast<int>(left));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) throw fail("wait for the answer", errno);
        if (ready == 0) continue;
        ssize_t n = ::recv(socket.fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        // A reload re-executes the master, which may reset the connection: that is an end too.
        if (n < 0 && errno == ECONNRESET) break;
        if (n < 0) throw fail("read the answer", errno);
        if (n == 0) break;
        answer.append(buffer, static_cast<std::size_t>(n));
        if (answer.size() > 1024 * 1024) break;
    }
    return answer;
}

MasterStatus MasterSocket::parseShowProc(const std::string& answer)
{
    std::istringstream lines(answer);
    std::string line;
    while (std::getline(lines, line))
    {
        std::istringstream words(line);
        std::string pid, type;
        if (!(words >> pid >> type) || type != "master" || pid.empty() || pid[0] == '#') continue;
        MasterStatus status;
        std::string reloads;
        words >> reloads;
        try
        {
            status.reloads = std::stol(reloads);
        }
        catch (...)
        {
            break;
        }
        std::size_t at = line.find("failed:");
        status.failed = 0;
        if (at != std::string::npos)
        {
            try
            {
                status.failed = std::stol(line.substr(at + 7));
            }
            catch (...)
            {
                status.failed = 0;
            }
        }
        return status;
    }
    std::string shown = answer.substr(0, 300);
    throw Error("HAProxy's master CLI answered 'show proc' without a master line: '" + shown + "'");
}

MasterStatus MasterSocket::status() const
{
    return parseShowProc(command("show proc"));
}

} // namespace steadyproxy::router::haproxy
