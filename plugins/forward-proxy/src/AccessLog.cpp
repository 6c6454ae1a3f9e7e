#include "AccessLog.h"
#include <Poco/UTF8String.h>
#include <stdexcept>

namespace steadyproxy::forward {

void AccessLog::open(const std::string& path)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _out.open(path, std::ios::app);
    if (!_out) throw std::runtime_error("cannot open access log " + path + " for appending");
    _enabled = true;
}

void AccessLog::close()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _enabled = false;
    if (_out.is_open()) _out.close();
}

void AccessLog::write(const AccessRecord& r)
{
    if (!_enabled) return;
    auto q = [](const std::string& s) { return "\"" + Poco::UTF8::escape(s) + "\""; };
    std::string line = "{\"time\":" + std::to_string(r.time) + ",\"endpoint\":" + q(r.endpoint) + ",\"client\":" + q(r.client)
        + ",\"method\":" + q(r.method) + ",\"target\":" + q(r.target) + ",\"status\":" + std::to_string(r.status)
        + ",\"bytes_in\":" + std::to_string(r.bytesIn) + ",\"bytes_out\":" + std::to_string(r.bytesOut)
        + ",\"duration_ms\":" + std::to_string(r.durationMs) + ",\"upstream\":" + q(r.upstream) + "}\n";
    std::lock_guard<std::mutex> lock(_mutex);
    if (!_enabled) return;
    _out << line;
    _out.flush();
}

} // namespace steadyproxy::forward
