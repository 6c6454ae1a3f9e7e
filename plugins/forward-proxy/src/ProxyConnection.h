#pragma once
#include "AccessLog.h"
#include "EventLoop.h"
#include "HttpRequestParser.h"
#include "HttpResponseHead.h"
#include "ProxyCore.h"
#include "Socks5.h"
#include <memory>
#include <string>
#include <vector>
#include <sys/socket.h>
#include <sys/types.h>

namespace steadyproxy::forward {

/// One client connection and (at most) one upstream connection, driven by its worker's
/// event loop: HTTP proxy requests (keep-alive, pipelining), CONNECT and SOCKS5 tunnels.
/// Lives on one loop thread; created and destroyed there.
class ProxyConnection
{
public:
    ProxyConnection(ProxyCore& core, Worker& worker, std::uint64_t id, int fd, const sockaddr_storage& peer,
        std::shared_ptr<Endpoint> endpoint);
    ~ProxyConnection();

    void begin();
    void onTick(long long now);
    /// Closes both sockets now; the object is destroyed after the current batch of events.
    void closeNow();
    /// A drain began: an idle keep-alive connection closes now, one that has not sent
    /// anything yet gets a short grace, everything else finishes its request or tunnel
    /// and then closes. Runs on the loop thread.
    void onDrain();
    bool closed() const { return _phase == Phase::Closed; }
    const std::shared_ptr<Endpoint>& endpoint() const { return _ep; }
    void onResolved(int seq, Resolved result);

private:
    enum class Phase { ProxyHeader, Detect, HttpHead, Socks, Connecting, Exchange, Tunnel, Closing, Closed };
    enum class UpState { None, Resolving, Connecting, Handshake, Ready };
    enum class Verdict { Ok, BadCredentials, Forbidden, Disabled, Limited };
    enum class Refusal { None, Denied, Limited };

    struct Side : IoHandler
    {
        ProxyConnection* self = nullptr;
        bool client = true;
        void onIo(std::uint32_t events) override { self->onIo(client, events); }
    };

    void onIo(bool client, std::uint32_t events);
    // access rules and limits (see Limits)
    void onProxyHeader();
    void admit();
    bool refuseRequest();
    bool endpointRateRefused();
    void refuse(ErrorKind kind, const std::string& rule, long long retryAfterMs);
    void answerRefusal(ErrorKind kind, const std::string& rule, long long retryAfterMs);
    std::size_t readBudget(bool client, std::size_t max = EventLoop::ScratchSize);
    void returnBudget(bool client, std::size_t granted, ssize_t used);
    void pauseReads(bool client, long long ms);
    void resumeReads(bool client);

    void readClient();
    void readUpstream();
    /// Tunnel bytes read from the client (`client`) or the upstream, moved with splice(2):
    /// socket -> this direction's pipe -> the other socket, never through user space.
    void spliceIn(bool client);
    void spliceOut(bool client);
    bool openPipe(bool client);
    /// `onlyEmpty`: only those holding no bytes (an idle tunnel gives them back).
    void closePipes(bool onlyEmpty = false);
    /// A side that has hung up (closed both ways) while we cannot read it yet (the other
    /// side is slow): it leaves the epoll set, which would report the hang-up endlessly,
    /// until its bytes can be read again.
    void park(bool client);
    void onClientData(const char* p, std::size_t n);
    void onClientEof();
    void onUpstreamData(const char* p, std::size_t n);
    void onUpstreamEof(int error);
    void process();
    void processHttp();
    void processSocks();

    Verdict authorize(bool hasCredentials, const std::string& user, const std::string& pass);
    void startRequest();
    void dial(std::shared_ptr<const Upstream> up, const std::string& host, std::uint16_t port);
    void connectNext();
    void onConnected();
    void startHandshake();
    void onHandshakeData();
    void upstreamReady(std::string leftover);
    void beginExchange();
    std::size_t consumeRequestBody(const char* p, std::size_t n);
    void onResponseBody(const char* p, std::size_t n);
    void switchProtocols(const HttpResponse& r, std::string rest);
    /// Both ways become a byte tunnel: the client gets `answer` (200, SOCKS5 success or
    /// 101), then the bytes the upstream sent behind its own answer; bytes the client sent
    /// early go upstream.
    void enterTunnel(int status, const std::string& answer, std::string fromUpstream);
    void responseDone();
    void retryOrFail(const std::string& why);

