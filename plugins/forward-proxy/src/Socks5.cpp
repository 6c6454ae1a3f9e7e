#include "Socks5.h"
#include <arpa/inet.h>
#include <cstring>

namespace steadyproxy::forward {

namespace socks5 {
std::string reply(std::uint8_t code)
{
    return std::string("\x05", 1) + static_cast<char>(code) + std::string("\x00\x01\x00\x00\x00\x00\x00\x00", 8);
}

const char* describe(std::uint8_t code)
{
    switch (code)
    {
    case Succeeded: return "succeeded";
    case GeneralFailure: return "general failure";
    case NotAllowed: return "connection not allowed by ruleset";
    case NetworkUnreachable: return "network unreachable";
    case HostUnreachable: return "host unreachable";
    case ConnectionRefused: return "connection refused";
    case TtlExpired: return "TTL expired";
    case CommandNotSupported: return "command not supported";
    case AddressTypeNotSupported: return "address type not supported";
    default: return "unknown reply";
    }
}
} // namespace socks5

Socks5ServerHandshake::Step Socks5ServerHandshake::fail(std::uint8_t reply, std::string why)
{
    _state = State::Failed;
    _errorReply = reply;
    _error = std::move(why);
    return Step::Error;
}

Socks5ServerHandshake::Step Socks5ServerHandshake::feed(const char* data, std::size_t len, std::size_t& consumed)
{
    consumed = 0;
    auto u = [&](std::size_t i) { return static_cast<std::uint8_t>(data[i]); };
    switch (_state)
    {
    case State::Greeting:
    {
        if (len < 2) return Step::NeedMore;
        if (u(0) != 5) return fail(0, "not a SOCKS5 greeting");
        std::size_t n = u(1);
        if (n == 0) return fail(0, "SOCKS5 greeting offers no method");
        if (len < 2 + n) return Step::NeedMore;
        _methods.assign(data + 2, n);
        consumed = 2 + n;
        _state = State::Request;
        return Step::Greeting;
    }
    case State::Auth:
    {
        if (len < 2) return Step::NeedMore;
        if (u(0) != 1) return fail(0, "bad RFC 1929 version");
        std::size_t ul = u(1);
        if (len < 2 + ul + 1) return Step::NeedMore;
        std::size_t pl = u(2 + ul);
        if (len < 3 + ul + pl) return Step::NeedMore;
        _user.assign(data + 2, ul);
        _pass.assign(data + 3 + ul, pl);
        consumed = 3 + ul + pl;
        _state = State::Request;
        return Step::Auth;
    }
    case State::Request:
    {
        if (len < 5) return Step::NeedMore;
        if (u(0) != 5) return fail(socks5::GeneralFailure, "bad SOCKS5 request version");
        _command = u(1);
        if (u(2) != 0) return fail(socks5::GeneralFailure, "non-zero reserved byte in SOCKS5 request");
        _atyp = u(3);
        std::size_t need;
        if (_atyp == 1) need = 4 + 4 + 2;
        else if (_atyp == 4) need = 4 + 16 + 2;
        else if (_atyp == 3)
        {
            if (u(4) == 0) return fail(socks5::GeneralFailure, "empty domain name in SOCKS5 request");
            need = 4 + 1 + u(4) + 2;
        }
        else return fail(socks5::AddressTypeNotSupported, "unknown SOCKS5 address type");
        if (len < need) return Step::NeedMore;
        char buf[INET6_ADDRSTRLEN];
        if (_atyp == 1) _host = ::inet_ntop(AF_INET, data + 4, buf, sizeof buf);
        else if (_atyp == 4) _host = ::inet_ntop(AF_INET6, data + 4, buf, sizeof buf);
        else
        {
            _host.assign(data + 5, u(4));
            for (unsigned char c : _host)
                if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@' || c == ':')
                    return fail(socks5::GeneralFailure, "invalid domain name in SOCKS5 request");
        }
        _port = static_cast<std::uint16_t>((u(need - 2) << 8) | u(need - 1));
        consumed = need;
        _state = State::Done;
        return Step::Request;
    }
    case State::Done:
        return Step::NeedMore;
    case State::Failed:
        return Step::Error;
    }
    return Step::Error;
}

std::string Socks5ClientHandshake::start(const std::string& host, std::uint16_t port, const std::string& username, const std::string& password)
{
    _host = host;
    _port = port;
    _user = username;
    _pass = password;
    _state = State::Method;
    if (_user.empty() && _pass.empty()) return std::string("\x05\x01\x00", 3);
    return std::string("\x05\x02\x00\x02", 4);
}

Socks5ClientHandshake::Step Socks5ClientHandshake::fail(std::uint8_t reply, std::string why)
{
    _state = State::Failed;
    _reply = reply;
    _error = std::move(why);
    return Step::Error;
}

std::string Socks5ClientHandshake::request() const
{
    std::string r("\x05\x01\x00", 3);
    unsigned char addr[16];
    if (::inet_pton(AF_INET, _host.c_str(), addr) == 1)
    {
        r += '\x01';
        r.append(reinterpret_cast<char*>(addr), 4);
    }
    else if (::inet_pton(AF_INET6, _host.c_str(), addr) == 1)
    {
        r += '\x04';
        r.append(reinterpret_cast<char*>(addr), 16);
    }
    else
    {
        r += '\x03';
        r += static_cast<char>(_host.size());
        r += _host;
    }
    r += static_cast<char>(_port >> 8);
    r += static_cast<char>(_port & 0xff);
    return r;
}

Socks5ClientHandshake::Step Socks5ClientHandshake::feed(const char* data, std::size_t len, std::size_t& consumed, std::string& out)
{
    consumed = 0;
    out.clear();
    auto u = [&](std::size_t i) { return static_cast<std::uint8_t>(data[i]); };
    switch (_state)
    {
    case State::Method:
        if (len < 2) return Step::NeedMore;
        if (u(0) != 5) return fail(socks5::GeneralFailure, "upstream is not a SOCKS5 proxy");
        consumed = 2;
        if (u(1) == socks5::MethodNone)
        {
            if (_host.size() > 255) return fail(socks5::GeneralFailure, "host name too long for SOCKS5");
            out = request();
            _state = State::Reply;
            return Step::Send;
        }
        if (u(1) == socks5::MethodUserPass && !(_user.empty() && _pass.empty()))
        {
            if (_user.size() > 255 || _pass.size() > 255) return fail(socks5::GeneralFailure, "upstream credentials longer than 255 bytes");
            out = std::string("\x01", 1) + static_cast<char>(_user.size()) + _user + static_cast<char>(_pass.size()) + _pass;
            _state = State::Auth;
            return Step::Send;
        }
        _authFailed = true;
        return fail(socks5::GeneralFailure, "upstream SOCKS5 proxy accepts none of our authentication methods");
    case State::Auth:
        if (len < 2) return Step::NeedMore;
        consumed = 2;
        if (u(1) != 0)
        {
            _authFailed = true;
            return fail(socks5::GeneralFailure, "upstream SOCKS5 proxy rejected the credentials");
        }
        if (_host.size() > 255) return fail(socks5::GeneralFailure, "host name too long for SOCKS5");
        out = request();
        _state = State::Reply;
        return Step::Send;
    case State::Reply:
    {
        if (len < 5) return Step::NeedMore;
        if (u(0) != 5) return fail(socks5::GeneralFailure, "malformed reply from upstream SOCKS5 proxy");
        std::size_t need;
        if (u(3) == 1) need = 10;
        else if (u(3) == 4) need = 22;
        else if (u(3) == 3) need = 7 + u(4);
        else return fail(socks5::GeneralFailure, "malformed reply from upstream SOCKS5 proxy");
        if (u(1) != 0)
            return fail(u(1), std::string("upstream SOCKS5 proxy answered: ") + socks5::describe(u(1)));
        if (len < need) return Step::NeedMore;
        consumed = need;
        _state = State::Done;
        return Step::Done;
    }
    case State::Done:
        return Step::Done;
    case State::Failed:
        return Step::Error;
    }
    return Step::Error;
}

} // namespace steadyproxy::forward
