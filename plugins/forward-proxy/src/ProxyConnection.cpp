#include "ProxyConnection.h"
#include "ProxyProtocol.h"
#include <algorithm>
#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sstream>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

namespace steadyproxy::forward {

namespace {

const char* statusText(int status)
{
    switch (status)
    {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

bool parseBasic(const std::string* header, std::string& user, std::string& pass)
{
    if (!header) return false;
    const std::string& v = *header;
    if (v.size() < 6 || !equalsNoCase(std::string_view(v).substr(0, 6), "basic ")) return false;
    std::string token = v.substr(6);
    while (!token.empty() && token.front() == ' ') token.erase(0, 1);
    if (token.empty() || token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != std::string::npos)
        return false;
    std::string decoded;
    try
    {
        std::istringstream in(token);
        Poco::Base64Decoder dec(in);
        decoded.assign(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
    }
    catch (...)
    {
        return false;
    }
    std::size_t colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    user = decoded.substr(0, colon);
    pass = decoded.substr(colon + 1);
    return true;
}

std::string authorityOf(const std::string& host, std::uint16_t port)
{
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool sameCredentials(const std::string& a, const std::string& b)
{
    // Constant time in the length of the expected value.
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < b.size(); ++i)
        diff |= static_cast<unsigned char>((i < a.size() ? a[i] : 0) ^ b[i]);
    return diff == 0;
}

} // namespace

ProxyConnection::ProxyConnection(ProxyCore& core, Worker& worker, std::uint64_t id, int fd, const sockaddr_storage& peer,
    std::shared_ptr<Endpoint> endpoint):
    _core(core), _worker(worker), _id(id), _cfd(fd), _peer(peer), _peerText(addressText(peer)), _ep(std::move(endpoint)),
    _gateway(!_ep)
{
    _cside.self = this;
    _cside.client = true;
    _uside.self = this;
    _uside.client = false;
}

ProxyConnection::~ProxyConnection()
{
    if (_phase != Phase::Closed) closeNow();
}

void ProxyConnection::begin()
{
    int one = 1;
    ::setsockopt(_cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    long long now = _core.now();
    _deadline = now + _core.settings.headerTimeoutMs;
    _lastActivity = now;
    if (_core.settings.proxyProtocol && !_gateway) _phase = Phase::ProxyHeader;
    else admit();
    _cev = EPOLLIN;
    _worker.loop.add(_cfd, _cev, &_cside);
}

// ---------------------------------------------------------------------------------------
// access rules and limits

void ProxyConnection::onProxyHeader()
{
    proxyv2::Header h;
    auto st = proxyv2::parse(reinterpret_cast<const unsigned char*>(_cin.data()), _cin.size(), h);
    if (st == proxyv2::Status::NeedMore) return;
    if (st == proxyv2::Status::Invalid)
    {
        if (_ep) _ep->countError(ErrorKind::Protocol);
        _core.logRefusal("no valid PROXY protocol v2 header (proxy_protocol: v2): " + h.error, _peerText, _ep.get());
        closeNow();
        return;
    }
    _cin.erase(0, h.length);
    if (!h.local)
    {
        _peer = h.source;
        _peerText = addressText(_peer);
    }
    admit();
    _phase = Phase::Detect;
    if (!_cin.empty())
    {
        std::string rest;
        rest.swap(_cin);
        onClientData(rest.data(), rest.size());
    }
}

void ProxyConnection::admit()
{
    auto limits = _core.limits();
    for (const auto& c : limits->deny)
        if (c.contains(_peer))
        {
            _refusal = Refusal::Denied;
            _refusalRule = "global deny list (" + c.text() + ")";
            break;
        }
    if (_refusal == Refusal::None && !isAllowed(limits->allow, _peer))
    {
        _refusal = Refusal::Denied;
        _refusalRule = "global allow list (address not in it)";
    }
    if (_refusal == Refusal::None && limits->clientMaxConnections > 0) // untracked when off: no table work per connection
    {
        if (_core.clients.open(_peerText, limits->clientMaxConnections, monotonicMs()))
        {
            _admitted = true;
            _clientKey = _peerText;
        }
        else
        {
            _refusal = Refusal::Limited;
            _refusalRule = "client_max_connections (" + std::to_string(limits->clientMaxConnections) + " per client address)";
        }
    }
    // A refused client gets its answer at its first request (a 403/429 or SOCKS5 reply it
    // can show), but not the whole header timeout to send it.
    if (_refusal != Refusal::None) _deadline = std::min<long long>(_deadline, _core.now() + 5000);
}

bool ProxyConnection::refuseRequest()
{
    if (_refusal != Refusal::None)
    {
        ErrorKind kind = _refusal == Refusal::Denied ? ErrorKind::Denied : ErrorKind::Limited;
        if (_refusalCounted) answerRefusal(kind, _refusalRule, _refusal == Refusal::Limited ? 1000 : 0);
        else refuse(kind, _refusalRule, _refusal == Refusal::Limited ? 1000 : 0);
        return true;
    }
    auto limits = _core.limits();
    long long wait = _core.clients.request(_peerText, limits->clientRps, monotonicMs());
    if (wait > 0)
    {
        refuse(ErrorKind::Limited, "client_rps (" + std::to_string(static_cast<long long>(limits->clientRps)) + " requests per second per client address)", wait);
        return true;
    }
    return false;
}

bool ProxyConnection::endpointRateRefused()
{
    auto limits = _core.limits();
    double rps = limits->endpointRps;
    if (rps <= 0 || !_ep) return false;
    if (_ep->requestRate.take(1, 1, rps, std::max(1.0, rps), monotonicMs()) >= 1) return false;
    refuse(ErrorKind::Limited, "endpoint_rps (" + std::to_string(static_cast<long long>(rps)) + " requests per second per endpoint)",
        _ep->requestRate.waitMs(1, rps));
    return true;
}

void ProxyConnection::refuse(ErrorKind kind, const std::string& rule, long long retryAfterMs)
{
    if (_ep) _ep->countError(kind);
    _core.logRefusal(rule, _peerText, _ep.get());
    answerRefusal(kind, rule, retryAfterMs);
}

void ProxyConnection::answerRefusal(ErrorKind kind, const std::string& rule, long long retryAfterMs)
{
    if (_socksMode)
    {
        _rec.status = socks5::NotAllowed;
        respondSocks(socks5::reply(socks5::NotAllowed));
    }
    else if (kind == ErrorKind::Denied)
        respondHttp(403, "client address " + _peerText + " is refused by the " + rule, "");
    else
        respondHttp(429, "limit reached: " + rule, retryAfterMs > 0 ? "Retry-After: " + std::to_string((retryAfterMs + 999) / 1000) + "\r\n" : "");
}

std::size_t ProxyConnection::readBudget(bool client, std::size_t max)
{
    _bwLimited = false;
    if (!_counted || !_ep) return max;
    long long bps = _core.bandwidthBps.load(std::memory_order_relaxed);
    if (bps <= 0) return max;
    double rate = static_cast<double>(bps);
    double burst = std::min(4.0 * 1048576, std::max(4096.0, rate / 8)); // an eighth of a second's worth
    double minChunk = std::min(burst, 1024.0);
    SharedBucket& bucket = client ? _ep->bandwidthIn : _ep->bandwidthOut;
    double got = bucket.take(static_cast<double>(max), minChunk, rate, burst, monotonicMs());
    if (got < 1)
    {
        pauseReads(client, bucket.waitMs(minChunk, rate));
        return 0;
    }
    _bwLimited = true;
    return static_cast<std::size_t>(got);
}

void ProxyConnection::returnBudget(bool client, std::size_t granted, ssize_t used)
{
    if (!_bwLimited || !_ep) return;
    std::size_t u = used > 0 ? static_cast<std::size_t>(used) : 0;
    if (u >= granted) return;
    long long bps = _core.bandwidthBps.load(std::memory_order_relaxed);
    double burst = std::min(4.0 * 1048576, std::max(4096.0, static_cast<double>(bps) / 8));
    (client ? _ep->bandwidthIn : _ep->bandwidthOut).refund(static_cast<double>(granted - u), burst);
}

void ProxyConnection::pauseReads(bool client, long long ms)
{
    bool& paused = client ? _cPaused : _uPaused;
    if (paused) return;
    paused = true;
    Worker* w = &_worker;
    std::uint64_t id = _id;
    _worker.loop.runAfter(ms, [w, id, client] {
        auto it = w->connections.find(id);
        if (it != w->connections.end()) it->second->resumeReads(client);
    });
}

void ProxyConnection::resumeReads(bool client)
{
    (client ? _cPaused : _uPaused) = false;
    if (_phase != Phase::Closed) updateInterest();
}

// ---------------------------------------------------------------------------------------
// I/O

void ProxyConnection::onIo(bool client, std::uint32_t events)
{
    if (_phase == Phase::Closed) return;
    if (client)
    {
        if (events & EPOLLOUT)
        {
            flushClient();
            if (_u2c.held && _phase != Phase::Closed && _coutOff >= _cout.size()) spliceOut(false);
        }
        if (_phase == Phase::Closed) return;
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        {
            if (wantClientRead()) readClient();
            else if ((events & (EPOLLHUP | EPOLLERR)) == EPOLLHUP && _phase == Phase::Tunnel) park(true);
            else if (events & (EPOLLHUP | EPOLLERR)) { closeNow(); return; }
        }
    }
    else
    {
        if (_ufd < 0) return;
        if (_upState == UpState::Connecting)
        {
            if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) onConnected();
        }
        else
        {
            if (events & EPOLLOUT)
            {
                flushUpstream();
                if (_c2u.held && _phase != Phase::Closed && _ufd >= 0 && _uoutOff >= _uout.size()) spliceOut(true);
            }
            if (_phase == Phase::Closed || _ufd < 0) return;
            if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
            {
                if (wantUpstreamRead()) readUpstream();
                else if ((events & (EPOLLHUP | EPOLLERR)) == EPOLLHUP && _phase == Phase::Tunnel) park(false);
                else if (events & (EPOLLHUP | EPOLLERR))
                {
                    if (_phase == Phase::Tunnel || _phase == Phase::Exchange) { closeNow(); return; }
                    dropUpstream();
                }
            }
        }
    }
    if (_phase != Phase::Closed) updateInterest();
}

namespace {
/// A tunnel read this large that fills the whole buffer means bulk traffic: splice mode.
constexpr std::size_t BulkRead = 16384;
/// Bytes one splice() moves at most (a pipe holds 16 pages by default).
constexpr std::size_t SpliceChunk = 65536;
} // namespace

void ProxyConnection::readClient()
{
    if (_phase == Phase::Tunnel && _c2u.on && _core.settings.splice && openPipe(true))
    {
        spliceIn(true);
        return;
    }
    std::size_t budget = readBudget(true);
    if (budget == 0) return;
    char* buf = _worker.loop.scratch();
    ssize_t n = ::recv(_cfd, buf, budget, 0);
    returnBudget(true, budget, n);
    if (n > 0)
    {
        _lastActivity = _core.now();
        if (_phase == Phase::Tunnel && static_cast<std::size_t>(n) == budget && budget >= BulkRead) _c2u.on = true;
        onClientData(buf, static_cast<std::size_t>(n));
    }
    else if (n == 0) onClientEof();
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) closeNow();
}

void ProxyConnection::readUpstream()
{
    if (_phase == Phase::Tunnel && _u2c.on && _core.settings.splice && openPipe(false))
    {
        spliceIn(false);
        return;
    }
    std::size_t budget = readBudget(false);
    if (budget == 0) return;
    char* buf = _worker.loop.scratch();
    ssize_t n = ::recv(_ufd, buf, budget, 0);
    returnBudget(false, budget, n);
    if (n > 0)
    {
        _lastActivity = _core.now();
        if (_phase == Phase::Tunnel && static_cast<std::size_t>(n) == budget && budget >= BulkRead) _u2c.on = true;
        onUpstreamData(buf, static_cast<std::size_t>(n));
    }
    else if (n == 0) onUpstreamEof(0);
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) onUpstreamEof(errno);
}

bool ProxyConnection::openPipe(bool client)
{
    SplicePipe& p = client ? _c2u : _u2c;
    if (p.r >= 0) return true;
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
    {
        p.on = false; // out of descriptors: copy instead (tried again at the next bulk read)
        return false;
    }
    p.r = fds[0];
    p.w = fds[1];
    return true;
}

void ProxyConnection::closePipes(bool onlyEmpty)
{
    for (SplicePipe* p : {&_c2u, &_u2c})
    {
        if (onlyEmpty && p->held) continue;
        if (p->r >= 0)
        {
            ::close(p->r);
            ::close(p->w);
        }
        *p = SplicePipe();
    }
}

void ProxyConnection::spliceIn(bool client)
{
    SplicePipe& p = client ? _c2u : _u2c;
    // A full pipe's worth read and passed on at once: more is likely waiting; take a few
    // more rounds before going back to epoll (a short read means the socket is empty).
    for (int round = 0; round < 4; ++round)
    {
        std::size_t budget = readBudget(client, SpliceChunk);
        if (budget == 0) return;
        ssize_t n = ::splice(client ? _cfd : _ufd, nullptr, p.w, nullptr, budget, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        int err = errno;
        returnBudget(client, budget, n);
        if (n > 0)
        {
            _lastActivity = _core.now();
            p.held += static_cast<std::size_t>(n);
            if (client) addIn(static_cast<std::size_t>(n));
            else addOut(static_cast<std::size_t>(n));
            spliceOut(client);
            if (static_cast<std::size_t>(n) < budget || p.held || _phase != Phase::Tunnel || (client ? _cPaused : _uPaused)) return;
        }
        else if (n == 0)
        {
            if (client) onClientEof();
            else onUpstreamEof(0);
            return;
        }
        else if (err == EAGAIN || err == EINTR) return;
        else
        {
            if (client) closeNow();
            else onUpstreamEof(err);
            return;
        }
    }
}

void ProxyConnection::spliceOut(bool client)
{
    SplicePipe& p = client ? _c2u : _u2c;
    int to = client ? _ufd : _cfd;
    while (p.held > 0)
    {
        ssize_t w = ::splice(p.r, nullptr, to, nullptr, p.held, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (w > 0) p.held -= static_cast<std::size_t>(w);
        else if (w < 0 && (errno == EAGAIN || errno == EINTR)) return; // EPOLLOUT on `to`
        else
        {
            int err = w < 0 ? errno : EPIPE;
            if (client) onUpstreamEof(err);
            else closeNow();
            return;
        }
    }
    checkHalfClose();
}

void ProxyConnection::park(bool client)
{
    bool& parked = client ? _cParked : _uParked;
    if (parked) return;
    _worker.loop.remove(client ? _cfd : _ufd);
    parked = true;
    (client ? _cev : _uev) = 0;
}

void ProxyConnection::sendClient(const char* p, std::size_t n)
{
    if (_phase == Phase::Closed || n == 0) return;
    if (_coutOff < _cout.size() || !_held.empty() || _corkClient)
    {
        _cout.append(p, n);
        return;
    }
    ssize_t w = ::send(_cfd, p, n, MSG_NOSIGNAL);
    if (w < 0)
    {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { closeNow(); return; }
        w = 0;
    }
    if (static_cast<std::size_t>(w) < n)
    {
        _cout.assign(p + w, n - w);
        _coutOff = 0;
    }
}

void ProxyConnection::sendUpstream(const char* p, std::size_t n)
{
    if (_phase == Phase::Closed || n == 0 || _ufd < 0) return;
    if (_upState != UpState::Ready && _upState != UpState::Handshake)
    {
        _uout.append(p, n);
        return;
    }
    if (_uoutOff < _uout.size())
    {
        _uout.append(p, n);
        return;
    }
    ssize_t w = ::send(_ufd, p, n, MSG_NOSIGNAL);
    if (w < 0)
    {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { onUpstreamEof(errno); return; }
        w = 0;
    }
    if (static_cast<std::size_t>(w) < n)
    {
        _uout.assign(p + w, n - w);
        _uoutOff = 0;
    }
}

void ProxyConnection::flushClient()
{
    if (!_held.empty()) return;
    while (_coutOff < _cout.size())
    {
        ssize_t w = ::send(_cfd, _cout.data() + _coutOff, _cout.size() - _coutOff, MSG_NOSIGNAL);
        if (w > 0) _coutOff += static_cast<std::size_t>(w);
        else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        else { closeNow(); return; }
    }
    std::string().swap(_cout);
    _coutOff = 0;
    afterClientDrained();
}

void ProxyConnection::uncorkClient()
{
    if (!_corkClient) return;
    _corkClient = false;
    if (_phase != Phase::Closed) flushClient();
}

void ProxyConnection::flushUpstream()
{
    if (_ufd < 0) return;
    while (_uoutOff < _uout.size())
    {
        ssize_t w = ::send(_ufd, _uout.data() + _uoutOff, _uout.size() - _uoutOff, MSG_NOSIGNAL);
        if (w > 0) _uoutOff += static_cast<std::size_t>(w);
        else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        else { onUpstreamEof(errno ? errno : EPIPE); return; }
    }
    std::string().swap(_uout);
    _uoutOff = 0;
    if (_phase == Phase::Tunnel) checkHalfClose();
}

void ProxyConnection::afterClientDrained()
{
    if (_phase == Phase::Tunnel) checkHalfClose();
    else if (_phase == Phase::Closing && !_cShut)
    {
        // Lingering close: stop writing, read and drop what the client still sends for a
        // moment, so that our answer is not destroyed by a reset.
        ::shutdown(_cfd, SHUT_WR);
        _cShut = true;
        _deadline = _core.now() + (_core.draining ? 500 : 2000);
    }
}

void ProxyConnection::checkHalfClose()
{
    if (_phase != Phase::Tunnel) return;
    if (_clientEof && !_uShut && _uoutOff >= _uout.size() && _c2u.held == 0 && _ufd >= 0)
    {
        ::shutdown(_ufd, SHUT_WR);
        _uShut = true;
    }
    if (_upEof && !_cShut && _coutOff >= _cout.size() && _u2c.held == 0)
    {
        ::shutdown(_cfd, SHUT_WR);
        _cShut = true;
    }
    if (_clientEof && _upEof && _cShut && _uShut) closeNow();
}

bool ProxyConnection::wantClientRead() const
{
    if (_clientEof || _cPaused) return false;
    switch (_phase)
    {
    case Phase::ProxyHeader: return true;
    case Phase::Detect:
    case Phase::HttpHead:
    case Phase::Socks: return _held.empty();
    case Phase::Connecting: return _cin.size() < 65536;
    case Phase::Exchange: return _reqBodyDone ? _cin.size() < 65536 : _uoutOff >= _uout.size();
    case Phase::Tunnel: return _uoutOff >= _uout.size() && _c2u.held == 0;
    case Phase::Closing: return _cShut;
    case Phase::Closed: return false;
    }
    return false;
}

bool ProxyConnection::wantUpstreamRead() const
{
    if (_upEof || _ufd < 0 || _uPaused) return false;
    if (_upState == UpState::Handshake) return true;
    if (_upState != UpState::Ready) return false;
    if (_phase == Phase::Exchange || _phase == Phase::Tunnel) return _coutOff >= _cout.size() && _u2c.held == 0;
    return true; // idle keep-alive upstream: notice when it closes
}

void ProxyConnection::setInterest(int fd, std::uint32_t want, std::uint32_t& current, bool& parked, IoHandler* side)
{
    if (parked)
    {
        if (!want) return; // stays out of the epoll set until there is something to do
        _worker.loop.add(fd, want, side);
        parked = false;
    }
    else if (want != current) _worker.loop.modify(fd, want, side);
    current = want;
}

void ProxyConnection::updateInterest()
{
    std::uint32_t c = 0;
    if (wantClientRead()) c |= EPOLLIN;
    if ((_coutOff < _cout.size() && _held.empty()) || _u2c.held) c |= EPOLLOUT;
    setInterest(_cfd, c, _cev, _cParked, &_cside);
    if (_ufd >= 0)
    {
        std::uint32_t u = 0;
        if (_upState == UpState::Connecting) u = EPOLLOUT;
        else
        {
            if (wantUpstreamRead()) u |= EPOLLIN;
            if (_uoutOff < _uout.size() || _c2u.held) u |= EPOLLOUT;
        }
        setInterest(_ufd, u, _uev, _uParked, &_uside);
    }
}

void ProxyConnection::dropUpstream()
{
    if (_ufd >= 0)
    {
        _worker.loop.remove(_ufd);
        ::close(_ufd);
    }
    _ufd = -1;
    _uev = 0;
    _uParked = false;
    ++_dialSeq;
    _upState = UpState::None;
    std::string().swap(_uout);
    _uoutOff = 0;
    _uin.clear();
    _upEof = false;
    _uShut = false;
    _upReusable = false;
}

void ProxyConnection::closeNow()
{
    if (_phase == Phase::Closed) return;
    if (_recOpen) logRecord();
    _phase = Phase::Closed;
    dropUpstream();
    closePipes();
    if (!_cParked) _worker.loop.remove(_cfd);
    ::close(_cfd);
    if (_counted && _ep) --_ep->active;
    if (_admitted) _core.clients.close(_clientKey, monotonicMs());
    _admitted = false;
    --_core.connections;
    Worker* w = &_worker;
    std::uint64_t id = _id;
    _worker.loop.post([w, id] { w->connections.erase(id); });
}

void ProxyConnection::onDrain()
{
    long long now = _core.now();
    switch (_phase)
    {
    case Phase::ProxyHeader:
    case Phase::Detect:
        _deadline = std::min(_deadline, now + 1000);
        break;
    case Phase::HttpHead:
        if (!_parser.started() && _cin.empty()) closeNow(); // idle between requests
        break;
    case Phase::Closing:
        _deadline = std::min(_deadline, now + 500);
        break;
    default:
        _closeAfter = true; // the request in flight finishes, then the connection closes
        break;
    }
}

void ProxyConnection::addIn(std::size_t n)
{
    _rec.bytesIn += n;
    if (_counted && _ep) _ep->bytesIn += n;
}

void ProxyConnection::addOut(std::size_t n)
{
    _rec.bytesOut += n;
    if (_counted && _ep) _ep->bytesOut += n;
}

void ProxyConnection::logRecord()
{
    _recOpen = false;
    _rec.durationMs = _core.now() - _rec.time;
    if (_counted && _ep)
    {
        bool tunnel = _rec.method == "CONNECT" || _rec.method == "SOCKS5";
        (tunnel ? _ep->tunnels : _ep->requests).observe(_rec.durationMs / 1000.0);
    }
    if (!_core.accessLog.enabled()) return;
    _rec.client = _peerText;
    if (_ep) _rec.endpoint = _ep->name();
    _core.accessLog.write(_rec);
}

// ---------------------------------------------------------------------------------------
// client side

void ProxyConnection::onClientData(const char* p, std::size_t n)
{
    switch (_phase)
    {
    case Phase::ProxyHeader:
        _cin.append(p, n);
        if (_cin.size() > proxyv2::MaxHeader + 65536) { closeNow(); return; }
        onProxyHeader();
        break;
    case Phase::Detect:
        _socksMode = static_cast<unsigned char>(p[0]) == 0x05;
        _phase = _socksMode ? Phase::Socks : Phase::HttpHead;
        _cin.append(p, n);
        process();
        break;
    case Phase::HttpHead:
    case Phase::Socks:
        _cin.append(p, n);
        process();
        break;
    case Phase::Connecting:
        _cin.append(p, n);
        break;
    case Phase::Exchange:
        if (!_reqBodyDone)
        {
            std::size_t k = consumeRequestBody(p, n);
            if (_phase == Phase::Exchange && k < n) _cin.append(p + k, n - k);
        }
        else _cin.append(p, n);
        break;
    case Phase::Tunnel:
        addIn(n);
        sendUpstream(p, n);
        break;
    case Phase::Closing:
    case Phase::Closed:
        break;
    }
}

void ProxyConnection::onClientEof()
{
    _clientEof = true;
    switch (_phase)
    {
    case Phase::Connecting:
        if (!_tunnel && !_reqBodyDone) closeNow();
        else _closeAfter = true;
        break;
    case Phase::Exchange:
        if (!_reqBodyDone) closeNow();
        else _closeAfter = true;
        break;
    case Phase::Tunnel:
        checkHalfClose();
        break;
    default:
        closeNow();
        break;
    }
}

void ProxyConnection::process()
{
    if (_phase == Phase::HttpHead) processHttp();
    else if (_phase == Phase::Socks) processSocks();
}

void ProxyConnection::processHttp()
{
    while (_phase == Phase::HttpHead && !_cin.empty())
    {
        std::size_t used = 0;
        auto st = _parser.feed(_cin.data(), _cin.size(), used);
        _cin.erase(0, used);
        if (st == HttpRequestParser::Status::NeedMore) return;
        _rec = AccessRecord();
        _rec.time = _core.now();
        _recOpen = true;
        if (st == HttpRequestParser::Status::Error)
        {
            _rec.method = "?";
            if (_counted && _ep) _ep->countError(ErrorKind::Protocol);
            respondHttp(_parser.errorStatus(), _parser.errorReason(), "");
            return;
        }
        _req = std::move(_parser.request());
        _parser.reset();
        startRequest();
    }
}

ProxyConnection::Verdict ProxyConnection::authorize(bool hasCredentials, const std::string& user, const std::string& pass)
{
    std::shared_ptr<Endpoint> ep = _ep;
    if (_gateway)
    {
        ep = hasCredentials ? _core.findByName(user) : nullptr;
        if (!ep) return Verdict::BadCredentials;
    }
    std::shared_ptr<const Endpoint::Access> access = ep->access();
    const Endpoint::Access& a = *access;
    if (!isAllowed(a.allow, _peer)) return Verdict::Forbidden;
    bool needAuth = _gateway || !(a.username.empty() && a.password.empty());
    if (needAuth)
    {
        bool ok = hasCredentials && sameCredentials(pass, a.password) && (_gateway || sameCredentials(user, a.username));
        if (!ok) return Verdict::BadCredentials;
        _core.throttle.succeed(_peerText);
    }
    if (!a.active) return Verdict::Disabled;
    if (ep != _ep || !_counted)
    {
        long long max = _core.limits()->endpointMaxConnections;
        std::uint64_t open = ++ep->active;
        if (max > 0 && open > static_cast<std::uint64_t>(max))
        {
            --ep->active;
            _refusalRule = "endpoint_max_connections (" + std::to_string(max) + " per endpoint)";
            ep->countError(ErrorKind::Limited);
            _core.logRefusal(_refusalRule, _peerText, ep.get());
            return Verdict::Limited;
        }
        if (_counted && _ep) --_ep->active;
        _ep = ep;
        ++_ep->total;
        _counted = true;
    }
    return Verdict::Ok;
}

void ProxyConnection::startRequest()
{
    _rec.method = _req.method;
    _rec.target = _req.target;
    _rec.protocol = "HTTP/1." + std::to_string(_req.versionMinor);
    if (const std::string* h = _req.find("Referer")) _rec.referer = *h;
    if (const std::string* h = _req.find("User-Agent")) _rec.userAgent = *h;
    _closeAfter = !_req.keepAlive || _core.draining;
    if (refuseRequest()) return;
    std::string user, pass;
    bool has = parseBasic(_req.find("Proxy-Authorization"), user, pass);
    switch (authorize(has, user, pass))
    {
    case Verdict::Ok:
        if (endpointRateRefused()) return;
        break;
    case Verdict::Limited:
        answerRefusal(ErrorKind::Limited, _refusalRule, 1000);
        return;
    case Verdict::BadCredentials:
    {
        long long delay = _core.throttle.fail(_peerText, _core.now());
        if (_ep) _ep->countError(ErrorKind::Auth);
        respondHttp(407, has ? "proxy authentication failed" : "proxy authentication required",
            "Proxy-Authenticate: Basic realm=\"steadyproxy\"\r\n", delay);
        return;
    }
    case Verdict::Forbidden:
        if (_ep) _ep->countError(ErrorKind::Forbidden);
        respondHttp(403, "client address not allowed for this endpoint", "");
        return;
    case Verdict::Disabled:
        if (_ep) _ep->countError(ErrorKind::Forbidden);
        respondHttp(403, "endpoint is disabled", "");
        return;
    }
    auto up = _ep->upstream();
    if (!up)
    {
        _up.reset();
        _ep->countError(ErrorKind::NoUpstream);
        respondHttp(502, "no upstream yet", "");
        return;
    }
    _tunnel = _req.isConnect;
    _upgrade = !_req.upgrade.empty();
    if (!_tunnel && !_upgrade && _ufd >= 0 && _upState == UpState::Ready && _upReusable && !_upEof && _up == up
        && (up->kind == Upstream::Kind::Http || (_targetHost == _req.host && _targetPort == _req.port)))
    {
        _upReused = true;
        beginExchange();
        return;
    }
    dropUpstream();
    _upReused = false;
    dial(up, _req.host, _req.port);
}

// ---------------------------------------------------------------------------------------
// SOCKS5 client side

void ProxyConnection::processSocks()
{
    while (_phase == Phase::Socks && !_cin.empty())
    {
        std::size_t used = 0;
        auto step = _socks.feed(_cin.data(), _cin.size(), used);
        _cin.erase(0, used);
        switch (step)
        {
        case Socks5ServerHandshake::Step::NeedMore:
            if (_cin.size() > 1024) closeNow();
            return;
        case Socks5ServerHandshake::Step::Error:
            _rec = AccessRecord();
            _rec.time = _core.now();
            _rec.method = "SOCKS5";
            _rec.status = _socks.errorReply();
            _recOpen = true;
            if (_socks.errorReply()) respondSocks(socks5::reply(_socks.errorReply()));
            else closeNow();
            return;
        case Socks5ServerHandshake::Step::Greeting:
        {
            bool needAuth = _gateway;
            if (!_gateway)
            {
                auto a = _ep->access();
                needAuth = !(a->username.empty() && a->password.empty());
            }
            if (needAuth || !_socks.offers(socks5::MethodNone))
            {
                if (!_socks.offers(socks5::MethodUserPass))
                {
                    respondSocks(std::string("\x05\xff", 2));
                    return;
                }
                sendClient(std::string("\x05\x02", 2));
                _socks.expectAuth();
            }
            else
            {
                Verdict v = authorize(false, "", "");
                if (v == Verdict::Limited)
                {
                    // counted and logged; answered with "not allowed by ruleset" at the request
                    _refusal = Refusal::Limited;
                    _refusalCounted = true;
                    v = Verdict::Ok;
                }
                if (v != Verdict::Ok)
                {
                    respondSocks(std::string("\x05\xff", 2));
                    return;
                }
                sendClient(std::string("\x05\x00", 2));
            }
            break;
        }
        case Socks5ServerHandshake::Step::Auth:
        {
            Verdict v = authorize(true, _socks.username(), _socks.password());
            if (v == Verdict::Limited)
            {
                _refusal = Refusal::Limited; // the credentials were right; refused at the request
                _refusalCounted = true;
                v = Verdict::Ok;
            }
            if (v != Verdict::Ok)
            {
                long long delay = v == Verdict::BadCredentials ? _core.throttle.fail(_peerText, _core.now()) : 0;
                if (_ep) _ep->countError(v == Verdict::BadCredentials ? ErrorKind::Auth : ErrorKind::Forbidden);
                respondSocks(std::string("\x01\x01", 2), delay);
                return;
            }
            sendClient(std::string("\x01\x00", 2));
            break;
        }
        case Socks5ServerHandshake::Step::Request:
        {
            _rec = AccessRecord();
            _rec.time = _core.now();
            _rec.method = "SOCKS5";
            _rec.target = authorityOf(_socks.host(), _socks.port());
            _rec.protocol = "SOCKS5";
            _recOpen = true;
            if (refuseRequest()) return;
            if (!_counted)
            {
                closeNow();
                return;
            }
            if (_socks.command() != 1)
            {
                _rec.status = socks5::CommandNotSupported;
                respondSocks(socks5::reply(socks5::CommandNotSupported));
                return;
            }
            if (endpointRateRefused()) return;
            auto up = _ep->upstream();
            if (!up)
            {
                _ep->countError(ErrorKind::NoUpstream);
                _rec.status = socks5::GeneralFailure;
                respondSocks(socks5::reply(socks5::GeneralFailure));
                return;
            }
            _tunnel = true;
            dial(up, _socks.host(), _socks.port());
            return;
        }
        }
    }
}

// ---------------------------------------------------------------------------------------
// upstream side

void ProxyConnection::dial(std::shared_ptr<const Upstream> up, const std::string& host, std::uint16_t port)
{
    _up = std::move(up);
    _rec.upstream = _up->describe();
    _targetHost = host;
    _targetPort = port;
    _phase = Phase::Connecting;
    _deadline = _core.now() + _core.settings.connectTimeoutMs;
    _addrs.clear();
    _addrIndex = 0;
    _lastConnectError = 0;
    _refusedInternal.clear();
    bool direct = _up->kind == Upstream::Kind::Direct;
    const std::string& h = direct ? host : _up->host;
    std::uint16_t p = direct ? port : _up->port;
    sockaddr_storage ss;
    if (parseIpLiteral(h, p, ss))
    {
        _addrs.push_back(ss);
        connectNext();
        return;
    }
    _upState = UpState::Resolving;
    int seq = ++_dialSeq;
    Worker* w = &_worker;
    std::uint64_t id = _id;
    _core.resolver.resolve(h, p, [w, id, seq](Resolved r) {
        w->loop.post([w, id, seq, r = std::move(r)]() mutable {
            auto it = w->connections.find(id);
            if (it != w->connections.end()) it->second->onResolved(seq, std::move(r));
        });
    });
}

void ProxyConnection::onResolved(int seq, Resolved result)
{
    if (_phase == Phase::Closed || seq != _dialSeq || _upState != UpState::Resolving) return;
    if (result.addresses.empty())
    {
        fail(502, socks5::HostUnreachable, result.error, _up->kind != Upstream::Kind::Direct);
    }
    else
    {
        _addrs = std::move(result.addresses);
        connectNext();
    }
    if (_phase != Phase::Closed) updateInterest();
}

void ProxyConnection::connectNext()
{
    while (_addrIndex < _addrs.size())
    {
        const sockaddr_storage& a = _addrs[_addrIndex++];
        // SSRF guard: an upstream proxy (an address from a provider's answer) never leads to
        // this host's own services or the cloud metadata address
        const char* internal = _up->kind == Upstream::Kind::Direct ? nullptr : internalAddressKind(a);
        if (internal && !_core.settings.allowInternalUpstreams)
        {
            _refusedInternal = addressText(a) + ", a " + internal + " address";
            continue;
        }
        int fd = ::socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) { _lastConnectError = errno; continue; }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        socklen_t len = a.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), len) == 0 || errno == EINPROGRESS)
        {
            _ufd = fd;
            _upState = UpState::Connecting;
            _upEof = _uShut = false;
            _uev = EPOLLOUT;
            _worker.loop.add(fd, _uev, &_uside);
            return;
        }
        _lastConnectError = errno;
        ::close(fd);
    }
    int e = _lastConnectError;
    std::string where = _up->kind == Upstream::Kind::Direct ? authorityOf(_targetHost, _targetPort) : "upstream " + _up->describe();
    if (!_refusedInternal.empty() && e == 0)
    {
        fail(502, socks5::NotAllowed, where + " is at " + _refusedInternal + ": refused (plugins.proxy.forward.allow_internal_upstreams)", true);
        return;
    }
    std::string why = e == ECONNREFUSED ? "refused the connection" : std::string("is unreachable (") + std::strerror(e) + ")";
    std::uint8_t code = e == ECONNREFUSED ? socks5::ConnectionRefused
        : (e == ENETUNREACH ? socks5::NetworkUnreachable : (e == ETIMEDOUT ? socks5::TtlExpired : socks5::HostUnreachable));
    fail(e == ETIMEDOUT ? 504 : 502, code, where + " " + why, true);
}

