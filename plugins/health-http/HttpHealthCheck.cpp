#include "HttpHealthCheck.h"
#include "ExitIp.h"
#include <Poco/Net/HTTPResponse.h>
#include <chrono>
#ifdef STEADYPROXY_HEALTH_HTTPS
#include <Poco/Net/SSLManager.h>
#endif

namespace steadyproxy::health {

namespace {

const std::string Section = "plugins.health.http.";
const std::string DefaultUrl = "https://api.ipify.org?format=json";

/// "503 Service Unavailable": the standard reason, whatever text the peer sent.
std::string statusText(int status)
{
    return std::to_string(status) + " " +
        Poco::Net::HTTPResponse::getReasonForStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
}

} // namespace

HttpHealthCheck::HttpHealthCheck(): _probe(std::make_unique<HttpProbe>(Poco::URI(DefaultUrl), 10000))
{
}

HttpHealthCheck::~HttpHealthCheck()
{
#ifdef STEADYPROXY_HEALTH_HTTPS
    if (_sslInitialized) Poco::Net::uninitializeSSL();
#endif
}

std::vector<ConfigOption> HttpHealthCheck::configOptions() const
{
    return {
        ConfigOption::string("url", DefaultUrl,
            "URL fetched through the endpoint; an IP in the answer (JSON \"ip\"/\"origin\" or plain text) is compared "
            "with the lease's IP"),
        ConfigOption::integer("timeout_ms", 10000, 100, 120000,
            "The whole check (connect, request, answer) must finish within this many milliseconds"),
        ConfigOption::integer("degraded_ms", 3000, 1, 120000,
            "A successful check slower than this many milliseconds is reported as degraded"),
    };
}

void HttpHealthCheck::configure(const Poco::Util::AbstractConfiguration& config)
{
    const std::string text = config.getString("url", DefaultUrl);
    Poco::URI url;
    try
    {
        url = Poco::URI(text);
    }
    catch (const Poco::Exception& e)
    {
        throw ConfigError(Section + "url", "'" + text + "' is not a URL (" + e.message() + ")");
    }
    if ((url.getScheme() != "http" && url.getScheme() != "https") || url.getHost().empty())
        throw ConfigError(Section + "url", "'" + text + "' must be an http:// or https:// URL with a host, "
            "e.g. https://api.ipify.org?format=json");
#ifdef STEADYPROXY_HEALTH_HTTPS
    if (url.getScheme() == "https" && !_sslInitialized)
    {
        Poco::Net::initializeSSL();
        _sslInitialized = true;
    }
#else
    if (url.getScheme() == "https")
        throw ConfigError(Section + "url", "this build has no TLS support (Poco NetSSL): use an http:// URL");
#endif
    int timeoutMs = config.getInt("timeout_ms", 10000);
    if (timeoutMs < 100 || timeoutMs > 120000)
        throw ConfigError(Section + "timeout_ms", "is " + std::to_string(timeoutMs) + "; use 100 to 120000");
    int degradedMs = config.getInt("degraded_ms", 3000);
    if (degradedMs < 1 || degradedMs > 120000)
        throw ConfigError(Section + "degraded_ms", "is " + std::to_string(degradedMs) + "; use 1 to 120000");
    _probe = std::make_unique<HttpProbe>(url, timeoutMs);
    _degradedMs = degradedMs;
}

void HttpHealthCheck::start(PluginContext& context)
{
    _context = &context;
}

void HttpHealthCheck::stop()
{
    _context = nullptr;
}

EpochMs HttpHealthCheck::now() const
{
    if (PluginContext* context = _context.load()) return context->clock().now();
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

HealthSample HttpHealthCheck::check(const HealthTarget& target)
{
    HealthSample sample;
    sample.keyId = target.keyId;
    sample.at = now();
    sample.state = "error";

    ProbeResponse r = _probe->fetch(target);
    if (!r.answered)
    {
        sample.error = r.error;
        return sample;
    }
    sample.httpStatus = r.status;
    sample.latencyMs = r.latencyMs;
    const std::string status = statusText(r.status);
    if (r.status == 407)
    {
        sample.error = target.username.empty()
            ? "the endpoint asks for credentials (" + status + ") but the check has none: set the endpoint's username and password"
            : "the endpoint refused its own credentials (" + status + ") for user '" + target.username +
                "': check the endpoint's username and password";
        return sample;
    }
    if (r.status >= 500)
    {
        sample.error = "HTTP " + status + " for " + _probe->displayUrl() +
            " through the endpoint (from the endpoint, its upstream or the check URL's server)";
        return sample;
    }
    if (r.status < 200 || r.status >= 300)
    {
        sample.error = "unexpected HTTP " + status + " for " + _probe->displayUrl() + " through the endpoint";
        return sample;
    }

    if (auto ip = exitIpFromBody(r.body)) sample.exitIp = *ip;
    if (!sample.exitIp.empty() && !target.expectedIp.empty() && !sameIp(sample.exitIp, target.expectedIp))
    {
        sample.error = "exit IP " + sample.exitIp + " does not match the lease's IP " + target.expectedIp + " (leak)";
        return sample;
    }
    sample.ok = true;
    sample.state = r.latencyMs < _degradedMs ? "active" : "degraded";
    return sample;
}

} // namespace steadyproxy::health

STEADYPROXY_PLUGIN(steadyproxy::health::HttpHealthCheck, "health.http", "1.0.0", "",
    "Checks endpoints through themselves: status, latency and exit IP against the lease")
