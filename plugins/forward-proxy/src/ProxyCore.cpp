#include "ProxyCore.h"
#include "ProxyConnection.h"
#include <steadyproxy/sdk/Errors.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace steadyproxy::forward {

void ProxyCore::publishFailure(const Endpoint* ep, const Upstream* up, const std::string& reason)
{
    if (!context) return;
    Event e;
    e.type = "upstream.failure";
    e.keyId = ep ? ep->keyId : 0;
    e.data["reason"] = reason;
    if (up) e.data["upstream"] = up->describe();
    if (ep) e.data["endpoint"] = ep->name();
    try
    {
        context->logger().warning("upstream failure%s: %s", ep ? " for " + ep->name() : std::string(), reason);
        context->events().publish(e);
    }
    catch (...)
    {
    }
}

void ProxyCore::logRefusal(const std::string& rule, const std::string& client, const Endpoint* ep)
{
    if (!context) return;
    std::uint64_t suppressed = 0;
    LogThrottle* throttle;
    {
        std::lock_guard<std::mutex> l(_refusalLogMutex);
        auto& t = _refusalLogs[rule.substr(0, rule.find(' '))];
        if (!t) t = std::make_unique<LogThrottle>();
        throttle = t.get();
    }
    if (!throttle->allow(monotonicMs(), suppressed)) return;
    try
    {
        context->logger().warning("refused client %s%s: %s%s", client, ep ? " on " + ep->name() : std::string(), rule,
            suppressed ? " (" + std::to_string(suppressed) + " similar lines suppressed)" : std::string());
    }
    catch (...)
    {
    }
}

void ProxyCore::dispatch(int fd, const sockaddr_storage& peer, std::shared_ptr<Endpoint> ep)
{
    if (workers.empty() || draining.load() || connections.load() >= settings.maxConnections)
    {
        ::close(fd);
        return;
    }
    ++connections;
    Worker* w = workers[_nextWorker++ % workers.size()].get();
    w->loop.post([this, w, fd, peer, ep = std::move(ep)]() mutable {
        std::uint64_t id = w->nextId++;
        auto conn = std::make_unique<ProxyConnection>(*this, *w, id, fd, peer, std::move(ep));
        ProxyConnection* c = conn.get();
        w->connections.emplace(id, std::move(conn));
        try
        {
            c->begin();
        }
        catch (...)
        {
            c->closeNow();
        }
    });
}

void Listener::open()
{
    sockaddr_storage ss;
    if (!parseIpLiteral(_core.settings.listenHost, _port, ss))
        throw ConfigError("listen_host", "'" + _core.settings.listenHost + "' is not an IP address");
    int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw Error(std::string("cannot create a socket for port ") + std::to_string(_port) + ": " + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    socklen_t len = ss.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 1024) != 0)
    {
        int e = errno;
        ::close(fd);
        throw Error("cannot listen on " + _core.settings.listenHost + ":" + std::to_string(_port) + ": " + std::strerror(e)
            + (e == EADDRINUSE ? " (another process or endpoint uses this port)" : ""));
    }
    _worker.loop.runAndWait([&] { _worker.loop.add(fd, EPOLLIN, this); });
    _fd = fd;
    if (_endpoint) _endpoint->listening = true;
}

void Listener::close()
{
    if (_fd < 0) return;
    _worker.loop.runAndWait([&] {
        acceptAll();
        _worker.loop.remove(_fd);
        ::close(_fd);
        _fd = -1;
    });
}

void Listener::onIo(std::uint32_t)
{
    acceptAll();
}

void Listener::acceptAll()
{
    for (int i = 0; i < 256 && _fd >= 0; ++i)
    {
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        int fd = ::accept4(_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return; // EAGAIN, or a transient error (EMFILE, ECONNABORTED): try again later
        _core.dispatch(fd, peer, _endpoint);
    }
}

} // namespace steadyproxy::forward