void ProxyConnection::onConnected()
{
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(_ufd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0)
    {
        _worker.loop.remove(_ufd);
        ::close(_ufd);
        _ufd = -1;
        _uev = 0;
        _lastConnectError = err;
        connectNext();
        return;
    }
    startHandshake();
}

std::string ProxyConnection::proxyAuthorization() const
{
    if (!_up || (_up->username.empty() && _up->password.empty())) return "";
    std::ostringstream out;
    Poco::Base64Encoder enc(out);
    enc.rdbuf()->setLineLength(0);
    enc << _up->username << ':' << _up->password;
    enc.close();
    return "Basic " + out.str();
}

void ProxyConnection::startHandshake()
{
    _upState = UpState::Handshake;
    _uin.clear();
    switch (_up->kind)
    {
    case Upstream::Kind::Http:
        if (!_tunnel && !_upgrade)
        {
            upstreamReady("");
            return;
        }
        {
            std::string a = authorityOf(_targetHost, _targetPort);
            std::string req = "CONNECT " + a + " HTTP/1.1\r\nHost: " + a + "\r\n";
            std::string auth = proxyAuthorization();
            if (!auth.empty()) req += "Proxy-Authorization: " + auth + "\r\n";
            req += "\r\n";
            _rparser.reset(false);
            sendUpstream(req);
        }
        break;
    case Upstream::Kind::Socks5:
        sendUpstream(_sockc.start(_targetHost, _targetPort, _up->username, _up->password));
        break;
    case Upstream::Kind::Direct:
        upstreamReady("");
        return;
    }
}

