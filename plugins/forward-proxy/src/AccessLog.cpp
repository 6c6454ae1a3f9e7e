#include "AccessLog.h"
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <Poco/UTF8String.h>
#include <stdexcept>

namespace steadyproxy::forward {

void AccessLog::open(const std::string& path, const std::string& format)
{
    std::ofstream out(path, std::ios::app);
    if (!out) throw std::runtime_error("cannot open access log " + path + " for appending");
    std::lock_guard<std::mutex> lock(_mutex);
    _out = std::move(out);
    _path = path;
    _combined = format == "combined";
    _enabled = true;
}

std::string AccessLog::reopen()
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (!_enabled || _path.empty()) return "";
    std::ofstream out(_path, std::ios::app);
    if (!out) return "cannot reopen access log " + _path + " for appending; still writing to the file open before";
    _out = std::move(out);
    return "";
}

void AccessLog::close()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _enabled = false;
    _path.clear();
    if (_out.is_open()) _out.close();
}

std::string AccessLog::format(const AccessRecord& r, bool combined)
{
    if (combined)
    {
        // %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"
        auto q = [](const std::string& s) {
            std::string out;
            for (unsigned char c : s)
            {
                if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
                else if (c < 0x20 || c >= 0x7f)
                {
                    static const char* hex = "0123456789abcdef";
                    out += "\\x";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                }
                else out += static_cast<char>(c);
            }
            return out;
        };
        auto dash = [&](const std::string& s) { return s.empty() ? std::string("-") : q(s); };
        std::string time = Poco::DateTimeFormatter::format(Poco::Timestamp(r.time * 1000), "%d/%b/%Y:%H:%M:%S +0000");
        std::string request = q(r.method) + " " + q(r.target) + (r.protocol.empty() ? std::string() : " " + r.protocol);
        return dash(r.client) + " - " + dash(r.endpoint) + " [" + time + "] \"" + request + "\" " + std::to_string(r.status) + " "
            + (r.bytesOut ? std::to_string(r.bytesOut) : std::string("-")) + " \"" + dash(r.referer) + "\" \"" + dash(r.userAgent) + "\"";
    }
    auto q = [](const std::string& s) { return "\"" + Poco::UTF8::escape(s) + "\""; };
    return "{\"time\":" + std::to_string(r.time) + ",\"endpoint\":" + q(r.endpoint) + ",\"client\":" + q(r.client)
        + ",\"method\":" + q(r.method) + ",\"target\":" + q(r.target) + ",\"status\":" + std::to_string(r.status)
        + ",\"bytes_in\":" + std::to_string(r.bytesIn) + ",\"bytes_out\":" + std::to_string(r.bytesOut)
        + ",\"duration_ms\":" + std::to_string(r.durationMs) + ",\"upstream\":" + q(r.upstream) + "}";
}

void AccessLog::write(const AccessRecord& r)
{
    if (!_enabled) return;
    std::string line = format(r, _combined) + "\n";
    std::lock_guard<std::mutex> lock(_mutex);
    if (!_enabled) return;
    _out << line;
    _out.flush();
}

} // namespace steadyproxy::forward
