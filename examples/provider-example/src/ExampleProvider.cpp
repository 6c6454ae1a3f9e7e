#include "ExampleProvider.h"
#include <Poco/Exception.h>
#include <Poco/StringTokenizer.h>
#include <Poco/URI.h>
#include <algorithm>
#include <chrono>
#include <functional>

using namespace steadyproxy;

namespace example {

namespace {

const std::string kSection = "plugins.provider.example.";

/// How a key may appear in messages and logs: never in full.
std::string mask(const std::string& secret)
{
    if (secret.size() >= 20) return secret.substr(0, 8) + "..." + secret.substr(secret.size() - 6);
    return secret.substr(0, std::min<std::size_t>(2, secret.size())) + "...";
}

/// A StringList arrives as `name[0]`, `name[1]`, ... (YAML list) or as one
/// comma-separated string (a default or an environment variable).
std::vector<std::string> readList(const Poco::Util::AbstractConfiguration& c, const std::string& name)
{
    std::vector<std::string> out;
    for (int i = 0; c.hasProperty(name + "[" + std::to_string(i) + "]"); ++i)
        out.push_back(c.getString(name + "[" + std::to_string(i) + "]"));
    if (out.empty() && c.hasProperty(name))
    {
        Poco::StringTokenizer t(c.getString(name), ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
        out.assign(t.begin(), t.end());
    }
    return out;
}

Upstream parseUpstream(const std::string& text)
{
    const std::string key = kSection + "upstreams";
    Poco::URI uri;
    try
    {
        uri = Poco::URI(text);
    }
    catch (const Poco::Exception& e)
    {
        throw ConfigError(key, "\"" + text + "\" is not a URL: " + e.message());
    }
    Upstream u;
    if (uri.getScheme() == "http") u.kind = Upstream::Kind::Http;
    else if (uri.getScheme() == "socks5") u.kind = Upstream::Kind::Socks5;
    else throw ConfigError(key, "\"" + uri.getHost() + "\": the scheme must be http:// or socks5://");
    if (uri.getHost().empty() || uri.getSpecifiedPort() == 0)
        throw ConfigError(key, "\"" + uri.getHost() + "\": write scheme://[user:password@]host:port");
    u.host = uri.getHost();
    u.port = uri.getSpecifiedPort();
    const std::string info = uri.getUserInfo();
    const auto colon = info.find(':');
    Poco::URI::decode(info.substr(0, colon), u.username);
    if (colon != std::string::npos) Poco::URI::decode(info.substr(colon + 1), u.password);
    return u;
}

} // namespace

std::vector<ConfigOption> ExampleProvider::configOptions() const
{
    ConfigOption upstreams =
        ConfigOption::list("upstreams", "", "the upstream proxies, as http://[user:password@]host:port or socks5://...");
    upstreams.required = true;
    return {
        upstreams,
        ConfigOption::integer("lifetime_seconds", 600, 60, 86400, "how long a lease lives"),
        ConfigOption::integer("change_interval_seconds", 60, 0, 86400,
                              "how long after a change the next one is refused (0 = any time)"),
        ConfigOption::list("keys", "", "the keys this provider knows; empty = any key"),
        ConfigOption::list("regions", "random", "the regions keys may ask for"),
    };
}

void ExampleProvider::configure(const Poco::Util::AbstractConfiguration& config)
{
    std::vector<Upstream> upstreams;
    for (const std::string& text : readList(config, "upstreams")) upstreams.push_back(parseUpstream(text));
    if (upstreams.empty()) throw ConfigError(kSection + "upstreams", "lists no upstream: give at least one");
    const int lifetime = config.getInt("lifetime_seconds", 600);
    const int interval = config.getInt("change_interval_seconds", 60);
    if (interval >= lifetime)
        throw ConfigError(kSection + "change_interval_seconds",
                          "must be shorter than lifetime_seconds (" + std::to_string(lifetime) + ")");
    _upstreams = std::move(upstreams);
    _lifetimeSeconds = lifetime;
    _changeIntervalSeconds = interval;
    _keys = readList(config, "keys");
    _regions = readList(config, "regions");
}

void ExampleProvider::start(PluginContext& context)
{
    _context = &context;
    context.logger().information("%z upstream(s), leases of %d s, changes every %d s at most", _upstreams.size(),
                                 _lifetimeSeconds, _changeIntervalSeconds);
}

void ExampleProvider::stop()
{
    // No thread to join; the context is gone after stop() returns.
    _context = nullptr;
}

std::vector<std::string> ExampleProvider::regions() const
{
    return _regions;
}

void ExampleProvider::validateSecret(const std::string& secret) const
{
    if (secret.size() < 8) throw ValidationError("secret", "an example key has at least 8 characters");
    if (secret.find_first_of(" \t\r\n") != std::string::npos)
        throw ValidationError("secret", "an example key contains no spaces or line breaks");
}

EpochMs ExampleProvider::now() const
{
    if (_context) return _context->clock().now();
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void ExampleProvider::checkKnown(const ProviderKey& key) const
{
    if (!_keys.empty() && std::find(_keys.begin(), _keys.end(), key.secret) == _keys.end())
        throw ProviderError(ProviderError::Kind::KeyNotFound,
                            "provider.example does not know the key " + mask(key.secret) +
                                ": add it to plugins.provider.example.keys");
}

Lease ExampleProvider::leaseOf(const ProviderKey& key, const Assignment& a) const
{
    Lease l;
    l.keyId = key.keyId;
    const Upstream& u = _upstreams[a.index];
    if (u.kind == Upstream::Kind::Socks5) l.socks5 = u;
    else l.http = u;
    l.realIp = u.host;
    l.location = "upstream " + std::to_string(a.index + 1) + " of " + std::to_string(_upstreams.size());
    l.region = a.region;
    l.obtainedAt = now();
    l.expiresAt = a.assignedAt + _lifetimeSeconds * 1000LL;
    l.nextChangeAt = _changeIntervalSeconds ? a.assignedAt + _changeIntervalSeconds * 1000LL : 0;
    l.ttlSeconds = _lifetimeSeconds;
    return l;
}

std::optional<Lease> ExampleProvider::current(const ProviderKey& key)
{
    checkKnown(key);
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _assigned.find(key.secret);
    if (it == _assigned.end()) return std::nullopt;
    if (it->second.assignedAt + _lifetimeSeconds * 1000LL <= now())
    {
        _assigned.erase(it); // expired: no lease
        return std::nullopt;
    }
    return leaseOf(key, it->second);
}

Lease ExampleProvider::acquire(const ProviderKey& key, const std::string& region)
{
    checkKnown(key);
    if (!_regions.empty() && std::find(_regions.begin(), _regions.end(), region) == _regions.end())
        throw ProviderError(ProviderError::Kind::Rejected, "provider.example has no region \"" + region + "\"");
    const EpochMs t = now();
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _assigned.find(key.secret);
    Assignment next;
    next.region = region;
    next.assignedAt = t;
    if (it == _assigned.end())
    {
        next.index = std::hash<std::string>{}(key.secret) % _upstreams.size();
    }
    else
    {
        const EpochMs allowedAt = it->second.assignedAt + _changeIntervalSeconds * 1000LL;
        const bool expired = it->second.assignedAt + _lifetimeSeconds * 1000LL <= t;
        if (!expired && t < allowedAt)
            throw ProviderError(ProviderError::Kind::TooEarly,
                                "provider.example will not change the upstream of key " + mask(key.secret) + " for another " +
                                    std::to_string((allowedAt - t + 999) / 1000) + " s",
                                allowedAt);
        next.index = (it->second.index + 1) % _upstreams.size();
    }
    _assigned[key.secret] = next;
    Lease lease = leaseOf(key, next);
    if (_context)
        _context->logger().information("key %s: %s until %Ld", mask(key.secret),
                                       (lease.hasHttp() ? lease.http : lease.socks5).describe(),
                                       static_cast<Poco::Int64>(lease.expiresAt));
    return lease;
}

void ExampleProvider::release(const ProviderKey& key)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _assigned.erase(key.secret); // nothing assigned is fine: release never throws for it
}

} // namespace example