void ProxyConnection::onHandshakeData()
{
    if (_up->kind == Upstream::Kind::Http)
    {
        std::size_t used = 0;
        auto st = _rparser.feed(_uin.data(), _uin.size(), used);
        if (st == HttpResponseParser::Status::NeedMore) return;
        if (st == HttpResponseParser::Status::Error)
        {
            fail(502, socks5::GeneralFailure, "upstream " + _up->describe() + " sent a malformed answer to CONNECT: " + _rparser.errorReason(), true);
            return;
        }
        int status = _rparser.response().status;
        if (status >= 200 && status < 300)
        {
            upstreamReady(_uin.substr(used));
            return;
        }
        std::string reason = "upstream " + _up->describe() + " answered CONNECT with " + std::to_string(status) + " " + _rparser.response().reason;
        if (status == 407)
            fail(502, socks5::GeneralFailure, "upstream " + _up->describe() + " rejected the credentials (407)", true);
        else
            fail(status == 504 ? 504 : 502, status == 504 ? socks5::TtlExpired : socks5::HostUnreachable, reason, false);
        return;
    }
    for (;;)
    {
        std::size_t used = 0;
        std::string out;
        auto step = _sockc.feed(_uin.data(), _uin.size(), used, out);
        _uin.erase(0, used);
        switch (step)
        {
        case Socks5ClientHandshake::Step::NeedMore: return;
        case Socks5ClientHandshake::Step::Send:
            sendUpstream(out);
            if (_uin.empty() || _phase == Phase::Closed) return;
            continue;
        case Socks5ClientHandshake::Step::Done:
        {
            std::string rest;
            rest.swap(_uin);
            upstreamReady(std::move(rest));
            return;
        }
        case Socks5ClientHandshake::Step::Error:
        {
            std::uint8_t code = _sockc.replyCode();
            bool upstreamFault = _sockc.authFailed() || code == socks5::GeneralFailure;
            int http = code == socks5::TtlExpired ? 504 : 502;
            fail(http, code ? code : socks5::GeneralFailure, _sockc.error() + " (upstream " + _up->describe() + ")", upstreamFault);
            return;
        }
        }
    }
}

