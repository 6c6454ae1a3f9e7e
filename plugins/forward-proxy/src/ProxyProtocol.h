#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/socket.h>

namespace steadyproxy::forward {

/// The PROXY protocol version 2 header a TLS-terminating router (Traefik, HAProxy) puts in
/// front of a connection to pass on the real client address
/// (https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt, section 2.2).
/// Pure code over bytes: no I/O, no allocation beyond the error text.
namespace proxyv2 {

/// The 12-byte signature every v2 header starts with.
constexpr char Signature[12] = {'\x0D', '\x0A', '\x0D', '\x0A', '\x00', '\x0D', '\x0A', '\x51', '\x55', '\x49', '\x54', '\x0A'};
/// Headers longer than this (16 + addresses + TLVs) are refused: routers send a few dozen bytes.
constexpr std::size_t MaxHeader = 16 + 4096;

enum class Status { NeedMore, Done, Invalid };

struct Header
{
    std::size_t length = 0;   ///< bytes of the whole header (to skip before the payload)
    bool local = false;       ///< LOCAL command (a router's health check) or UNSPEC family: use the socket's own peer
    sockaddr_storage source{};///< the client (family AF_INET or AF_INET6) when !local
    sockaddr_storage destination{};
    std::string error;        ///< why the header is Invalid
};

/// Parses the start of a connection. NeedMore: `n` bytes are a valid prefix so far; Done:
/// `out` is filled and out.length bytes are the header; Invalid: out.error says why (the
/// connection must be closed). TCP over IPv4/IPv6 and LOCAL are accepted; TLVs are skipped;
/// UDP and UNIX-socket addresses are Invalid (a TCP proxy cannot honour them).
Status parse(const unsigned char* p, std::size_t n, Header& out);

} // namespace proxyv2
} // namespace steadyproxy::forward
