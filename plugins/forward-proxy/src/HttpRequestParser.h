#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace steadyproxy::forward {

/// One header as parsed: the name as received, the value without surrounding whitespace.
struct HttpHeader
{
    std::string name;
    std::string value;
};

/// A request head accepted by HttpRequestParser, with what the proxy derives from it.
struct HttpRequest
{
    enum class Body { None, Length, Chunked };

    std::string method;
    std::string target;              ///< the request-target as received
    int versionMinor = 1;            ///< HTTP/1.<versionMinor> (0 or 1)
    std::vector<HttpHeader> headers; ///< in the order received

    bool isConnect = false;
    std::string host;                ///< target host; IPv6 without brackets
    std::uint16_t port = 0;
    std::string authority;           ///< host[:port] for the Host header (brackets kept)
    std::string pathAndQuery;        ///< origin-form ("/" when the target had no path)

    Body body = Body::None;
    std::uint64_t contentLength = 0;
    std::string transferCoding;      ///< normalised Transfer-Encoding list (ends with "chunked")
    bool keepAlive = true;           ///< the client allows another request on this connection
    std::vector<std::string> connectionTokens; ///< lower-case names listed in Connection
    /// The Upgrade header's value when this is a WebSocket opening handshake (RFC 6455: a
    /// GET over HTTP/1.1 without a body, "Upgrade: websocket", "upgrade" in Connection);
    /// empty otherwise, and then Upgrade is removed like any hop-by-hop header.
    std::string upgrade;

    /// The first value of a header (case-insensitive name), or nullptr.
    const std::string* find(std::string_view name) const;
};

/// A strict, incremental HTTP/1.1 request-head parser for proxy requests (absolute-form
/// and CONNECT authority-form). Pure: works on bytes only, keeps at most one partial line.
///
/// Rejects (errorStatus() 400 unless noted, the connection must then be closed): bare LF,
/// control characters, obs-fold, whitespace before a colon, malformed request line or
/// target, request line over 8 KiB (414), header block over 64 KiB or more than 100
/// headers (431), both Content-Length and Transfer-Encoding, duplicate or malformed
/// Content-Length, a Transfer-Encoding whose final coding is not chunked, Transfer-Encoding
/// in HTTP/1.0, a missing or repeated Host in HTTP/1.1.
class HttpRequestParser
{
public:
    enum class Status { NeedMore, Done, Error };

    static constexpr std::size_t MaxRequestLine = 8192;
    static constexpr std::size_t MaxHeaderBlock = 65536;
    static constexpr std::size_t MaxHeaders = 100;

    HttpRequestParser() { reset(); }

    /// Forgets everything; ready for the next request.
    void reset();

    /// Parses as much of `data` as belongs to the head. `consumed` is set to the number of
    /// bytes used (on Done, the bytes after it are the body or the next request).
    Status feed(const char* data, std::size_t len, std::size_t& consumed);

    /// True when part of a head was received (so an EOF now is a truncated request).
    bool started() const { return _state != State::RequestLine || !_line.empty() || _emptyLines > 0; }

    const HttpRequest& request() const { return _request; }
    HttpRequest& request() { return _request; }
    int errorStatus() const { return _errorStatus; }
    const std::string& errorReason() const { return _errorReason; }

private:
    enum class State { RequestLine, Headers, Finished, Failed };
    Status fail(int status, std::string reason);
    Status onLine(std::string_view line);
    Status onRequestLine(std::string_view line);
    Status onHeaderLine(std::string_view line);
    Status finish();

    State _state = State::RequestLine;
    std::string _line;
    std::size_t _headerBytes = 0;
    int _emptyLines = 0;
    HttpRequest _request;
    int _errorStatus = 0;
    std::string _errorReason;
};

/// Parses "host:port" / "[v6]:port" (port required when `defaultPort` is 0). Returns false
/// for anything that is not a plain host name, IPv4 or bracketed IPv6 literal.
bool parseAuthority(std::string_view text, std::uint16_t defaultPort, std::string& host, std::uint16_t& port);

/// True for an RFC 9110 token character.
bool isTokenChar(unsigned char c);

/// Case-insensitive ASCII comparison.
bool equalsNoCase(std::string_view a, std::string_view b);

/// The request head to send upstream, rebuilt from the parsed form: absolute-form (to an
/// HTTP proxy) or origin-form, Host from the target, hop-by-hop headers and those named in
/// Connection, Proxy-Connection and Proxy-Authorization removed, framing re-declared.
/// `proxyAuthorization` (already "Basic ...") is added when not empty.
std::string buildUpstreamRequest(const HttpRequest& request, bool absoluteForm, const std::string& proxyAuthorization);

/// True for headers a proxy must not forward (RFC 9110 7.6.1 plus proxy headers).
bool isHopByHop(std::string_view lowerName);

} // namespace steadyproxy::forward