void ProxyConnection::upstreamReady(std::string leftover)
{
    _upState = UpState::Ready;
    _upReusable = true;
    _lastActivity = _core.now();
    if (_tunnel)
    {
        if (_socksMode) enterTunnel(socks5::Succeeded, socks5::reply(socks5::Succeeded), std::move(leftover));
        else enterTunnel(200, "HTTP/1.1 200 Connection established\r\n\r\n", std::move(leftover));
        return;
    }
    beginExchange();
    // (an upstream HTTP proxy's CONNECT for a WebSocket handshake: whatever came behind its
    // 200 is the origin's answer already)
    if (!leftover.empty() && _phase == Phase::Exchange) onUpstreamData(leftover.data(), leftover.size());
}

void ProxyConnection::beginExchange()
{
    bool absolute = _up->kind == Upstream::Kind::Http && !_upgrade;
    _rec.upstream = _up->describe();
    _phase = Phase::Exchange;
    _reqBodyDone = _req.body == HttpRequest::Body::None;
    _reqLeft = _req.contentLength;
    _reqChunks.reset();
    _rparser.reset(_req.method == "HEAD");
    _respHeadDone = false;
    _uin.clear();
    _lastActivity = _core.now();
    sendUpstream(buildUpstreamRequest(_req, absolute, absolute ? proxyAuthorization() : std::string()));
    if (!_reqBodyDone && !_cin.empty() && _phase == Phase::Exchange)
    {
        std::string buf;
        buf.swap(_cin);
        std::size_t k = consumeRequestBody(buf.data(), buf.size());
        if (_phase == Phase::Exchange) _cin.assign(buf, k, std::string::npos);
    }
}

