#include "SettingsTable.h"
#include "Row.h"
#include <map>

namespace steadyproxy::sqlite {

namespace {

int toInt(const std::map<std::string, std::string>& values, const std::string& key, int fallback)
{
    auto it = values.find(key);
    if (it == values.end()) return fallback;
    try
    {
        return std::stoi(it->second);
    }
    catch (const std::exception&)
    {
        return fallback;
    }
}

} // namespace

Settings SettingsTable::load()
{
    std::map<std::string, std::string> values;
    Poco::Data::RecordSet rows = _db.query("SELECT key, value FROM settings");
    for (std::size_t i = 0; i < rows.rowCount(); ++i)
    {
        Row row(rows, i);
        values[row.text("key")] = row.text("value");
    }
    Settings s;
    s.autoRotateOnExpiration = toInt(values, "autoRotateOnExpiration", s.autoRotateOnExpiration) != 0;
    s.autoRotateIntervalEnabled = toInt(values, "autoRotateIntervalEnabled", s.autoRotateIntervalEnabled) != 0;
    s.autoRotateIntervalMinutes = toInt(values, "autoRotateIntervalMinutes", s.autoRotateIntervalMinutes);
    s.expiryLeadSeconds = toInt(values, "expiryLeadSeconds", s.expiryLeadSeconds);
    s.healthCheckIntervalSeconds = toInt(values, "healthCheckIntervalSeconds", s.healthCheckIntervalSeconds);
    s.failureThreshold = toInt(values, "failureThreshold", s.failureThreshold);
    s.rotateOnFailure = toInt(values, "rotateOnFailure", s.rotateOnFailure) != 0;
    s.saved = !values.empty();
    return s;
}

void SettingsTable::save(const Settings& s)
{
    const std::map<std::string, int> values = {
        {"autoRotateOnExpiration", s.autoRotateOnExpiration ? 1 : 0},
        {"autoRotateIntervalEnabled", s.autoRotateIntervalEnabled ? 1 : 0},
        {"autoRotateIntervalMinutes", s.autoRotateIntervalMinutes},
        {"expiryLeadSeconds", s.expiryLeadSeconds},
        {"healthCheckIntervalSeconds", s.healthCheckIntervalSeconds},
        {"failureThreshold", s.failureThreshold},
        {"rotateOnFailure", s.rotateOnFailure ? 1 : 0},
    };
    for (const auto& [key, value] : values)
        _db.execute("INSERT INTO settings(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            key, std::to_string(value));
}

} // namespace steadyproxy::sqlite
