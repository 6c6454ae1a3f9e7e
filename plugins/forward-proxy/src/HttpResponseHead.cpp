#include "HttpResponseHead.h"
#include <algorithm>
#include <cstring>

namespace steadyproxy::forward {

namespace {
std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}
std::string lowerOf(std::string_view s)
{
    std::string o(s);
    for (auto& c : o)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return o;
}
std::vector<std::string> tokens(std::string_view v)
{
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= v.size())
    {
        std::size_t c = v.find(',', pos);
        if (c == std::string_view::npos) c = v.size();
        std::string_view t = trim(v.substr(pos, c - pos));
        if (!t.empty()) out.push_back(lowerOf(t));
        pos = c + 1;
    }
    return out;
}
} // namespace

void HttpResponseParser::reset(bool headRequest)
{
    _headRequest = headRequest;
    _statusSeen = _failed = _done = false;
    _line.clear();
    _bytes = 0;
    _response = HttpResponse();
    _error.clear();
}

HttpResponseParser::Status HttpResponseParser::fail(std::string reason)
{
    _failed = true;
    _error = std::move(reason);
    return Status::Error;
}

HttpResponseParser::Status HttpResponseParser::feed(const char* data, std::size_t len, std::size_t& consumed)
{
    consumed = 0;
    if (_failed) return Status::Error;
    if (_done) return Status::Done;
    while (consumed < len)
    {
        const char* start = data + consumed;
        const void* nl = std::memchr(start, '\n', len - consumed);
        std::size_t take = nl ? static_cast<const char*>(nl) - start : len - consumed;
        if (_bytes + _line.size() + take > 65536) return fail("upstream response head larger than 64 KiB");
        _line.append(start, take);
        consumed += take;
        if (!nl) return Status::NeedMore;
        ++consumed;
        if (!_line.empty() && _line.back() == '\r') _line.pop_back();
        _bytes += _line.size() + 2;
        Status s = onLine(_line);
        _line.clear();
        if (s != Status::NeedMore) return s;
    }
    return Status::NeedMore;
}

HttpResponseParser::Status HttpResponseParser::onLine(std::string_view line)
{
    for (unsigned char c : line)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return fail("control character in upstream response head");
    if (!_statusSeen)
    {
        if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') || line[8] != ' ')
            return fail("upstream did not answer with HTTP/1.x");
        _response.versionMinor = line[7] - '0';
        int status = 0;
        for (int i = 9; i < 12; ++i)
        {
            if (line[i] < '0' || line[i] > '9') return fail("malformed upstream status line");
            status = status * 10 + (line[i] - '0');
        }
        if (status < 100 || (line.size() > 12 && line[12] != ' ')) return fail("malformed upstream status line");
        _response.status = status;
        _response.reason = line.size() > 13 ? std::string(line.substr(13)) : std::string();
        _statusSeen = true;
        return Status::NeedMore;
    }
    if (line.empty()) return finish();
    if (line.front() == ' ' || line.front() == '\t') return fail("obsolete line folding in upstream response");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail("malformed upstream header line");
    std::string_view name = line.substr(0, colon);
    for (unsigned char c : name)
        if (!isTokenChar(c)) return fail("invalid upstream header name");
    if (_response.headers.size() >= 100) return fail("more than 100 upstream response headers");
    _response.headers.push_back({std::string(name), std::string(trim(line.substr(colon + 1)))});
    return Status::NeedMore;
}

HttpResponseParser::Status HttpResponseParser::finish()
{
    HttpResponse& r = _response;
    bool hasLength = false, chunked = false, hasTe = false, close = false, keepAlive = false;
    for (const auto& h : r.headers)
    {
        if (equalsNoCase(h.name, "content-length"))
        {
            // "n, n" repeated identical values are tolerated from upstreams; anything else is not.
            std::uint64_t value = 0;
            for (auto& t : tokens(h.value))
            {
                if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos)
                    return fail("malformed Content-Length from upstream");
                std::uint64_t v = std::stoull(t);
                if (hasLength && v != value && v != r.contentLength) return fail("conflicting Content-Length from upstream");
                value = v;
                r.contentLength = v;
                hasLength = true;
            }
        }
        else if (equalsNoCase(h.name, "transfer-encoding"))
        {
            hasTe = true;
            auto t = tokens(h.value);
            chunked = !t.empty() && t.back() == "chunked";
        }
        else if (equalsNoCase(h.name, "connection"))
        {
            for (auto& t : tokens(h.value))
            {
                if (t == "close") close = true;
                else if (t == "keep-alive") keepAlive = true;
                r.connectionTokens.push_back(t);
            }
        }
    }
    r.keepAlive = r.versionMinor == 1 ? !close : (keepAlive && !close);
    if (_headRequest || r.status == 204 || r.status == 304 || r.status < 200) r.body = HttpResponse::Body::None;
    else if (hasTe && chunked) r.body = HttpResponse::Body::Chunked;
    else if (hasTe) { r.body = HttpResponse::Body::UntilClose; r.keepAlive = false; }
    else if (hasLength) r.body = r.contentLength ? HttpResponse::Body::Length : HttpResponse::Body::None;
    else { r.body = HttpResponse::Body::UntilClose; r.keepAlive = false; }
    if (hasTe && hasLength) r.keepAlive = false; // RFC 9112 6.3: TE wins, connection not reused
    _done = true;
    return Status::Done;
}