std::size_t ProxyConnection::consumeRequestBody(const char* p, std::size_t n)
{
    std::size_t k = 0;
    if (_req.body == HttpRequest::Body::Length)
    {
        k = static_cast<std::size_t>(std::min<std::uint64_t>(n, _reqLeft));
        _reqLeft -= k;
        if (_reqLeft == 0) _reqBodyDone = true;
    }
    else if (_req.body == HttpRequest::Body::Chunked)
    {
        k = _reqChunks.feed(p, n, nullptr);
        if (_reqChunks.failed())
        {
            if (_ep) _ep->countError(ErrorKind::Protocol);
            dropUpstream();
            respondHttp(400, "malformed chunked request body", "");
            return n;
        }
        if (_reqChunks.done()) _reqBodyDone = true;
    }
    addIn(k);
    sendUpstream(p, k);
    return k;
}

void ProxyConnection::onUpstreamData(const char* p, std::size_t n)
{
    if (_upState == UpState::Handshake)
    {
        _uin.append(p, n);
        onHandshakeData();
        return;
    }
    switch (_phase)
    {
    case Phase::Tunnel:
        addOut(n);
        sendClient(p, n);
        return;
    case Phase::Exchange:
        break;
    default:
        // An idle upstream connection must not talk; it cannot be reused.
        dropUpstream();
        return;
    }
    if (_respHeadDone)
    {
        onResponseBody(p, n);
        return;
    }
    _uin.append(p, n);
    for (;;)
    {
        std::size_t used = 0;
        auto st = _rparser.feed(_uin.data(), _uin.size(), used);
        if (st == HttpResponseParser::Status::NeedMore) return;
        if (st == HttpResponseParser::Status::Error)
        {
            fail(502, 0, "bad response from upstream " + _up->describe() + ": " + _rparser.errorReason(), true);
            return;
        }
        const HttpResponse& r = _rparser.response();
        if (r.status == 407 && _up->kind == Upstream::Kind::Http)
        {
            fail(502, 0, "upstream " + _up->describe() + " rejected the credentials (407)", true);
            return;
        }
        if (r.status < 200)
        {
            if (r.status == 101)
            {
                const std::string* up = nullptr;
                for (const auto& h : r.headers)
                    if (equalsNoCase(h.name, "upgrade")) up = &h.value;
                bool named = std::find(r.connectionTokens.begin(), r.connectionTokens.end(), "upgrade") != r.connectionTokens.end();
                if (!_upgrade || !up || !named || !equalsNoCase(*up, _req.upgrade))
                {
                    fail(502, 0, _upgrade ? "upstream answered the WebSocket handshake with a 101 that does not upgrade to websocket"
                                          : "upstream switched protocols without being asked to", false);
                    return;
                }
                std::string rest = _uin.substr(used);
                _uin.clear();
                switchProtocols(r, std::move(rest));
                return;
            }
            if (_req.versionMinor == 1) sendClient(buildClientResponse(r, false, false));
            _uin.erase(0, used);
            _rparser.reset(_req.method == "HEAD");
            if (_uin.empty()) return;
            continue;
        }
        _resp = r;
        _respHeadDone = true;
        _rec.status = r.status;
        _decode = r.body == HttpResponse::Body::Chunked && _req.versionMinor == 0;
        _closeAfter = _closeAfter || _clientEof || r.body == HttpResponse::Body::UntilClose || _decode || _core.draining;
        _upReusable = r.keepAlive && !_upgrade; // (after a refused upgrade the connection may be a CONNECT tunnel)
        // The head and the body bytes that arrived with it leave in one send(): one segment
        // (and one wake-up of the client) for a small response instead of two.
        _corkClient = true;
        sendClient(buildClientResponse(r, _decode, _closeAfter));
        _respLeft = r.contentLength;
        _respChunks.reset();
        std::string rest = _uin.substr(used);
        _uin.clear();
        if (r.body == HttpResponse::Body::None)
        {
            if (!rest.empty()) _upReusable = false;
            responseDone();
        }
        else if (!rest.empty()) onResponseBody(rest.data(), rest.size());
        uncorkClient();
        return;
    }
}

