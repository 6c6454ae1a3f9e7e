// libFuzzer target: the SOCKS5 server handshake (greeting, RFC 1929 auth, request) and the
// client handshake towards an upstream, over arbitrary bytes.
#include "Socks5.h"
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace steadyproxy::forward;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size)
{
    std::string in(reinterpret_cast<const char*>(bytes), size);
    Socks5ServerHandshake server;
    std::size_t pos = 0;
    for (int steps = 0; steps < 8 && pos <= in.size(); ++steps)
    {
        std::size_t used = 0;
        auto st = server.feed(in.data() + pos, in.size() - pos, used);
        if (used > in.size() - pos) std::abort();
        pos += used;
        if (st == Socks5ServerHandshake::Step::NeedMore || st == Socks5ServerHandshake::Step::Error) break;
        if (st == Socks5ServerHandshake::Step::Greeting && server.offers(socks5::MethodUserPass)) server.expectAuth();
        if (st == Socks5ServerHandshake::Step::Request)
        {
            if (server.host().empty()) std::abort();
            break;
        }
    }

    Socks5ClientHandshake client;
    std::string user = size > 3 ? in.substr(0, bytes[0] % 4) : "", pass = size > 5 ? in.substr(0, bytes[1 % size] % 5) : "";
    (void)client.start("example.com", 443, user, pass);
    pos = 0;
    for (int steps = 0; steps < 6; ++steps)
    {
        std::size_t used = 0;
        std::string out;
        auto st = client.feed(in.data() + pos, in.size() - pos, used, out);
        if (used > in.size() - pos) std::abort();
        pos += used;
        if (st != Socks5ClientHandshake::Step::Send) break;
    }
    return 0;
}