std::string buildClientResponse(const HttpResponse& r, bool decodeChunked, bool close)
{
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + r.reason + "\r\n";
    for (const auto& h : r.headers)
    {
        std::string n = lowerOf(h.name);
        if (isHopByHop(n) || n == "content-length") continue;
        if (std::find(r.connectionTokens.begin(), r.connectionTokens.end(), n) != r.connectionTokens.end()) continue;
        out += h.name + ": " + h.value + "\r\n";
    }
    if (r.body == HttpResponse::Body::Chunked && !decodeChunked) out += "Transfer-Encoding: chunked\r\n";
    else if (r.body == HttpResponse::Body::Length || (r.body == HttpResponse::Body::None && r.contentLength))
        out += "Content-Length: " + std::to_string(r.contentLength) + "\r\n";
    else if (r.body == HttpResponse::Body::None && r.status >= 200 && r.status != 204 && r.status != 304)
        out += "Content-Length: 0\r\n";
    if (close) out += "Connection: close\r\n";
    out += "\r\n";
    return out;
}

void ChunkedDecoder::reset()
{
    *this = ChunkedDecoder();
}

std::size_t ChunkedDecoder::feed(const char* data, std::size_t len, std::string* decoded)
{
    std::size_t i = 0;
    while (i < len && _state != State::Done && _state != State::Failed)
    {
        unsigned char c = static_cast<unsigned char>(data[i]);
        switch (_state)
        {
        case State::Size:
        {
            int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
            if (v >= 0)
            {
                if (++_digits > 15) { _state = State::Failed; break; }
                _size = _size * 16 + v;
                ++i;
            }
            else if (_digits == 0) _state = State::Failed;
            else if (c == '\r') { _state = State::SizeLf; ++i; }
            else if (c == ';' || c == ' ' || c == '\t') { _state = State::Extension; _lineBytes = 0; ++i; }
            else _state = State::Failed;
            break;
        }
        case State::Extension:
            if (c == '\r') _state = State::SizeLf;
            else if ((c < 0x20 && c != '\t') || c == 0x7f || ++_lineBytes > 4096) { _state = State::Failed; break; }
            ++i;
            break;
        case State::SizeLf:
            if (c != '\n') { _state = State::Failed; break; }
            ++i;
            if (_size == 0) { _state = State::Trailer; _trailerEmpty = true; _lineBytes = 0; }
            else _state = State::Data;
            break;
        case State::Data:
        {
            std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(_size, len - i));
            if (decoded) decoded->append(data + i, take);
            i += take;
            _size -= take;
            if (_size == 0) _state = State::DataCr;
            break;
        }
        case State::DataCr:
            if (c != '\r') { _state = State::Failed; break; }
            _state = State::DataLf;
            ++i;
            break;
        case State::DataLf:
            if (c != '\n') { _state = State::Failed; break; }
            _state = State::Size;
            _size = 0;
            _digits = 0;
            ++i;
            break;
        case State::Trailer:
            if (c == '\r') _state = State::TrailerLf;
            else if ((c < 0x20 && c != '\t') || c == 0x7f || ++_trailerBytes > 65536) { _state = State::Failed; break; }
            else _trailerEmpty = false;
            ++i;
            break;
        case State::TrailerLf:
            if (c != '\n') { _state = State::Failed; break; }
            ++i;
            if (_trailerEmpty) _state = State::Done;
            else { _state = State::Trailer; _trailerEmpty = true; }
            break;
        default:
            break;
        }
    }
    return i;
}

} // namespace steadyproxy::forward
