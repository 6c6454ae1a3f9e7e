#pragma once
#include <string>

namespace steadyproxy::httpapi {

/// The provider key as it may be shown or logged: its first 8 characters, "...", and its
/// last 6 (e.g. "Ke4bb685...c24c47"). A key shorter than 20 characters keeps only its
/// first 2 characters, so a mask never reveals most of it.
std::string maskSecret(const std::string& secret);

/// `text` with every occurrence of `secret` replaced by its mask (for messages that quote
/// a peer's answer or a library's error text).
std::string scrubSecret(std::string text, const std::string& secret);

} // namespace steadyproxy::httpapi
