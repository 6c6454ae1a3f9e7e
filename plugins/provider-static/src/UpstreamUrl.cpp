#include "UpstreamUrl.h"
#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <cctype>
#include <stdexcept>

namespace steadyproxy::staticprovider {

namespace {

std::string decode(const std::string& s, const std::string& what)
{
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == '%' && (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
                            !std::isxdigit(static_cast<unsigned char>(s[i + 2]))))
            throw std::invalid_argument("the " + what + " has a '%' that is not followed by two hex digits (write '%' as %25)");
    std::string out;
    Poco::URI::decode(s, out);
    return out;
}

bool validHostName(const std::string& h)
{
    if (h.empty() || h.size() > 253 || h.front() == '.' || h.front() == '-') return false;
    for (char c : h)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) return false;
    return true;
}

} // namespace

Upstream parseUpstreamUrl(const std::string& raw)
{
    const std::string url = Poco::trim(raw);
    Upstream u;
    auto sep = url.find("://");
    if (sep == std::string::npos) throw std::invalid_argument("expected scheme://host:port (http:// or socks5://)");
    const std::string scheme = Poco::toLower(url.substr(0, sep));
    if (scheme == "http") u.kind = Upstream::Kind::Http;
    else if (scheme == "socks5" || scheme == "socks5h") u.kind = Upstream::Kind::Socks5;
    else throw std::invalid_argument("the scheme '" + scheme + "' is not http or socks5");

    std::string rest = url.substr(sep + 3);
    auto slash = rest.find_first_of("/?#");
    if (slash != std::string::npos)
    {
        if (rest.substr(slash) != "/") throw std::invalid_argument("a proxy URL has no path, query or fragment");
        rest.erase(slash);
    }
    std::string hostPort = rest;
    auto at = rest.rfind('@');
    if (at != std::string::npos)
    {
        const std::string userInfo = rest.substr(0, at);
        hostPort = rest.substr(at + 1);
        auto colon = userInfo.find(':');
        u.username = decode(userInfo.substr(0, colon), "user name");
        if (colon != std::string::npos) u.password = decode(userInfo.substr(colon + 1), "password");
        if (u.username.empty()) throw std::invalid_argument("the user name before '@' is empty");
    }

    std::string host, port;
    if (!hostPort.empty() && hostPort.front() == '[')
    {
        auto close = hostPort.find(']');
        if (close == std::string::npos) throw std::invalid_argument("the IPv6 address has no closing ']'");
        host = hostPort.substr(1, close - 1);
        if (close + 1 < hostPort.size() && hostPort[close + 1] == ':') port = hostPort.substr(close + 2);
        else if (close + 1 != hostPort.size()) throw std::invalid_argument("expected ':' and a port after ']'");
        Poco::Net::IPAddress ip;
        if (!Poco::Net::IPAddress::tryParse(host, ip)) throw std::invalid_argument("'" + host + "' is not an IPv6 address");
    }
    else
    {
        auto colon = hostPort.rfind(':');
        if (colon == std::string::npos) host = hostPort;
        else
        {
            host = hostPort.substr(0, colon);
            port = hostPort.substr(colon + 1);
        }
        Poco::Net::IPAddress ip;
        if (!Poco::Net::IPAddress::tryParse(host, ip) && !validHostName(host))
            throw std::invalid_argument("'" + host + "' is not a host name or IP address");
    }
    if (port.empty()) throw std::invalid_argument("no port: write it as " + scheme + "://" + (host.empty() ? "host" : host) + ":port");
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument("the port '" + port + "' is not a number");
    int p = std::stoi(port);
    if (p < 1 || p > 65535) throw std::invalid_argument("the port " + port + " is outside 1..65535");
    u.host = host;
    u.port = static_cast<std::uint16_t>(p);
    return u;
}

} // namespace steadyproxy::staticprovider
