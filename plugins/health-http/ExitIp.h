#pragma once
#include <optional>
#include <string>

namespace steadyproxy::health {

/// The address an "what is my IP" answer reports: a JSON object with "ip" (ipify, the test
/// origin) or "origin" (httpbin; the first of a comma-separated list), or plain text that is
/// an IP literal. Returns the address in canonical form, or nullopt when the body carries
/// none. Never throws.
std::optional<std::string> exitIpFromBody(const std::string& body);

/// Whether two IP literals name the same address ("::ffff:1.2.3.4" and "1.2.3.4" do not);
/// falls back to string equality when either is not a literal.
bool sameIp(const std::string& a, const std::string& b);

} // namespace steadyproxy::health
