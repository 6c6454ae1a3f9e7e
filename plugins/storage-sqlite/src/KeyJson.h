#pragma once
#include <steadyproxy/sdk/Types.h>
#include <string>
#include <vector>

namespace steadyproxy::sqlite {

/// The JSON text forms of a key's allow-list and overrides as stored in proxy_keys
/// (`["10.0.0.0/8"]`, `{"autoRotateIntervalMinutes":5}`; an unset override is absent).
class KeyJson
{
public:
    static std::string allowCidrsToJson(const std::vector<std::string>& cidrs);
    /// Throws StorageError when the stored text is not a JSON array of strings.
    static std::vector<std::string> allowCidrsFromJson(const std::string& json);

    static std::string overridesToJson(const KeyOverrides& overrides);
    /// Throws StorageError when the stored text is not a JSON object.
    static KeyOverrides overridesFromJson(const std::string& json);
};

} // namespace steadyproxy::sqlite
