#pragma once
#include "HttpRequestParser.h"
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace steadyproxy::forward {

/// An upstream response head and the framing of its body.
struct HttpResponse
{
    enum class Body { None, Length, Chunked, UntilClose };
    int versionMinor = 1;
    int status = 0;
    std::string reason;
    std::vector<HttpHeader> headers;
    Body body = Body::UntilClose;
    std::uint64_t contentLength = 0;
    bool keepAlive = true; ///< the upstream connection may carry another request
    std::vector<std::string> connectionTokens;
};

/// Incremental parser for a response head from an upstream (an HTTP proxy answering
/// CONNECT, or an origin/proxy answering a forwarded request). Bounded like the request
/// parser (64 KiB, 100 headers); tolerates bare LF from upstreams but never ambiguous
/// framing (conflicting Content-Length is an error).
class HttpResponseParser
{
public:
    enum class Status { NeedMore, Done, Error };
    void reset(bool headRequest = false);
    Status feed(const char* data, std::size_t len, std::size_t& consumed);
    const HttpResponse& response() const { return _response; }
    const std::string& errorReason() const { return _error; }

private:
    Status fail(std::string reason);
    Status onLine(std::string_view line);
    Status finish();
    bool _headRequest = false;
    bool _statusSeen = false;
    bool _failed = false;
    bool _done = false;
    std::string _line;
    std::size_t _bytes = 0;
    HttpResponse _response;
    std::string _error;
};

/// The response head for the client, rebuilt from the parsed form (hop-by-hop headers and
/// those named in Connection removed, framing re-declared). `decodeChunked`: the body will
/// be sent de-chunked and close-delimited (HTTP/1.0 clients). `close`: add Connection: close.
std::string buildClientResponse(const HttpResponse& response, bool decodeChunked, bool close);

/// Follows a chunked body byte by byte (sizes, extensions, data, trailers) so a proxy can
/// relay it verbatim or de-chunked and know exactly where it ends. Pure.
class ChunkedDecoder
{
public:
    void reset();
    /// Consumes bytes up to the end of the body; returns how many were used. Payload bytes
    /// are appended to `decoded` when it is not null. Check failed() / done() afterwards.
    std::size_t feed(const char* data, std::size_t len, std::string* decoded);
    bool done() const { return _state == State::Done; }
    bool failed() const { return _state == State::Failed; }

private:
    enum class State { Size, Extension, SizeLf, Data, DataCr, DataLf, Trailer, TrailerLf, Done, Failed };
    State _state = State::Size;
    std::uint64_t _size = 0;
    int _digits = 0;
    std::size_t _lineBytes = 0;
    bool _trailerEmpty = true;
    std::size_t _trailerBytes = 0;
};

} // namespace steadyproxy::forward
