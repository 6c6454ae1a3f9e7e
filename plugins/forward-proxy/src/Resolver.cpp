#include "Resolver.h"
#include <arpa/inet.h>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>

namespace steadyproxy::forward {

namespace {

const char* internalV4(const unsigned char* b)
{
    if (b[0] == 127) return "loopback";
    if (b[0] == 0) return "unspecified";
    if (b[0] == 169 && b[1] == 254) return "link-local";
    if (b[0] >= 224 && b[0] <= 239) return "multicast";
    if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255) return "broadcast";
    return nullptr;
}

} // namespace

const char* internalAddressKind(const sockaddr_storage& a)
{
    if (a.ss_family == AF_INET)
        return internalV4(reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in&>(a).sin_addr));
    if (a.ss_family != AF_INET6) return nullptr;
    const auto* b = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr);
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, mapped, 12) == 0) return internalV4(b + 12);
    static const unsigned char zero[16] = {};
    if (std::memcmp(b, zero, 15) == 0) return b[15] == 1 ? "loopback" : (b[15] == 0 ? "unspecified" : nullptr);
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
    if (b[0] == 0xff) return "multicast";
    return nullptr;
}

bool parseIpLiteral(const std::string& hostIn, std::uint16_t port, sockaddr_storage& out)
{
    std::string host = hostIn;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::memset(&out, 0, sizeof out);
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    if (::inet_pton(AF_INET, host.c_str(), &sin->sin_addr) == 1)
    {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        return true;
    }
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
    if (::inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) == 1)
    {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        return true;
    }
    return false;
}

void Resolver::start()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _stopping = false;
    if (!_thread.joinable()) _thread = std::thread([this] { run(); });
}

void Resolver::stop()
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _stopping = true;
        _jobs.clear();
    }
    _cv.notify_all();
    if (_thread.joinable()) _thread.join();
}

void Resolver::resolve(const std::string& host, std::uint16_t port, Callback callback)
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (_stopping) return;
        _jobs.push_back({host, port, std::move(callback)});
    }
    _cv.notify_one();
}

void Resolver::run()
{
    for (;;)
    {
        Job job;
        {
            std::unique_lock<std::mutex> lock(_mutex);
            _cv.wait(lock, [&] { return _stopping || !_jobs.empty(); });
            if (_stopping) return;
            job = std::move(_jobs.front());
            _jobs.pop_front();
        }
        Resolved result;
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_ADDRCONFIG;
        addrinfo* list = nullptr;
        int rc = ::getaddrinfo(job.host.c_str(), std::to_string(job.port).c_str(), &hints, &list);
        if (rc != 0) result.error = "cannot resolve " + job.host + ": " + ::gai_strerror(rc);
        for (addrinfo* ai = list; ai; ai = ai->ai_next)
        {
            sockaddr_storage ss{};
            std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
            result.addresses.push_back(ss);
        }
        if (list) ::freeaddrinfo(list);
        if (result.addresses.empty() && result.error.empty()) result.error = "no address for " + job.host;
        job.callback(std::move(result));
    }
}

} // namespace steadyproxy::forward
