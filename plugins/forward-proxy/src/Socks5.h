#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace steadyproxy::forward {

/// SOCKS5 reply codes (RFC 1928 section 6).
namespace socks5 {
constexpr std::uint8_t Succeeded = 0x00, GeneralFailure = 0x01, NotAllowed = 0x02, NetworkUnreachable = 0x03,
    HostUnreachable = 0x04, ConnectionRefused = 0x05, TtlExpired = 0x06, CommandNotSupported = 0x07,
    AddressTypeNotSupported = 0x08;
constexpr std::uint8_t MethodNone = 0x00, MethodUserPass = 0x02, MethodRejected = 0xff;
/// A reply to a CONNECT request with bound address 0.0.0.0:0.
std::string reply(std::uint8_t code);
const char* describe(std::uint8_t code);
} // namespace socks5

/// The server side of a SOCKS5 handshake (RFC 1928 + RFC 1929) as a pure parser over the
/// bytes received so far. The caller decides what to answer after each step:
///   Greeting -> methods offered (offers()); call expectAuth() if 0x02 was chosen
///   Auth     -> username()/password()
///   Request  -> command(), addressType(), host(), port()
/// feed() consumes nothing until a whole message is present (messages are < 520 bytes).
class Socks5ServerHandshake
{
public:
    enum class Step { NeedMore, Greeting, Auth, Request, Error };

    Step feed(const char* data, std::size_t len, std::size_t& consumed);
    void expectAuth() { _state = State::Auth; }

    bool offers(std::uint8_t method) const { return _methods.find(static_cast<char>(method)) != std::string::npos; }
    const std::string& username() const { return _user; }
    const std::string& password() const { return _pass; }
    std::uint8_t command() const { return _command; }
    std::uint8_t addressType() const { return _atyp; }
    const std::string& host() const { return _host; }
    std::uint16_t port() const { return _port; }
    /// For Error: the reply code to send (0 = none, just close) and why.
    std::uint8_t errorReply() const { return _errorReply; }
    const std::string& error() const { return _error; }

private:
    enum class State { Greeting, Auth, Request, Done, Failed };
    Step fail(std::uint8_t reply, std::string why);
    State _state = State::Greeting;
    std::string _methods, _user, _pass, _host, _error;
    std::uint8_t _command = 0, _atyp = 0, _errorReply = 0;
    std::uint16_t _port = 0;
};

/// The client side of a SOCKS5 CONNECT towards an upstream proxy. Host names are sent as
/// domain names (resolved by the upstream); IP literals as IPv4/IPv6 addresses.
class Socks5ClientHandshake
{
public:
    enum class Step { NeedMore, Send, Done, Error };

    /// Returns the greeting to send. Credentials empty = offer "no authentication" only.
    std::string start(const std::string& host, std::uint16_t port, const std::string& username, const std::string& password);
    /// Feeds the upstream's bytes. Send: `out` holds bytes to write. Done: `consumed` bytes
    /// were the handshake, the rest is tunnel data. Error: replyCode() / error().
    Step feed(const char* data, std::size_t len, std::size_t& consumed, std::string& out);
    std::uint8_t replyCode() const { return _reply; }
    const std::string& error() const { return _error; }
    bool authFailed() const { return _authFailed; }

private:
    enum class State { Method, Auth, Reply, Done, Failed };
    Step fail(std::uint8_t reply, std::string why);
    std::string request() const;
    State _state = State::Method;
    std::string _host, _user, _pass, _error;
    std::uint16_t _port = 0;
    std::uint8_t _reply = 0;
    bool _authFailed = false;
};

} // namespace steadyproxy::forward
