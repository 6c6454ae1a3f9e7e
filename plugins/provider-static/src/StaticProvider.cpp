#include "StaticProvider.h"
#include "UpstreamUrl.h"
#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>
#include <steadyproxy/sdk/ConfigList.h>
#include <chrono>

namespace steadyproxy::staticprovider {

namespace {
const std::string kPrefix = "plugins.provider.static.";

/// "socks5://host:port" plus "(with credentials)": never the password.
std::string describeEntry(const std::string& raw)
{
    std::string s = Poco::trim(raw);
    auto sep = s.find("://");
    auto at = s.rfind('@');
    if (sep != std::string::npos && at != std::string::npos && at > sep)
        s = s.substr(0, sep + 3) + "***@" + s.substr(at + 1);
    return s;
}
} // namespace

std::vector<ConfigOption> StaticProvider::configOptions() const
{
    ConfigOption upstreams = ConfigOption::list(
        "upstreams", "",
        "upstream proxy URLs: http://user:pass@host:port or socks5://user:pass@host:port (credentials percent-encoded)");
    upstreams.required = true;
    return {
        upstreams,
        ConfigOption::string("order", "round-robin", "how acquire() picks the next upstream: round-robin or random", "",
                             {"round-robin", "random"}),
    };
}

void StaticProvider::configure(const Poco::Util::AbstractConfiguration& config)
{
    const std::vector<std::string> entries = readList(config, "upstreams");
    if (entries.empty())
        throw ConfigError(kPrefix + "upstreams",
                          "no upstream is listed: add at least one URL such as http://user:pass@203.0.113.7:8080");
    std::vector<Upstream> upstreams;
    for (std::size_t i = 0; i < entries.size(); ++i)
    {
        try
        {
            upstreams.push_back(parseUpstreamUrl(entries[i]));
        }
        catch (const std::invalid_argument& e)
        {
            throw ConfigError(kPrefix + "upstreams[" + std::to_string(i) + "]",
                              "'" + describeEntry(entries[i]) + "': " + e.what());
        }
    }
    const std::string order = config.getString("order", "round-robin");
    if (order != "round-robin" && order != "random")
        throw ConfigError(kPrefix + "order", "'" + order + "' is not round-robin or random");
    std::lock_guard<std::mutex> lock(_mutex);
    _upstreams = std::move(upstreams);
    _random = order == "random";
    _positions.clear();
}

void StaticProvider::start(PluginContext& context)
{
    _context = &context;
    std::lock_guard<std::mutex> lock(_mutex);
    if (_upstreams.empty()) throw ConfigError(kPrefix + "upstreams", "no upstream is configured");
    context.logger().information("%z static upstream(s), order %s", _upstreams.size(),
                                 std::string(_random ? "random" : "round-robin"));
}

Lease StaticProvider::leaseFor(const ProviderKey& key, std::size_t index, const std::string& region) const
{
    Lease l;
    l.keyId = key.keyId;
    const Upstream& u = _upstreams[index];
    if (u.kind == Upstream::Kind::Socks5) l.socks5 = u;
    else l.http = u;
    l.http.kind = Upstream::Kind::Http;
    l.socks5.kind = Upstream::Kind::Socks5;
    Poco::Net::IPAddress ip;
    if (Poco::Net::IPAddress::tryParse(u.host, ip)) l.realIp = u.host;
    l.region = region;
    l.obtainedAt = _context ? _context->clock().now()
                            : std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
    return l;
}

std::optional<Lease> StaticProvider::current(const ProviderKey& key)
{
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _positions.find(key.keyId);
    if (it == _positions.end() || it->second.first >= _upstreams.size()) return std::nullopt;
    return leaseFor(key, it->second.first, it->second.second);
}

Lease StaticProvider::acquire(const ProviderKey& key, const std::string& region)
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (_upstreams.empty()) throw ProviderError(ProviderError::Kind::Rejected, "provider.static has no upstream configured");
    const std::size_t n = _upstreams.size();
    std::size_t next;
    auto it = _positions.find(key.keyId);
    if (it == _positions.end())
    {
        const auto id = key.keyId < 0 ? -key.keyId : key.keyId;
        next = static_cast<std::size_t>(id) % n;
    }
    else if (_random && n > 1)
    {
        std::uniform_int_distribution<std::size_t> pick(0, n - 2);
        next = pick(_rng);
        if (next >= it->second.first) ++next; // any entry but the current one
    }
    else
        next = (it->second.first + 1) % n;
    _positions[key.keyId] = {next, region};
    return leaseFor(key, next, region);
}

void StaticProvider::release(const ProviderKey& key)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _positions.erase(key.keyId);
}

} // namespace steadyproxy::staticprovider
