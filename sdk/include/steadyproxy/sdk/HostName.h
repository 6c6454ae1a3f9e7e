#pragma once
#include <string>

namespace steadyproxy {

/// Whether `name` is a DNS name made of labels of letters, digits and '-' (1..63 characters
/// each, at most 253 in all, no empty label): nothing that could break out of a router's
/// rule or configuration line. `singleLabel`: one label only (a subdomain such as proxy7).
inline bool isDnsName(const std::string& name, bool singleLabel = false)
{
    if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
    std::size_t labelLength = 0;
    for (char c : name)
    {
        if (c == '.')
        {
            if (singleLabel || labelLength == 0) return false;
            labelLength = 0;
        }
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') ||
                 ++labelLength > 63)
            return false;
    }
    return true;
}

} // namespace steadyproxy