void ProxyConnection::switchProtocols(const HttpResponse& r, std::string rest)
{
    // The client gets the 101 with its end-to-end headers (Sec-WebSocket-Accept, ...) and
    // the upgrade named again; from here on both ways are a byte tunnel, like CONNECT.
    std::string head = buildClientResponse(r, false, false);
    head.insert(head.size() - 2, "Connection: Upgrade\r\nUpgrade: " + _req.upgrade + "\r\n");
    _upReusable = false;
    _tunnel = true;
    _lastActivity = _core.now();
    enterTunnel(101, head, std::move(rest));
}

void ProxyConnection::enterTunnel(int status, const std::string& answer, std::string fromUpstream)
{
    _phase = Phase::Tunnel;
    _rec.status = status;
    sendClient(answer);
    if (!fromUpstream.empty())
    {
        addOut(fromUpstream.size());
        sendClient(fromUpstream);
    }
    if (!_cin.empty() && _phase == Phase::Tunnel)
    {
        std::string data;
        data.swap(_cin);
        addIn(data.size());
        sendUpstream(data);
    }
    if (_phase == Phase::Tunnel) checkHalfClose();
}

void ProxyConnection::onResponseBody(const char* p, std::size_t n)
{
    switch (_resp.body)
    {
    case HttpResponse::Body::Length:
    {
        std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, _respLeft));
        addOut(k);
        sendClient(p, k);
        _respLeft -= k;
        if (k < n) _upReusable = false;
        if (_respLeft == 0 && _phase == Phase::Exchange) responseDone();
        break;
    }
    case HttpResponse::Body::Chunked:
    {
        std::size_t k;
        if (_decode)
        {
            std::string d;
            k = _respChunks.feed(p, n, &d);
            addOut(d.size());
            sendClient(d);
        }
        else
        {
            k = _respChunks.feed(p, n, nullptr);
            addOut(k);
            sendClient(p, k);
        }
        if (_respChunks.failed())
        {
            fail(502, 0, "malformed chunked body from upstream", true);
            closeNow();
            return;
        }
        if (k < n) _upReusable = false;
        if (_respChunks.done() && _phase == Phase::Exchange) responseDone();
        break;
    }
    case HttpResponse::Body::UntilClose:
        addOut(n);
        sendClient(p, n);
        break;
    case HttpResponse::Body::None:
        _upReusable = false;
        break;
    }
}

