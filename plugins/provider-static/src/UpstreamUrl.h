#pragma once
#include <steadyproxy/sdk/Types.h>
#include <string>

namespace steadyproxy::staticprovider {

/// Parses "http://user:pass@host:port" or "socks5://user:pass@host:port" (user and password
/// percent-decoded, so '@', ':' and '%' can be written %40, %3A and %25; IPv6 hosts in
/// brackets; a trailing "/" is allowed). Throws std::invalid_argument saying what is wrong;
/// the message never contains the password.
Upstream parseUpstreamUrl(const std::string& url);

} // namespace steadyproxy::staticprovider
