#include "HttpRequestParser.h"
#include <algorithm>
#include <cstring>

namespace steadyproxy::forward {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

std::string toLower(std::string_view s)
{
    std::string out(s);
    for (auto& c : out) c = lower(c);
    return out;
}

std::string_view trimOws(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool isHostChar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool isIpv6Char(unsigned char c)
{
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

/// Splits a comma-separated list; false when an element is empty or not a token.
bool splitTokens(std::string_view value, std::vector<std::string>& out)
{
    std::size_t pos = 0;
    while (pos <= value.size())
    {
        std::size_t comma = value.find(',', pos);
        if (comma == std::string_view::npos) comma = value.size();
        std::string_view item = trimOws(value.substr(pos, comma - pos));
        if (item.empty()) return false;
        for (unsigned char c : item)
            if (!isTokenChar(c)) return false;
        out.push_back(toLower(item));
        pos = comma + 1;
    }
    return true;
}

} // namespace

bool isTokenChar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool equalsNoCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool isHopByHop(std::string_view n)
{
    static const char* names[] = {"connection", "keep-alive", "proxy-connection", "proxy-authorization",
        "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade"};
    for (const char* h : names)
        if (n == h) return true;
    return false;
}

bool parseAuthority(std::string_view text, std::uint16_t defaultPort, std::string& host, std::uint16_t& port)
{
    std::string_view rest;
    if (text.empty()) return false;
    if (text.front() == '[')
    {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos || close < 3) return false;
        std::string_view h = text.substr(1, close - 1);
        for (unsigned char c : h)
            if (!isIpv6Char(c)) return false;
        if (h.find(':') == std::string_view::npos) return false;
        host.assign(h);
        rest = text.substr(close + 1);
    }
    else
    {
        std::size_t colon = text.find(':');
        std::string_view h = text.substr(0, colon);
        if (h.empty() || h.size() > 253) return false;
        for (unsigned char c : h)
            if (!isHostChar(c)) return false;
        host.assign(h);
        rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
    }
    if (rest.empty())
    {
        if (defaultPort == 0) return false;
        port = defaultPort;
        return true;
    }
    if (rest.front() != ':') return false;
    rest.remove_prefix(1);
    if (rest.empty() || rest.size() > 5) return false;
    unsigned long value = 0;
    for (unsigned char c : rest)
    {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    if (value == 0 || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
    return true;
}

const std::string* HttpRequest::find(std::string_view name) const
{
    for (const auto& h : headers)
        if (equalsNoCase(h.name, name)) return &h.value;
    return nullptr;
}

void HttpRequestParser::reset()
{
    _state = State::RequestLine;
    _line.clear();
    _headerBytes = 0;
    _emptyLines = 0;
    _request = HttpRequest();
    _errorStatus = 0;
    _errorReason.clear();
}

HttpRequestParser::Status HttpRequestParser::fail(int status, std::string reason)
{
    _state = State::Failed;
    _errorStatus = status;
    _errorReason = std::move(reason);
    return Status::Error;
}

HttpRequestParser::Status HttpRequestParser::feed(const char* data, std::size_t len, std::size_t& consumed)
{
    consumed = 0;
    if (_state == State::Failed) return Status::Error;
    if (_state == State::Finished) return Status::Done;
    while (consumed < len)
    {
        const char* start = data + consumed;
        const void* nl = std::memchr(start, '\n', len - consumed);
        std::size_t take = nl ? static_cast<const char*>(nl) - start : len - consumed;
        std::size_t limit = _state == State::RequestLine ? MaxRequestLine + 1 : MaxHeaderBlock - _headerBytes;
        if (_line.size() + take > limit)
        {
            consumed += take;
            if (_state == State::RequestLine) return fail(414, "request line longer than 8 KiB");
            return fail(431, "request header block larger than 64 KiB");
        }
        _line.append(start, take);
        consumed += take;
        if (!nl) return Status::NeedMore;
        consumed += 1; // the LF
        if (_line.empty() || _line.back() != '\r') return fail(400, "bare LF line ending (CRLF required)");
        _line.pop_back();
        Status s = onLine(_line);
        _line.clear();
        if (s != Status::NeedMore) return s;
    }
    return Status::NeedMore;
}

HttpRequestParser::Status HttpRequestParser::onLine(std::string_view line)
{
    for (unsigned char c : line)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return fail(400, "control character in request head");
    if (_state == State::RequestLine)
    {
        if (line.empty())
        {
            if (++_emptyLines > 4) return fail(400, "too many empty lines before the request line");
            return Status::NeedMore;
        }
        return onRequestLine(line);
    }
    _headerBytes += line.size() + 2;
    if (_headerBytes > MaxHeaderBlock) return fail(431, "request header block larger than 64 KiB");
    if (line.empty()) return finish();
    return onHeaderLine(line);
}

HttpRequestParser::Status HttpRequestParser::onRequestLine(std::string_view line)
{
    std::size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 == 0) return fail(400, "malformed request line");
    std::size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return fail(400, "malformed request line");
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    for (unsigned char c : method)
        if (!isTokenChar(c)) return fail(400, "malformed method");
    for (unsigned char c : target)
        if (c <= 0x20 || c >= 0x7f) return fail(400, "invalid character in request target");
    if (version == "HTTP/1.1") _request.versionMinor = 1;
    else if (version == "HTTP/1.0") _request.versionMinor = 0;
    else return fail(400, "unsupported HTTP version (HTTP/1.0 or HTTP/1.1 expected)");

    _request.method.assign(method);
    _request.target.assign(target);
    if (method == "CONNECT")
    {
        _request.isConnect = true;
        if (!parseAuthority(target, 0, _request.host, _request.port))
            return fail(400, "CONNECT target must be host:port");
        _request.authority.assign(target);
    }
    else
    {
        if (target.size() < 7 || !equalsNoCase(target.substr(0, 7), "http://"))
        {
            if (target.size() >= 8 && equalsNoCase(target.substr(0, 8), "https://"))
                return fail(400, "https:// targets must use CONNECT");
            return fail(400, "a proxy request needs an absolute http:// target");
        }
        if (target.find('#') != std::string_view::npos) return fail(400, "fragment in request target");
        std::string_view rest = target.substr(7);
        std::size_t end = rest.find_first_of("/?");
        std::string_view authority = rest.substr(0, end);
        if (authority.find('@') != std::string_view::npos) return fail(400, "userinfo in request target");
        std::string_view auth = authority;
        if (!auth.empty() && auth.back() == ':') auth.remove_suffix(1);
        if (!parseAuthority(auth, 80, _request.host, _request.port)) return fail(400, "invalid host in request target");
        _request.authority.assign(auth);
        std::string_view path = end == std::string_view::npos ? std::string_view() : rest.substr(end);
        if (path.empty()) _request.pathAndQuery = "/";
        else if (path.front() == '?') _request.pathAndQuery = "/" + std::string(path);
        else _request.pathAndQuery.assign(path);
    }
    _state = State::Headers;
    return Status::NeedMore;
}

HttpRequestParser::Status HttpRequestParser::onHeaderLine(std::string_view line)
{
    if (line.front() == ' ' || line.front() == '\t') return fail(400, "obsolete line folding in header");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail(400, "malformed header line");
    std::string_view name = line.substr(0, colon);
    for (unsigned char c : name)
    {
        if (c == ' ' || c == '\t') return fail(400, "whitespace before the colon of a header");
        if (!isTokenChar(c)) return fail(400, "invalid header name");
    }
    if (_request.headers.size() >= MaxHeaders) return fail(431, "more than 100 request headers");
    _request.headers.push_back({std::string(name), std::string(trimOws(line.substr(colon + 1)))});
    return Status::NeedMore;
}

HttpRequestParser::Status HttpRequestParser::finish()
{
    HttpRequest& r = _request;
    int hosts = 0, lengths = 0;
    bool hasTe = false;
    std::vector<std::string> codings;
    bool closeToken = false, keepAliveToken = false;
    for (const auto& h : r.headers)
    {
        if (equalsNoCase(h.name, "host")) ++hosts;
        else if (equalsNoCase(h.name, "content-length"))
        {
            if (++lengths > 1) return fail(400, "duplicate Content-Length");
            const std::string& v = h.value;
            if (v.empty() || v.size() > 18) return fail(400, "malformed Content-Length");
            std::uint64_t n = 0;
            for (unsigned char c : v)
            {
                if (c < '0' || c > '9') return fail(400, "malformed Content-Length");
                n = n * 10 + (c - '0');
            }
            r.contentLength = n;
        }
        else if (equalsNoCase(h.name, "transfer-encoding"))
        {
            hasTe = true;
            if (!splitTokens(h.value, codings)) return fail(400, "malformed Transfer-Encoding");
        }
        else if (equalsNoCase(h.name, "connection") || equalsNoCase(h.name, "proxy-connection"))
        {
            std::vector<std::string> tokens;
            if (!splitTokens(h.value, tokens)) return fail(400, "malformed Connection header");
            for (auto& t : tokens)
            {
                if (t == "close") closeToken = true;
                else if (t == "keep-alive") keepAliveToken = true;
                if (equalsNoCase(h.name, "connection")) r.connectionTokens.push_back(t);
            }
        }
    }
    if (r.versionMinor == 1 && hosts == 0) return fail(400, "missing Host header");
    if (hosts > 1) return fail(400, "duplicate Host header");
    if (hasTe && lengths) return fail(400, "both Content-Length and Transfer-Encoding");
    if (hasTe)
    {
        if (r.versionMinor == 0) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
        if (codings.empty() || codings.back() != "chunked") return fail(400, "Transfer-Encoding must end with chunked");
        for (std::size_t i = 0; i + 1 < codings.size(); ++i)
            if (codings[i] == "chunked") return fail(400, "chunked applied more than once");
        for (std::size_t i = 0; i < codings.size(); ++i)
            r.transferCoding += (i ? ", " : "") + codings[i];
    }
    if (r.isConnect) r.body = HttpRequest::Body::None;
    else if (hasTe) r.body = HttpRequest::Body::Chunked;
    else if (lengths && r.contentLength > 0) r.body = HttpRequest::Body::Length;
    r.keepAlive = r.versionMinor == 1 ? !closeToken : (keepAliveToken && !closeToken);
    const std::string* up = r.find("Upgrade");
    if (up && r.method == "GET" && r.versionMinor == 1 && r.body == HttpRequest::Body::None
        && std::find(r.connectionTokens.begin(), r.connectionTokens.end(), "upgrade") != r.connectionTokens.end())
    {
        std::vector<std::string> protocols;
        if (splitTokens(*up, protocols) && protocols.size() == 1 && protocols[0] == "websocket") r.upgrade = "websocket";
    }
    _state = State::Finished;
    return Status::Done;
}

std::string buildUpstreamRequest(const HttpRequest& r, bool absoluteForm, const std::string& proxyAuthorization)
{
    std::string out;
    out.reserve(256 + r.headers.size() * 40);
    out += r.method;
    out += ' ';
    if (absoluteForm)
    {
        out += "http://";
        out += r.authority;
    }
    out += r.pathAndQuery;
    out += " HTTP/1.1\r\nHost: ";
    out += r.authority;
    out += "\r\n";
    for (const auto& h : r.headers)
    {
        std::string n = toLower(h.name);
        if (isHopByHop(n) || n == "host" || n == "content-length") continue;
        if (std::find(r.connectionTokens.begin(), r.connectionTokens.end(), n) != r.connectionTokens.end()) continue;
        out += h.name;
        out += ": ";
        out += h.value;
        out += "\r\n";
    }
    if (r.body == HttpRequest::Body::Chunked)
    {
        out += "Transfer-Encoding: ";
        out += r.transferCoding;
        out += "\r\n";
    }
    else if (r.body == HttpRequest::Body::Length)
        out += "Content-Length: " + std::to_string(r.contentLength) + "\r\n";
    else if (r.method == "POST" || r.method == "PUT" || r.method == "PATCH")
        out += "Content-Length: 0\r\n";
    if (!r.upgrade.empty())
    {
        out += "Connection: Upgrade\r\nUpgrade: ";
        out += r.upgrade;
        out += "\r\n";
    }
    if (!proxyAuthorization.empty())
    {
        out += "Proxy-Authorization: ";
        out += proxyAuthorization;
        out += "\r\n";
    }
    out += "\r\n";
    return out;
}

} // namespace steadyproxy::forward