void ProxyConnection::responseDone()
{
    uncorkClient(); // the response is complete: send it before anything else happens
    logRecord();
    if (!_reqBodyDone) _closeAfter = true;
    if (!_upReusable) dropUpstream();
    if (_closeAfter || _core.draining)
    {
        startClosing();
        return;
    }
    _phase = Phase::HttpHead;
    _deadline = _core.now() + _core.settings.headerTimeoutMs;
    process();
}

void ProxyConnection::onUpstreamEof(int error)
{
    if (_phase == Phase::Closed) return;
    if (_upState == UpState::Handshake || _upState == UpState::Connecting)
    {
        fail(502, socks5::GeneralFailure, "upstream " + _up->describe() + " closed the connection during the handshake"
            + (error ? std::string(" (") + std::strerror(error) + ")" : std::string()), true);
        return;
    }
    switch (_phase)
    {
    case Phase::Exchange:
        if (!_respHeadDone)
        {
            retryOrFail("upstream " + _up->describe() + " closed the connection before answering");
            return;
        }
        if (_resp.body == HttpResponse::Body::UntilClose && !error)
        {
            _upReusable = false;
            _closeAfter = true;
            responseDone();
            return;
        }
        closeNow(); // truncated response: the client must see the connection end
        return;
    case Phase::Tunnel:
        if (error)
        {
            closeNow();
            return;
        }
        _upEof = true;
        checkHalfClose();
        return;
    default:
        dropUpstream();
        return;
    }
}

