#pragma once
#include <cstddef>
#include <string>

namespace steadyproxy {

/// A secret (e.g. a provider key) as it may be shown or logged: its first 8 characters,
/// "...", and its last 6 (the way KiotProxy itself masks keys, e.g. "Ke4bb685...c24c47").
/// A secret shorter than 20 characters keeps only its first 2 characters (4 or fewer: none),
/// so a mask never reveals most of it. Pure function: any thread, never throws except
/// std::bad_alloc.
inline std::string maskSecret(const std::string& secret)
{
    if (secret.size() >= 20) return secret.substr(0, 8) + "..." + secret.substr(secret.size() - 6);
    if (secret.size() > 4) return secret.substr(0, 2) + "...";
    return "...";
}

/// `text` with every occurrence of `secret` replaced by maskSecret(secret) (for messages
/// that quote a peer's answer or a library's error text). An empty `secret` changes nothing.
inline std::string scrubSecret(std::string text, const std::string& secret)
{
    if (secret.empty()) return text;
    const std::string mask = maskSecret(secret);
    for (std::size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + mask.size()))
        text.replace(pos, secret.size(), mask);
    return text;
}

} // namespace steadyproxy
