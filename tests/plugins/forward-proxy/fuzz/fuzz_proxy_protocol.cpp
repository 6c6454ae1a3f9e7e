// libFuzzer target: the PROXY protocol v2 header parser, over arbitrary bytes, whole and
// fed as growing prefixes (as it arrives from a socket). Checks the parser's promises: a
// Done header lies within the input and has a real address unless LOCAL; a prefix of a
// Done input is NeedMore (or Done with the same length), never Invalid.
#include "ProxyProtocol.h"
#include <cstdint>
#include <cstdlib>
#include <netinet/in.h>

using namespace steadyproxy::forward;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size)
{
    proxyv2::Header h;
    auto st = proxyv2::parse(bytes, size, h);
    if (st == proxyv2::Status::Invalid && h.error.empty()) std::abort();
    if (st == proxyv2::Status::Done)
    {
        if (h.length < 16 || h.length > size || h.length > proxyv2::MaxHeader) std::abort();
        if (!h.local && h.source.ss_family != AF_INET && h.source.ss_family != AF_INET6) std::abort();
        for (std::size_t n = 0; n < h.length; n += 1 + n / 4)
        {
            proxyv2::Header p;
            if (proxyv2::parse(bytes, n, p) != proxyv2::Status::NeedMore) std::abort();
        }
    }
    return 0;
}