void ProxyConnection::retryOrFail(const std::string& why)
{
    // A kept-alive upstream connection may have been closed just as we reused it: retry
    // once on a fresh connection when nothing of the request body could have been lost.
    if (_upReused && _uin.empty() && _req.body == HttpRequest::Body::None)
    {
        dropUpstream();
        _upReused = false;
        dial(_up, _req.host, _req.port);
        return;
    }
    fail(502, 0, why, true);
}

// ---------------------------------------------------------------------------------------
// answers and timers

void ProxyConnection::fail(int httpStatus, std::uint8_t socksCode, const std::string& reason, bool publish)
{
    if (_phase == Phase::Closed) return;
    uncorkClient(); // what the client was already given of a response goes out first
    if (_phase == Phase::Closed) return;
    if (publish) _core.publishFailure(_ep.get(), _up.get(), reason);
    if (_ep) _ep->countError(httpStatus == 504 ? ErrorKind::UpstreamTimeout : ErrorKind::UpstreamFailure);
    dropUpstream();
    if (_socksMode)
    {
        _rec.status = socksCode ? socksCode : socks5::GeneralFailure;
        respondSocks(socks5::reply(_rec.status));
    }
    else if (_respHeadDone && _phase == Phase::Exchange)
        closeNow(); // the client already has part of a response
    else
        respondHttp(httpStatus, reason, "");
}

void ProxyConnection::respondHttp(int status, const std::string& reason, const std::string& extraHeaders, long long delayMs)
{
    _rec.status = status;
    if (_recOpen) logRecord();
    std::string body = reason + "\n";
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + statusText(status) + "\r\n" + extraHeaders
        + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(body.size())
        + "\r\nConnection: close\r\n\r\n" + body;
    dropUpstream();
    _phase = Phase::Closing;
    _deadline = _core.now() + 10000;
    if (delayMs > 0)
    {
        _held = std::move(out);
        _wakeAt = _core.now() + delayMs;
        _deadline = _wakeAt + 10000;
        return;
    }
    sendClient(out);
    startClosing();
}

void ProxyConnection::respondSocks(const std::string& bytes, long long delayMs)
{
    if (_recOpen) logRecord();
    dropUpstream();
    _phase = Phase::Closing;
    _deadline = _core.now() + 10000;
    if (delayMs > 0)
    {
        _held = bytes;
        _wakeAt = _core.now() + delayMs;
        _deadline = _wakeAt + 10000;
        return;
    }
    sendClient(bytes);
    startClosing();
}

void ProxyConnection::startClosing()
{
    if (_phase == Phase::Closed) return;
    if (_recOpen) logRecord();
    _phase = Phase::Closing;
    _deadline = _core.now() + 10000;
    if (_ufd >= 0) dropUpstream();
    if (_clientEof && _coutOff >= _cout.size() && _held.empty())
    {
        closeNow();
        return;
    }
    if (_coutOff >= _cout.size() && _held.empty()) afterClientDrained();
}

void ProxyConnection::onTick(long long now)
{
    if (_phase == Phase::Closed) return;
    if (!_held.empty())
    {
        if (now < _wakeAt) return;
        std::string h;
        h.swap(_held);
        sendClient(h);
        startClosing();
        if (_phase != Phase::Closed) updateInterest();
        return;
    }
    switch (_phase)
    {
    case Phase::ProxyHeader:
    case Phase::Detect:
    case Phase::Socks:
        if (now > _deadline) closeNow();
        break;
    case Phase::HttpHead:
        if (now > _deadline)
        {
            if (_parser.started() || !_cin.empty())
            {
                _rec = AccessRecord();
                _rec.time = now;
                _rec.method = "?";
                _recOpen = true;
                respondHttp(408, "request header not received in time", "");
            }
            else closeNow();
        }
        break;
    case Phase::Connecting:
        if (now > _deadline)
        {
            std::string what = _upState == UpState::Handshake ? " did not complete the handshake" : " did not accept the connection";
            fail(504, socks5::TtlExpired, "upstream " + upstreamName() + what + " within "
                + std::to_string(_core.settings.connectTimeoutMs / 1000) + " s", true);
        }
        break;
    case Phase::Exchange:
    case Phase::Tunnel:
        // an idle tunnel gives its splice pipes back (they hold two descriptors each)
        if (now - _lastActivity > 1000) closePipes(true);
        if (now - _lastActivity > _core.settings.idleTimeoutMs)
        {
            if (_phase == Phase::Exchange && !_respHeadDone)
                fail(504, 0, "upstream " + upstreamName() + " did not answer in time", false);
            else closeNow();
        }
        else if (_phase == Phase::Tunnel && _core.settings.drainMs > 0 && _ep)
        {
            long long changedAt = 0;
            auto current = _ep->upstream(changedAt);
            if (current != _up && now - changedAt > _core.settings.drainMs) closeNow();
        }
        break;
    case Phase::Closing:
        if (now > _deadline) closeNow();
        break;
    case Phase::Closed:
        break;
    }
    if (_phase != Phase::Closed) updateInterest();
}

} // namespace steadyproxy::forward
