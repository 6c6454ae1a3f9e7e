#pragma once
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <string>
#include <vector>

namespace steadyproxy {

/// The items of a ConfigOption::Type::StringList value at `key` (relative to `config`),
/// in either shape the kernel accepts: a YAML list (`key[0]`, `key[1]`, ...) or one
/// comma-separated string. Items are trimmed; in the comma-separated form empty items are
/// dropped. A missing key gives an empty list. Only reads `config`; throws what
/// Poco::Util::AbstractConfiguration throws.
inline std::vector<std::string> readList(const Poco::Util::AbstractConfiguration& config, const std::string& key)
{
    std::vector<std::string> out;
    if (config.hasProperty(key + "[0]"))
    {
        for (int i = 0; config.hasProperty(key + "[" + std::to_string(i) + "]"); ++i)
            out.push_back(Poco::trim(config.getString(key + "[" + std::to_string(i) + "]")));
        return out;
    }
    if (!config.hasProperty(key)) return out;
    Poco::StringTokenizer tokens(config.getString(key), ",",
                                 Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    out.assign(tokens.begin(), tokens.end());
    return out;
}

} // namespace steadyproxy
