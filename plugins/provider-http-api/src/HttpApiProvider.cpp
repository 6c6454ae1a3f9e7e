#include "HttpApiProvider.h"
#include "JsonPath.h"
#include "RequestTemplate.h"
#include <steadyproxy/sdk/Backoff.h>
#include <steadyproxy/sdk/SecretMask.h>
#include <Poco/JSONString.h>
#include <Poco/Net/SSLManager.h>
#include <algorithm>
#include <chrono>

namespace steadyproxy::httpapi {

namespace {

long long systemNowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// `text` with the key replaced by its mask, also where a peer echoed it encoded.
std::string scrub(std::string text, const std::string& secret)
{
    text = scrubSecret(text, secret);
    const std::string encoded = percentEncode(secret);
    if (encoded != secret) text = scrubSecret(text, encoded);
    const std::string escaped = Poco::toJSON(secret, false);
    if (escaped != secret) text = scrubSecret(text, escaped);
    return text;
}

} // namespace

RetryBudget HttpApiProvider::budgetFor(Call call, const ProviderKey& key)
{
    RetryBudget::Call what{_settings.vendor + " " + callName(call), _settings.vendor + " " + describe(call),
                           maskSecret(key.secret), [secret = key.secret](const std::string& text) { return scrub(text, secret); }};
    // one exchange may take at most half of timeout_ms, so that a hung request still leaves time for a retry
    RetryBudget::Limits limits{_settings.timeoutMs, _settings.retries, std::max(_settings.timeoutMs / 2, 100)};
    return RetryBudget(std::move(what), limits, log(), _stopping, [this] { return now(); });
}

HttpApiProvider::HttpApiProvider()
{
    Poco::Net::initializeSSL();
}

HttpApiProvider::~HttpApiProvider()
{
    _http.reset();
    Poco::Net::uninitializeSSL();
}

std::vector<ConfigOption> HttpApiProvider::configOptions() const
{
    return httpApiOptions();
}

void HttpApiProvider::configure(const Poco::Util::AbstractConfiguration& config)
{
    HttpApiSettings settings = readSettings(config);
    std::unique_ptr<HttpCall> http;
    try
    {
        http = std::make_unique<HttpCall>("steadyproxy-provider-http-api/1.0");
    }
    catch (const Poco::Exception& e)
    {
        throw ConfigError(configKey("new_url"), "cannot prepare TLS for https URLs: " + e.displayText());
    }
    _settings = std::move(settings);
    _http = std::move(http);
    _configured = true;
}

void HttpApiProvider::start(PluginContext& context)
{
    if (!_configured)
        throw ConfigError(configKey("new_url"), "provider.http-api was started without configuration: describe the vendor's "
                                                "API in plugins.provider.http-api (see docs/providers.md)");
    _context = &context;
    _stopping.reset();
    log().information("%s API: new %s, current %s, release %s (timeout %d ms, %d retries)", _settings.vendor,
                      describe(Call::New), _settings.currentUrl.empty() ? std::string("not supported") : describe(Call::Current),
                      _settings.releaseUrl.empty() ? std::string("not supported") : describe(Call::Release),
                      _settings.timeoutMs, _settings.retries);
}

void HttpApiProvider::stop()
{
    _stopping.set();
}

std::vector<std::string> HttpApiProvider::regions() const
{
    return _settings.regions;
}

void HttpApiProvider::validateSecret(const std::string& secret) const
{
    const std::string name = "the " + _settings.vendor + " key";
    if (secret.empty()) throw ValidationError("secret", name + " is empty");
    if (secret.size() > 256)
        throw ValidationError("secret", name + " is " + std::to_string(secret.size()) +
                                            " characters long, more than 256: paste the key alone");
    for (std::size_t i = 0; i < secret.size(); ++i)
    {
        const auto c = static_cast<unsigned char>(secret[i]);
        const std::string at = " at position " + std::to_string(i + 1);
        if (c <= 0x20 || c == 0x7f)
            throw ValidationError("secret", name + " contains whitespace or a control character" + at +
                                                ": paste the key alone, without spaces or line breaks");
        if (c >= 0x80) throw ValidationError("secret", name + " contains a non-ASCII character" + at);
    }
}

const std::string& HttpApiProvider::urlOf(Call call) const
{
    switch (call)
    {
    case Call::Current: return _settings.currentUrl;
    case Call::Release: return _settings.releaseUrl;
    case Call::New: break;
    }
    return _settings.newUrl;
}

std::string HttpApiProvider::callName(Call call) const
{
    switch (call)
    {
    case Call::Current: return "current";
    case Call::Release: return "release";
    case Call::New: break;
    }
    return "new";
}

std::string HttpApiProvider::describe(Call call) const
{
    return _settings.method + " " + describeTemplate(urlOf(call));
}

EpochMs HttpApiProvider::now() const
{
    return _context ? _context->clock().now() : systemNowMs();
}

Poco::Logger& HttpApiProvider::log() const
{
    return _context ? _context->logger() : Poco::Logger::get("provider.http-api");
}

Answer HttpApiProvider::exchange(Call call, const ProviderKey& key, const std::string& region, RetryBudget& budget)
{
    const TemplateValues values{key.secret, region};
    const std::string url = expandUrl(urlOf(call), values);
    const std::string body = _settings.method == "POST" ? expandJson(_settings.bodyTemplate, values) : "";
    HttpCall::Headers headers;
    for (const auto& [name, tpl] : _settings.headers)
    {
        std::string value = expandRaw(tpl, values);
        if (value.find_first_of("\r\n") != std::string::npos)
            throw ProviderError(ProviderError::Kind::Rejected,
                                "header " + name + " would contain a line break: check the region and the key");
        headers.emplace_back(name, value);
    }

    HttpReply reply = _http->send(_settings.method, Poco::URI(url), body, headers, budget.remaining());
    const std::string statusText = "HTTP " + std::to_string(reply.status) + (reply.reason.empty() ? "" : " " + reply.reason);
    if (reply.status == 429 || reply.status == 408)
        throw ApiFault(describe(call) + " answered " + statusText + " (the API asks to slow down)", reply.status == 408,
                       reply.retryAfterMs);
    if (reply.status >= 500)
        throw ApiFault(describe(call) + " answered " + statusText + " (the API is failing)", true, reply.retryAfterMs);
    try
    {
        Answer answer = readAnswer(_settings, reply.status, reply.body);
        answer.retryAfterMs = reply.retryAfterMs;
        return answer;
    }
    catch (const AnswerError& e)
    {
        throw ApiFault(describe(call) + " answered " + statusText + " but " + e.what(), true);
    }
}

Lease HttpApiProvider::toLease(const Answer& answer, Call call, const ProviderKey& key, const std::string& region) const
{
    ProxyFields f;
    const EpochMs at = now();
    try
    {
        f = readProxy(_settings, answer.root, at);
    }
    catch (const AnswerError& e)
    {
        throw ApiFault("incomplete or malformed answer to " + describe(call) + ": " + e.what(), true);
    }
    Lease l;
    l.keyId = key.keyId;
    if (f.upstream.kind == Upstream::Kind::Socks5) l.socks5 = f.upstream;
    else l.http = f.upstream;
    l.realIp = f.realIp;
    l.location = f.location;
    l.region = region;
    l.obtainedAt = at;
    l.expiresAt = f.expiresAt;
    l.nextChangeAt = f.nextChangeAt;
    l.ttlSeconds = f.ttlSeconds;
    return l;
}

std::optional<Lease> HttpApiProvider::current(const ProviderKey& key)
{
    if (_settings.currentUrl.empty()) return std::nullopt; // the kernel then asks for a new one
    RetryBudget budget = budgetFor(Call::Current, key);
    for (;;)
    {
        try
        {
            Answer a = exchange(Call::Current, key, key.region, budget);
            if (a.success)
            {
                Lease lease = toLease(a, Call::Current, key, key.region.empty() ? "random" : key.region);
                if (lease.expiresAt && lease.expiresAt <= now()) return std::nullopt; // an expired upstream is no lease
                return lease;
            }
            FailureKind kind = classify(_settings, a);
            if (kind == FailureKind::NoLease) return std::nullopt;
            throwFailure(Call::Current, a, kind, key, a.retryAfterMs);
        }
        catch (const ApiFault& fault)
        {
            budget.failed(fault);
        }
    }
}

Lease HttpApiProvider::acquire(const ProviderKey& key, const std::string& requestedRegion)
{
    const std::string region = requestedRegion.empty() ? "random" : requestedRegion;
    if (!_settings.regions.empty() &&
        std::find(_settings.regions.begin(), _settings.regions.end(), region) == _settings.regions.end())
    {
        std::string list;
        for (const auto& r : _settings.regions) list += (list.empty() ? "" : ", ") + r;
        throw ProviderError(ProviderError::Kind::Rejected,
                            _settings.vendor + " has no region \"" + region + "\": use one of " + list);
    }
    RetryBudget budget = budgetFor(Call::New, key);
    // After a "new" that may have taken effect without us seeing the answer, asking again
    // could change the upstream twice or be refused as too early. When the vendor tells
    // both the current upstream and its next change, look there first.
    const bool canProbe = !_settings.currentUrl.empty() && !_settings.nextChangeAtPath.empty();
    bool probe = false;
    for (;;)
    {
        try
        {
            if (probe)
            {
                probe = false;
                Answer cur = exchange(Call::Current, key, region, budget);
                if (cur.success)
                {
                    Lease lease = toLease(cur, Call::Current, key, region);
                    const EpochMs t = now();
                    if (lease.nextChangeAt > t && (lease.expiresAt == 0 || lease.expiresAt > t))
                    {
                        log().information("%s key %s: the last new call got no readable answer and the current "
                                          "upstream %s is locked until its next change; using it",
                                          _settings.vendor, maskSecret(key.secret), lease.realIp);
                        return lease;
                    }
                }
                else
                {
                    FailureKind kind = classify(_settings, cur);
                    if (kind != FailureKind::NoLease) throwFailure(Call::Current, cur, kind, key, cur.retryAfterMs);
                }
            }
            Answer a = exchange(Call::New, key, region, budget);
            if (a.success)
            {
                Lease lease = toLease(a, Call::New, key, region);
                if (lease.expiresAt && lease.expiresAt <= lease.obtainedAt)
                    throw ApiFault("incomplete or malformed answer to " + describe(Call::New) + ": " +
                                       _settings.expiresAtPath + " (expires_at_path) lies in the past",
                                   true);
                log().information("%s key %s: %s in %s (%s), upstream %s, expires at %Ld, next change at %Ld",
                                  _settings.vendor, maskSecret(key.secret),
                                  lease.realIp.empty() ? std::string("(exit IP not announced)") : lease.realIp,
                                  lease.location.empty() ? std::string("(no location)") : lease.location, region,
                                  (lease.hasSocks5() ? lease.socks5 : lease.http).describe(),
                                  static_cast<Poco::Int64>(lease.expiresAt), static_cast<Poco::Int64>(lease.nextChangeAt));
                return lease;
            }
            throwFailure(Call::New, a, classify(_settings, a), key, a.retryAfterMs);
        }
        catch (const ApiFault& fault)
        {
            probe = canProbe && (probe || fault.maybeProcessed());
            budget.failed(fault);
        }
    }
}

void HttpApiProvider::release(const ProviderKey& key)
{
    if (_settings.releaseUrl.empty())
    {
        log().information("%s key %s: no release_url is configured, the upstream is not given back", _settings.vendor,
                          maskSecret(key.secret));
        return;
    }
    RetryBudget budget = budgetFor(Call::Release, key);
    for (;;)
    {
        try
        {
            Answer a = exchange(Call::Release, key, key.region, budget);
            if (a.success)
            {
                log().information("%s key %s: upstream released", _settings.vendor, maskSecret(key.secret));
                return;
            }
            FailureKind kind = classify(_settings, a);
            if (kind == FailureKind::NoLease || kind == FailureKind::KeyNotFound || kind == FailureKind::KeyExpired)
            {
                log().information("%s key %s: nothing to release (%s)", _settings.vendor, maskSecret(key.secret),
                                  scrub(a.message.empty() ? a.code : a.message, key.secret));
                return;
            }
            throwFailure(Call::Release, a, kind, key, a.retryAfterMs);
        }
        catch (const ApiFault& fault)
        {
            budget.failed(fault);
        }
    }
}

void HttpApiProvider::throwFailure(Call call, const Answer& a, FailureKind kind, const ProviderKey& key,
                                   long long retryAfterMs)
{
    const std::string& vendor = _settings.vendor;
    const std::string masked = maskSecret(key.secret);
    const std::string message = scrub(a.message, key.secret);
    const std::string said = message.empty() ? "(no message)" : message;
    std::string detail = a.code.empty() ? "" : "code " + scrub(a.code, key.secret) + ", ";
    const std::string tag = " [" + detail + "HTTP " + std::to_string(a.httpStatus) + "]";

    switch (kind)
    {
    case FailureKind::KeyNotFound:
        throw ProviderError(ProviderError::Kind::KeyNotFound, vendor + " does not know the key " + masked + ": " + said +
                                                                  tag + ". Check that the whole key was entered.");
    case FailureKind::KeyExpired:
        throw ProviderError(ProviderError::Kind::KeyExpired, vendor + " key " + masked + " has expired: " + said + tag +
                                                                 ". Renew it at " + vendor + ", then rotate the key.");
    case FailureKind::NoLease:
        throw ProviderError(ProviderError::Kind::NoLease,
                            vendor + " has no upstream for key " + masked + " (" + callName(call) + "): " + said + tag);
    case FailureKind::TooEarly:
    {
        const EpochMs t = now();
        long long retryAt = 0;
        if (retryAfterMs > 0) retryAt = t + retryAfterMs;
        if (retryAt == 0 && !_settings.nextChangeAtPath.empty())
        {
            try
            {
                retryAt = readTime(lookup(a.root, _settings.nextChangeAtPath), _settings.nextChangeAtUnit, t, "next change");
            }
            catch (const AnswerError&)
            {
                retryAt = 0; // a failure need not carry it
            }
        }
        if (retryAt == 0)
            if (auto wait = waitMsIn(a.message)) retryAt = t + *wait;
        if (retryAt == 0 && _settings.changeIntervalSeconds > 0) retryAt = t + _settings.changeIntervalSeconds * 1000LL;
        std::string when = retryAt > t ? " The next change is possible in about " +
                                             std::to_string((retryAt - t + 999) / 1000) + " s."
                                       : " The vendor did not say when the next change is possible.";
        throw ProviderError(ProviderError::Kind::TooEarly,
                            vendor + " will not change the upstream of key " + masked + " yet: " + said + tag + "." + when,
                            retryAt);
    }
    case FailureKind::Other:
        break;
    }
    std::string hint;
    if (a.root.isEmpty())
        hint = " (the answer was not JSON: check " + std::string(call == Call::New ? "new_url" : call == Call::Current ? "current_url" : "release_url") + ")";
    else if (a.code.empty() && a.message.empty())
        hint = " (no error code or message was found: check error_code_path and error_message_path)";
    throw ProviderError(ProviderError::Kind::Rejected,
                        vendor + " refused " + describe(call) + " for key " + masked + ": " + said + tag + hint);
}

} // namespace steadyproxy::httpapi