    /// Ends the request with an error for the client: HTTP status (with a one-line reason)
    /// or SOCKS5 reply code. `publish`: report it as an upstream failure.
    void fail(int httpStatus, std::uint8_t socksCode, const std::string& reason, bool publish);
    void respondHttp(int status, const std::string& reason, const std::string& extraHeaders, long long delayMs = 0);
    void respondSocks(const std::string& bytes, long long delayMs = 0);
    void startClosing();

    void sendClient(const char* p, std::size_t n);
    void sendClient(const std::string& s) { sendClient(s.data(), s.size()); }
    void sendUpstream(const char* p, std::size_t n);
    void sendUpstream(const std::string& s) { sendUpstream(s.data(), s.size()); }
    void flushClient();
    /// Ends a cork (sendClient() only queued while _corkClient) and sends what it queued.
    void uncorkClient();
    void flushUpstream();
    void afterClientDrained();
    void checkHalfClose();
    void dropUpstream();
    void updateInterest();
    /// Registers `want` for one side's socket (re-adding a parked one), as `current` says.
    void setInterest(int fd, std::uint32_t want, std::uint32_t& current, bool& parked, IoHandler* side);
    bool wantClientRead() const;
    bool wantUpstreamRead() const;
    void logRecord();
    std::string proxyAuthorization() const;
    std::string upstreamName() const { return _up ? _up->describe() : std::string("none"); }
    void addIn(std::size_t n);
    void addOut(std::size_t n);

    ProxyCore& _core;
    Worker& _worker;
    const std::uint64_t _id;
    int _cfd;
    int _ufd = -1;
    Side _cside, _uside;
    std::uint32_t _cev = 0, _uev = 0;
    sockaddr_storage _peer;
    std::string _peerText;
    std::shared_ptr<Endpoint> _ep;
    const bool _gateway;
    bool _counted = false;
    bool _socksMode = false;
    Phase _phase = Phase::Detect;
    UpState _upState = UpState::None;

    std::string _cin, _cout, _uout, _uin, _held;
    std::size_t _coutOff = 0, _uoutOff = 0;

    HttpRequestParser _parser;
    HttpRequest _req;
    HttpResponseParser _rparser;
    HttpResponse _resp;
    ChunkedDecoder _reqChunks, _respChunks;
    bool _reqBodyDone = true, _respHeadDone = false, _decode = false, _closeAfter = false;
    bool _corkClient = false; ///< a response head waits for the body bytes read with it
    std::uint64_t _reqLeft = 0, _respLeft = 0;

    Socks5ServerHandshake _socks;
    Socks5ClientHandshake _sockc;
    std::string _socksHost;
    std::uint16_t _socksPort = 0;

    std::shared_ptr<const Upstream> _up;
    std::string _targetHost;
    std::uint16_t _targetPort = 0;
    bool _tunnel = false;
    /// The request in flight is a WebSocket opening handshake: it goes to the origin in
    /// origin-form (through a CONNECT tunnel when the upstream is an HTTP proxy) on a fresh
    /// upstream connection, and a 101 answer turns the exchange into a tunnel.
    bool _upgrade = false;
    bool _upReusable = false, _upReused = false;
    int _dialSeq = 0;
    std::vector<sockaddr_storage> _addrs;
    std::size_t _addrIndex = 0;
    int _lastConnectError = 0;
    std::string _refusedInternal; ///< an upstream address refused by the SSRF guard, for the error

    bool _clientEof = false, _upEof = false, _cShut = false, _uShut = false;
    long long _deadline = 0, _lastActivity = 0, _wakeAt = 0;

    AccessRecord _rec;
    bool _recOpen = false;

    std::string _clientKey;        ///< the address counted in the client table
    bool _admitted = false;
    Refusal _refusal = Refusal::None; ///< decided at accept or in the SOCKS5 handshake, answered at the request
    bool _refusalCounted = false;
    std::string _refusalRule;
    bool _cPaused = false, _uPaused = false, _bwLimited = false; ///< reads paused by endpoint_bandwidth_bps
    bool _cParked = false, _uParked = false; ///< out of the epoll set, see park()

    /// One direction of a tunnel in splice mode: entered when a read fills the whole buffer
    /// (bulk traffic), left after a second without traffic, when the pipe is closed again,
    /// so that idle tunnels hold no pipe. `held`: bytes in the pipe not yet sent on.
    struct SplicePipe
    {
        int r = -1, w = -1;
        std::size_t held = 0;
        bool on = false;
    };
    SplicePipe _c2u, _u2c;
};

} // namespace steadyproxy::forward
