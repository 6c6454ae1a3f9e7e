#include "KiotProxyProvider.h"
#include <steadyproxy/sdk/Backoff.h>
#include <steadyproxy/sdk/SecretMask.h>
#include <Poco/Environment.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Util/MapConfiguration.h>
#include <algorithm>

namespace steadyproxy::kiotproxy {

namespace {

const char* const kConfigPrefix = "plugins.provider.kiotproxy.";
const char* const kDefaultApiBase = "https://api.kiotproxy.com/api/v1";
const std::vector<std::string> kRegions{"bac", "trung", "nam", "random"};

long long systemNowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

KiotProxyProvider::KiotProxyProvider()
{
    Poco::Net::initializeSSL();
    _sslInitialized = true;
}

KiotProxyProvider::~KiotProxyProvider()
{
    _client.reset();
    if (_sslInitialized) Poco::Net::uninitializeSSL();
}

std::vector<ConfigOption> KiotProxyProvider::configOptions() const
{
    return {
        ConfigOption::string("api_base", kDefaultApiBase, "Base URL of the KiotProxy API (http:// or https://)",
                             "KIOTPROXY_API_BASE"),
        ConfigOption::integer("timeout_ms", 10000, 100, 120000,
                              "Upper bound in milliseconds for one provider call, retries included"),
        ConfigOption::integer("retries", 3, 0, 10,
                              "Retries after 429, 5xx, timeouts, broken JSON or dropped connections (backoff with jitter)"),
        ConfigOption::boolean("release_on_delete", true, "Give the proxy back with /proxies/out when a key is deleted"),
    };
}

void KiotProxyProvider::configure(const Poco::Util::AbstractConfiguration& config)
{
    // The kernel applies defaults and KIOTPROXY_API_BASE before this; honour the variable
    // here too when the section does not name api_base (a host that skips that step).
    std::string apiBase = Poco::Environment::get("KIOTPROXY_API_BASE", kDefaultApiBase);
    apiBase = config.getString("api_base", apiBase);
    const int timeoutMs = config.getInt("timeout_ms", 10000);
    const int retries = config.getInt("retries", 3);
    const bool releaseOnDelete = config.getBool("release_on_delete", true);

    if (timeoutMs < 100 || timeoutMs > 120000)
        throw ConfigError(std::string(kConfigPrefix) + "timeout_ms",
                          std::to_string(timeoutMs) + " is outside 100..120000 milliseconds");
    if (retries < 0 || retries > 10)
        throw ConfigError(std::string(kConfigPrefix) + "retries", std::to_string(retries) + " is outside 0..10");
    std::unique_ptr<KiotApiClient> client;
    try
    {
        client = std::make_unique<KiotApiClient>(apiBase);
    }
    catch (const std::invalid_argument& e)
    {
        throw ConfigError(std::string(kConfigPrefix) + "api_base", e.what());
    }
    catch (const Poco::Exception& e)
    {
        throw ConfigError(std::string(kConfigPrefix) + "api_base", "cannot prepare TLS: " + e.displayText());
    }
    _apiBase = client->base();
    _timeoutMs = timeoutMs;
    _retries = retries;
    _releaseOnDelete = releaseOnDelete;
    _client = std::move(client);
}

void KiotProxyProvider::start(PluginContext& context)
{
    _context = &context;
    _stopping.reset();
    ensureConfigured();
    log().information("KiotProxy API %s (timeout %d ms, %d retries, release on delete %s)",
                      _apiBase, _timeoutMs, _retries, std::string(_releaseOnDelete ? "on" : "off"));
}

void KiotProxyProvider::stop()
{
    _stopping.set();
}

void KiotProxyProvider::ensureConfigured()
{
    if (!_client)
    {
        Poco::AutoPtr<Poco::Util::AbstractConfiguration> empty(new Poco::Util::MapConfiguration);
        configure(*empty);
    }
}

std::vector<std::string> KiotProxyProvider::regions() const
{
    return kRegions;
}

void KiotProxyProvider::validateSecret(const std::string& secret) const
{
    const std::string hint = " (a KiotProxy key usually looks like K followed by 32 hex digits)";
    if (secret.empty()) throw ValidationError("secret", "the KiotProxy key is empty" + hint);
    if (secret.size() > 256)
        throw ValidationError("secret", "the KiotProxy key is " + std::to_string(secret.size()) +
                                        " characters long, more than 256: paste the key alone" + hint);
    for (std::size_t i = 0; i < secret.size(); ++i)
    {
        const auto c = static_cast<unsigned char>(secret[i]);
        const std::string at = " at position " + std::to_string(i + 1);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
            throw ValidationError("secret", "the KiotProxy key contains whitespace" + at +
                                            ": paste the key alone, without spaces or line breaks");
        if (c < 0x20 || c == 0x7f)
            throw ValidationError("secret", "the KiotProxy key contains a control character" + at + hint);
        if (c >= 0x80)
            throw ValidationError("secret", "the KiotProxy key contains a non-ASCII character" + at + hint);
    }
}

std::string KiotProxyProvider::callName(Call call) const
{
    switch (call)
    {
    case Call::Current: return "/proxies/current";
    case Call::New: return "/proxies/new";
    case Call::Out: return "/proxies/out";
    }
    return "?";
}

RetryBudget KiotProxyProvider::budgetFor(Call call, const ProviderKey& key)
{
    RetryBudget::Call what{"KiotProxy " + callName(call), "KiotProxy " + _client->describe(callName(call).substr(1)),
                           maskSecret(key.secret), [secret = key.secret](const std::string& text) { return scrubSecret(text, secret); }};
    return RetryBudget(std::move(what), {_timeoutMs, _retries, 0}, log(), _stopping, [this] { return now(); });
}

EpochMs KiotProxyProvider::now() const
{
    return _context ? _context->clock().now() : systemNowMs();
}

Poco::Logger& KiotProxyProvider::log() const
{
    return _context ? _context->logger() : Poco::Logger::get("provider.kiotproxy");
}

Envelope KiotProxyProvider::exchange(Call call, const ProviderKey& key, const std::string& region, RetryBudget& budget)
{
    KiotApiClient::Query query{{"key", key.secret}};
    if (call == Call::New) query.emplace_back("region", region);
    const std::string path = callName(call).substr(1);

    HttpReply reply = _client->get(path, query, budget.remaining());
    const std::string statusText = "HTTP " + std::to_string(reply.status) + (reply.reason.empty() ? "" : " " + reply.reason);
    if (reply.status == 429 || reply.status == 408)
        throw ApiFault(statusText + " (the API asks to slow down)", reply.status == 408, reply.retryAfterMs);
    if (reply.status >= 500)
        throw ApiFault(statusText + " (the API is failing)", true, reply.retryAfterMs);
    try
    {
        return parseEnvelope(reply.body);
    }
    catch (const AnswerError& e)
    {
        if (reply.status >= 300 && reply.status < 500)
            throw ProviderError(ProviderError::Kind::Rejected,
                                "KiotProxy " + _client->describe(path) + " answered " + statusText +
                                    " without a KiotProxy answer (" + e.what() + "): check api_base (" + _apiBase + ")");
        throw ApiFault(statusText + " but " + e.what(), true);
    }
}

ProxyData KiotProxyProvider::proxyData(const Envelope& env, Call call) const
{
    try
    {
        // KiotProxy always gives the HTTP address; the SOCKS5 one is used when present
        // (the kernel's endpoints.upstream picks which of the two endpoints use).
        return parseProxyData(env.data, true, false);
    }
    catch (const AnswerError& e)
    {
        throw ApiFault("incomplete or malformed answer from " + callName(call) + ": " + e.what(), true);
    }
}

Lease KiotProxyProvider::toLease(const ProxyData& pd, const ProviderKey& key, const std::string& region) const
{
    Lease l;
    l.keyId = key.keyId;
    l.http = pd.http;
    l.socks5 = pd.socks5;
    l.realIp = pd.realIp;
    l.location = pd.location;
    l.region = region;
    l.obtainedAt = now();
    l.expiresAt = pd.expirationAt;
    l.nextChangeAt = pd.nextRequestAt;
    l.ttlSeconds = pd.ttl;
    return l;
}

std::optional<Lease> KiotProxyProvider::current(const ProviderKey& key)
{
    ensureConfigured();
    RetryBudget budget = budgetFor(Call::Current, key);
    for (;;)
    {
        try
        {
            Envelope env = exchange(Call::Current, key, "", budget);
            if (env.success)
            {
                ProxyData pd = proxyData(env, Call::Current);
                const EpochMs serverNow = env.timestamp ? env.timestamp : now();
                if (pd.expirationAt <= serverNow) return std::nullopt; // an expired IP is no lease
                return toLease(pd, key, key.region.empty() ? "random" : key.region);
            }
            if (isNoProxy(env)) return std::nullopt;
            throwFailure(Call::Current, env, key, budget);
        }
        catch (const ApiFault& fault)
        {
            budget.failed(fault);
        }
    }
}

Lease KiotProxyProvider::acquire(const ProviderKey& key, const std::string& requestedRegion)
{
    ensureConfigured();
    const std::string region = requestedRegion.empty() ? "random" : requestedRegion;
    if (std::find(kRegions.begin(), kRegions.end(), region) == kRegions.end())
        throw ProviderError(ProviderError::Kind::Rejected,
                            "KiotProxy has no region '" + region + "': use bac, trung, nam or random");
    RetryBudget budget = budgetFor(Call::New, key);
    // After an exchange that may have taken effect without us seeing the answer, a repeated
    // /new could change the IP twice or be refused as too early; look at /current first.
    bool probe = false;
    for (;;)
    {
        try
        {
            if (probe)
            {
                Envelope cur = exchange(Call::Current, key, "", budget);
                if (cur.success)
                {
                    ProxyData pd = proxyData(cur, Call::Current);
                    const EpochMs serverNow = cur.timestamp ? cur.timestamp : now();
                    if (pd.nextRequestAt > serverNow && pd.expirationAt > serverNow)
                    {
                        log().information("KiotProxy key %s: the last /proxies/new got no readable answer and "
                                          "/proxies/current shows %s locked until the next change; using it",
                                          maskSecret(key.secret), pd.realIp);
                        return toLease(pd, key, region);
                    }
                }
                else if (!isNoProxy(cur))
                {
                    throwFailure(Call::Current, cur, key, budget);
                }
                probe = false;
            }
            Envelope env = exchange(Call::New, key, region, budget);
            if (env.success)
            {
                Lease lease = toLease(proxyData(env, Call::New), key, region);
                log().information("KiotProxy key %s: %s in %s (%s), http %s, socks5 %s, expires at %Ld, next change at %Ld",
                                  maskSecret(key.secret), lease.realIp, lease.location, region,
                                  lease.http.describe(), lease.socks5.describe(),
                                  static_cast<Poco::Int64>(lease.expiresAt), static_cast<Poco::Int64>(lease.nextChangeAt));
                return lease;
            }
            throwFailure(Call::New, env, key, budget);
        }
        catch (const ApiFault& fault)
        {
            probe = probe || fault.maybeProcessed();
            budget.failed(fault);
        }
    }
}

void KiotProxyProvider::release(const ProviderKey& key)
{
    ensureConfigured();
    if (!_releaseOnDelete)
    {
        log().information("KiotProxy key %s: release_on_delete is off, the proxy is not given back",
                          maskSecret(key.secret));
        return;
    }
    RetryBudget budget = budgetFor(Call::Out, key);
    for (;;)
    {
        try
        {
            Envelope env = exchange(Call::Out, key, "", budget);
            if (env.success)
            {
                log().information("KiotProxy key %s: proxy released", maskSecret(key.secret));
                return;
            }
            if (isNoProxy(env) || isKeyNotFound(env) || isKeyExpired(env))
            {
                log().information("KiotProxy key %s: nothing to release (%s)", maskSecret(key.secret),
                                  scrubSecret(env.message, key.secret));
                return;
            }
            throwFailure(Call::Out, env, key, budget);
        }
        catch (const ApiFault& fault)
        {
            budget.failed(fault);
        }
    }
}

long long KiotProxyProvider::retryAtFromCurrent(const ProviderKey& key, RetryBudget& budget)
{
    try
    {
        Envelope cur = exchange(Call::Current, key, "", budget);
        if (!cur.success) return 0;
        ProxyData pd = parseProxyData(cur.data, false, false);
        const EpochMs serverNow = cur.timestamp ? cur.timestamp : now();
        if (pd.nextRequestAt > serverNow) return now() + (pd.nextRequestAt - serverNow);
        if (pd.ttc > 0) return now() + pd.ttc * 1000LL;
    }
    catch (const std::exception&)
    {
        // Only a hint: the caller falls back to a fixed delay.
    }
    return 0;
}

void KiotProxyProvider::throwFailure(Call call, const Envelope& env, const ProviderKey& key, RetryBudget& budget)
{
    const std::string masked = maskSecret(key.secret);
    const std::string message = scrubSecret(env.message, key.secret);
    std::string detail = env.error.empty() ? "" : env.error;
    if (env.code) detail += (detail.empty() ? "code " : ", code ") + std::to_string(env.code);
    const std::string said = message.empty() ? "(no message)" : message;
    const std::string tag = detail.empty() ? "" : " [" + scrubSecret(detail, key.secret) + "]";

    if (isKeyNotFound(env))
        throw ProviderError(ProviderError::Kind::KeyNotFound,
                            "KiotProxy does not know the key " + masked + ": " + said + tag +
                                ". Check that the whole key was entered.");
    if (isKeyExpired(env))
        throw ProviderError(ProviderError::Kind::KeyExpired,
                            "KiotProxy key " + masked + " has expired: " + said + tag +
                                ". Renew it at KiotProxy, then rotate the key.");
    if (call == Call::New && !isNoProxy(env))
    {
        const bool early = looksTooEarly(env);
        long long retryAt = 0;
        if (auto wait = waitMsIn(env.message)) retryAt = now() + *wait;
        else retryAt = retryAtFromCurrent(key, budget);
        if (early || retryAt > 0)
        {
            if (retryAt <= 0) retryAt = now() + 60000;
            const long long seconds = std::max<long long>(0, (retryAt - now() + 999) / 1000);
            throw ProviderError(ProviderError::Kind::TooEarly,
                                "KiotProxy will not change the proxy of key " + masked + " yet: " + said + tag +
                                    ". The next change is possible in about " + std::to_string(seconds) + " s.",
                                retryAt);
        }
    }
    throw ProviderError(ProviderError::Kind::Rejected,
                        "KiotProxy refused " + callName(call) + " for key " + masked + ": " + said + tag);
}

} // namespace steadyproxy::kiotproxy
