// libFuzzer target: the strict HTTP request parser, the request rebuilder, the chunked
// decoder and the upstream response parser. Invariant checked: feeding the same bytes in
// one piece or in pieces gives the same verdict.
#include "HttpRequestParser.h"
#include "HttpResponseHead.h"
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace steadyproxy::forward;

namespace {
HttpRequestParser::Status parseInPieces(const char* data, std::size_t size, std::size_t piece, HttpRequestParser& p, std::size_t& total)
{
    total = 0;
    HttpRequestParser::Status st = HttpRequestParser::Status::NeedMore;
    while (total < size)
    {
        std::size_t n = std::min(piece, size - total), used = 0;
        st = p.feed(data + total, n, used);
        total += used;
        if (st != HttpRequestParser::Status::NeedMore) return st;
        if (used != n) std::abort(); // NeedMore must consume everything it was given
    }
    return st;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size)
{
    if (size == 0) return 0;
    std::size_t piece = 1 + bytes[0] % 17;
    const char* data = reinterpret_cast<const char*>(bytes + 1);
    std::size_t len = size - 1;

    HttpRequestParser whole, split;
    std::size_t usedWhole = 0, usedSplit = 0;
    auto a = parseInPieces(data, len, len ? len : 1, whole, usedWhole);
    auto b = parseInPieces(data, len, piece, split, usedSplit);
    if (a != b) std::abort();
    if (a == HttpRequestParser::Status::Error && whole.errorStatus() != split.errorStatus()) std::abort();
    if (a == HttpRequestParser::Status::Done)
    {
        if (usedWhole != usedSplit) std::abort();
        const HttpRequest& r = whole.request();
        if (r.isConnect) return 0; // CONNECT is never rebuilt: it opens a tunnel
        std::string rebuilt = buildUpstreamRequest(r, true, "Basic eDp5");
        // What we send upstream must itself be a request our parser accepts the same way.
        HttpRequestParser again;
        std::size_t used = 0;
        auto st = again.feed(rebuilt.data(), rebuilt.size(), used);
        // The rebuilt head may carry up to three headers more than the client sent (Host,
        // Proxy-Authorization, framing): only the 100-header limit may then be exceeded.
        if (st == HttpRequestParser::Status::Error && again.errorStatus() == 431 && r.headers.size() + 3 > HttpRequestParser::MaxHeaders)
            return 0;
        if (st != HttpRequestParser::Status::Done) std::abort();
        if (again.request().body != r.body || again.request().contentLength != r.contentLength) std::abort();
        if (again.request().find("Proxy-Connection")) std::abort();
        if (r.body == HttpRequest::Body::Chunked)
        {
            ChunkedDecoder dec;
            std::string out;
            dec.feed(data + usedWhole, len - usedWhole, &out);
        }
    }

    HttpResponseParser resp;
    std::size_t used = 0;
    if (resp.feed(data, len, used) == HttpResponseParser::Status::Done)
        (void)buildClientResponse(resp.response(), bytes[0] & 1, bytes[0] & 2);
    return 0;
}
