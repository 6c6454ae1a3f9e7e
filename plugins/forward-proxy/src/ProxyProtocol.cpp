#include "ProxyProtocol.h"
#include <cstring>
#include <netinet/in.h>

namespace steadyproxy::forward::proxyv2 {

Status parse(const unsigned char* p, std::size_t n, Header& out)
{
    out = Header();
    std::size_t sig = n < sizeof Signature ? n : sizeof Signature;
    if (std::memcmp(p, Signature, sig) != 0)
    {
        out.error = "the connection does not start with a PROXY protocol v2 signature";
        return Status::Invalid;
    }
    if (n < 16) return Status::NeedMore;
    unsigned version = p[12] >> 4, command = p[12] & 0x0f;
    unsigned family = p[13] >> 4, transport = p[13] & 0x0f;
    std::size_t length = (static_cast<std::size_t>(p[14]) << 8) | p[15];
    if (version != 2)
    {
        out.error = "PROXY protocol version " + std::to_string(version) + " is not 2";
        return Status::Invalid;
    }
    if (command > 1)
    {
        out.error = "unknown PROXY protocol command " + std::to_string(command);
        return Status::Invalid;
    }
    if (16 + length > MaxHeader)
    {
        out.error = "PROXY protocol header of " + std::to_string(16 + length) + " bytes is too long";
        return Status::Invalid;
    }
    std::size_t need = family == 1 ? 12 : family == 2 ? 36 : family == 3 ? 216 : 0;
    if (family > 3 || transport > 2)
    {
        out.error = "unknown PROXY protocol address family/transport byte " + std::to_string(p[13]);
        return Status::Invalid;
    }
    if (length < need)
    {
        out.error = "PROXY protocol address block of " + std::to_string(length) + " bytes is too short";
        return Status::Invalid;
    }
    if (n < 16 + length) return Status::NeedMore;
    out.length = 16 + length;
    if (command == 0 || family == 0)
    {
        out.local = true; // LOCAL (or PROXY with UNSPEC): the router speaks for itself
        return Status::Done;
    }
    if (transport != 1 || family == 3)
    {
        out.error = "PROXY protocol header for a non-TCP connection (UDP or UNIX socket)";
        return Status::Invalid;
    }
    const unsigned char* a = p + 16;
    if (family == 1)
    {
        auto* s = reinterpret_cast<sockaddr_in*>(&out.source);
        auto* d = reinterpret_cast<sockaddr_in*>(&out.destination);
        s->sin_family = d->sin_family = AF_INET;
        std::memcpy(&s->sin_addr, a, 4);
        std::memcpy(&d->sin_addr, a + 4, 4);
        std::memcpy(&s->sin_port, a + 8, 2);
        std::memcpy(&d->sin_port, a + 10, 2);
    }
    else
    {
        auto* s = reinterpret_cast<sockaddr_in6*>(&out.source);
        auto* d = reinterpret_cast<sockaddr_in6*>(&out.destination);
        s->sin6_family = d->sin6_family = AF_INET6;
        std::memcpy(&s->sin6_addr, a, 16);
        std::memcpy(&d->sin6_addr, a + 16, 16);
        std::memcpy(&s->sin6_port, a + 32, 2);
        std::memcpy(&d->sin6_port, a + 34, 2);
    }
    return Status::Done;
}

} // namespace steadyproxy::forward::proxyv2
