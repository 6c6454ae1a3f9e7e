#include "SecretMask.h"

namespace steadyproxy::httpapi {

std::string maskSecret(const std::string& secret)
{
    if (secret.size() >= 20) return secret.substr(0, 8) + "..." + secret.substr(secret.size() - 6);
    if (secret.size() > 4) return secret.substr(0, 2) + "...";
    return "...";
}

std::string scrubSecret(std::string text, const std::string& secret)
{
    if (secret.empty()) return text;
    const std::string mask = maskSecret(secret);
    for (std::size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + mask.size()))
        text.replace(pos, secret.size(), mask);
    return text;
}

} // namespace steadyproxy::httpapi
