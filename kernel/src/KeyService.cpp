#include <steadyproxy/sdk/SecretMask.h>
#include <steadyproxy/kernel/KeyService.h>
#include <Poco/Logger.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>
#include <algorithm>
#include <set>

namespace steadyproxy::kernel {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("kernel.keys"); }

std::string leaseJob(std::int64_t id) { return "lease:" + std::to_string(id); }
std::string healthJob(std::int64_t id) { return "health:" + std::to_string(id); }

/// Checks a CIDR ("10.0.0.0/8", "::1/128", or a bare address).
void validateCidr(const std::string& cidr)
{
    std::string address = cidr.substr(0, cidr.find('/'));
    Poco::Net::IPAddress ip;
    if (!Poco::Net::IPAddress::tryParse(address, ip))
        throw ValidationError("allow_cidrs", "\"" + cidr + "\" is not an IP address or CIDR block");
    if (cidr.find('/') != std::string::npos)
    {
        std::string bits = cidr.substr(cidr.find('/') + 1);
        int max = ip.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128;
        bool digits = !bits.empty() && bits.size() <= 3 && std::all_of(bits.begin(), bits.end(), ::isdigit);
        if (!digits || std::stoi(bits) > max)
            throw ValidationError("allow_cidrs", "\"" + cidr + "\" has a prefix length outside 0.." + std::to_string(max));
    }
}

const char* kindName(ProviderError::Kind kind)
{
    switch (kind)
    {
    case ProviderError::Kind::Transient: return "transient";
    case ProviderError::Kind::TooEarly: return "too_early";
    case ProviderError::Kind::KeyNotFound: return "key_not_found";
    case ProviderError::Kind::KeyExpired: return "key_expired";
    case ProviderError::Kind::NoLease: return "no_lease";
    case ProviderError::Kind::Rejected: return "rejected";
    }
    return "other";
}

bool sameUpstream(const Lease& a, const Lease& b)
{
    return a.realIp == b.realIp && a.http == b.http && a.socks5 == b.socks5;
}

} // namespace

KeyService::KeyService(const KernelOptions& options, Registry& registry, SecretBox& secrets, Clock& clock,
                       EventBus& events, Scheduler* scheduler, bool online):
    _options(options),
    _registry(registry),
    _storage(registry.require<Storage>("storage")),
    _secrets(secrets),
    _clock(clock),
    _events(events),
    _scheduler(scheduler),
    _online(online && scheduler)
{
}

KeyService::~KeyService() { stop(); }

void KeyService::start()
{
    _settings = _storage.loadSettings();
    if (!_settings.saved) _settings.healthCheckIntervalSeconds = _options.healthIntervalSeconds;
    std::map<std::int64_t, Lease> leases;
    for (auto& lease : _storage.currentLeases()) leases[lease.keyId] = lease;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        for (auto& key : _storage.listKeys())
        {
            Runtime r;
            r.key = key;
            auto it = leases.find(key.id);
            if (it != leases.end()) r.lease = it->second;
            _keys[key.id] = std::move(r);
        }
    }
    if (!_online) return;
    _proxy = _registry.allOf<ForwardProxy>().empty() ? nullptr : _registry.allOf<ForwardProxy>().front();
    if (!_proxy) logger().warning("no forward proxy plugin is loaded: endpoints are not served");
    _subscription = _events.subscribe([this](const Event& e) {
        if (e.type == "upstream.failure" && e.keyId && _scheduler)
            _scheduler->schedule(healthJob(e.keyId), _clock.now(), [this, id = e.keyId] { runHealthJob(id); });
    });
    std::vector<std::int64_t> ids;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        for (auto& [id, r] : _keys) ids.push_back(id);
    }
    EpochMs now = _clock.now();
    for (auto id : ids)
    {
        std::shared_ptr<const Upstream> upstream;
        ProxyKey key;
        {
            std::lock_guard<std::mutex> lock(_mutex);
            Runtime& r = _keys[id];
            key = r.key;
            if (r.lease && (r.lease->expiresAt == 0 || r.lease->expiresAt > now)) upstream = upstreamOf(*r.lease);
        }
        if (_proxy)
        {
            try
            {
                _proxy->upsertEndpoint(endpointSpec(key), upstream);
            }
            catch (const std::exception& e)
            {
                std::lock_guard<std::mutex> lock(_mutex);
                setStatus(_keys[id], "error", std::string("endpoint not served: ") + e.what());
            }
        }
        logger().information("serving " + key.subdomain + " on port " + std::to_string(key.port) + " via " +
                             (upstream ? upstream->describe() : std::string("no upstream yet")));
        plan(id);
        _scheduler->schedule(healthJob(id), now + 2000, [this, id] { runHealthJob(id); });
    }
    _scheduler->schedule("routers", now, [this] { writeRouters(); });
}

void KeyService::stop()
{
    if (_subscription)
    {
        _events.unsubscribe(_subscription);
        _subscription = 0;
    }
}

void KeyService::countCall(const ProxyKey& key, const std::string& call, const std::string& outcome)
{
    if (_metrics) _metrics->countProviderCall(key.providerId, call, outcome);
}

void KeyService::countRotation(const std::string& reason, const std::string& result)
{
    if (_metrics) _metrics->countRotation(reason, result);
}

UpstreamProvider& KeyService::providerFor(const ProxyKey& key) const
{
    if (auto* p = _registry.find<UpstreamProvider>(key.providerId)) return *p;
    throw Error("key " + key.subdomain + " uses provider " + key.providerId +
                ", which is not loaded: add it to plugins.load");
}

ProviderKey KeyService::providerKey(const ProxyKey& key) const
{
    return ProviderKey{key.id, _secrets.open(key.secretSealed), key.region};
}

std::shared_ptr<const Upstream> KeyService::upstreamOf(const Lease& lease) const
{
    bool socks = _options.upstreamProtocol == "socks5";
    if (socks && lease.hasSocks5()) return std::make_shared<Upstream>(lease.socks5);
    if (lease.hasHttp()) return std::make_shared<Upstream>(lease.http);
    if (lease.hasSocks5()) return std::make_shared<Upstream>(lease.socks5);
    return nullptr;
}

EndpointSpec KeyService::endpointSpec(const ProxyKey& key) const
{
    EndpointSpec spec;
    spec.keyId = key.id;
    spec.name = key.subdomain;
    spec.port = key.port;
    spec.username = key.endpointUser;
    spec.password = _secrets.open(key.endpointPassSealed);
    spec.allowCidrs = key.allowCidrs;
    spec.active = key.active;
    return spec;
}

void KeyService::serveEndpoint(std::int64_t id, const ProxyKey& key)
{
    if (!_proxy) return;
    std::shared_ptr<const Upstream> upstream;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        const Runtime& r = runtime(id);
        if (r.lease) upstream = upstreamOf(*r.lease);
    }
    _proxy->upsertEndpoint(endpointSpec(key), upstream);
}

KeyView KeyService::viewOf(const Runtime& r) const
{
    KeyView v;
    v.key = r.key;
    v.lease = r.lease;
    v.health = r.health;
    v.nextRotationAt = r.nextAt;
    v.nextRotationReason = r.nextReason;
    v.consecutiveFailures = r.failures;
    return v;
}

KeyService::Runtime& KeyService::runtime(std::int64_t id)
{
    auto it = _keys.find(id);
    if (it == _keys.end()) throw NotFoundError("no key with id " + std::to_string(id));
    return it->second;
}

const KeyService::Runtime& KeyService::runtime(std::int64_t id) const
{
    auto it = _keys.find(id);
    if (it == _keys.end()) throw NotFoundError("no key with id " + std::to_string(id));
    return it->second;
}

void KeyService::setStatus(Runtime& r, const std::string& status, const std::string& message)
{
    if (r.key.status == status && r.key.statusMessage == message) return;
    logger().information(r.key.subdomain + " status " + r.key.status + " -> " + status +
                         (message.empty() ? "" : ": " + message));
    r.key.status = status;
    r.key.statusMessage = message;
    try
    {
        _storage.updateKey(r.key);
    }
    catch (const std::exception& e)
    {
        logger().error("could not store the status of " + r.key.subdomain + ": " + e.what());
    }
    publish("key.updated", r.key.id, {{"status", status}, {"message", message}});
}

void KeyService::publish(const std::string& type, std::int64_t keyId, std::map<std::string, std::string> data)
{
    Event e;
    e.type = type;
    e.keyId = keyId;
    e.at = _clock.now();
    e.data = std::move(data);
    _events.publish(e);
}

KeyView KeyService::addKey(const NewKey& request)
{
    std::string providerId = request.providerId;
    if (providerId.empty())
    {
        auto providers = _registry.allOf<UpstreamProvider>();
        if (providers.empty()) throw ValidationError("provider", "no upstream provider plugin is loaded");
        providerId = _registry.idOf(providers.front());
    }
    auto* provider = _registry.find<UpstreamProvider>(providerId);
    if (!provider) throw ValidationError("provider", "no provider \"" + providerId + "\" is loaded");
    std::string secret = Poco::trim(request.secret);
    provider->validateSecret(secret);
    auto regions = provider->regions();
    std::string region = request.region.empty() ? "random" : request.region;
    if (!regions.empty() && std::find(regions.begin(), regions.end(), region) == regions.end())
    {
        std::string list;
        for (const auto& r : regions) list += (list.empty() ? "" : "|") + r;
        throw ValidationError("region", "region must be one of " + list + ", got \"" + region + "\"");
    }
    if (request.name.size() > 200) throw ValidationError("key_name", "the name is longer than 200 bytes");

    ProxyKey key;
    key.ownerId = request.ownerId;
    key.providerId = providerId;
    key.secretSealed = _secrets.seal(secret);
    key.secretMasked = maskSecret(secret);
    key.secretFingerprint = _secrets.fingerprint(providerId + "\n" + secret);
    key.region = region;
    key.createdAt = _clock.now();
    key.status = "pending";
    key.statusMessage = "waiting for the first upstream";
    std::int64_t id = 0;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        std::set<std::string> names;
        std::set<int> ports;
        for (auto& [kid, r] : _keys)
        {
            if (r.key.secretFingerprint == key.secretFingerprint)
                throw ConflictError("this provider key is already added (as " + r.key.subdomain + ")");
            names.insert(r.key.subdomain);
            ports.insert(r.key.port);
        }
        if (!request.subdomain.empty())
        {
            bool valid = request.subdomain.size() > 5 && request.subdomain.compare(0, 5, "proxy") == 0 &&
                         std::all_of(request.subdomain.begin() + 5, request.subdomain.end(), ::isdigit) &&
                         request.subdomain[5] != '0' && request.subdomain.size() <= 8;
            if (!valid) throw ValidationError("subdomain", "\"" + request.subdomain + "\" is not proxy1 .. proxy999");
            if (names.count(request.subdomain)) throw ConflictError(request.subdomain + " is already used by another key");
            key.subdomain = request.subdomain;
        }
        if (request.port)
        {
            if (ports.count(request.port)) throw ConflictError("port " + std::to_string(request.port) + " is already used by another key");
            key.port = request.port;
        }
        if (request.createdAt) key.createdAt = request.createdAt;
        key.active = request.active;
        if (!key.active)
        {
            key.status = "disabled";
            key.statusMessage = "disabled by a person";
        }
        for (int n = 1; n <= 999 && key.subdomain.empty(); ++n)
            if (!names.count("proxy" + std::to_string(n))) key.subdomain = "proxy" + std::to_string(n);
        for (int p = _options.portStart; p <= _options.portEnd && key.port == 0; ++p)
            if (!ports.count(p)) key.port = static_cast<std::uint16_t>(p);
        if (key.subdomain.empty()) throw ConflictError("all 999 endpoint names are in use");
        if (key.port == 0)
            throw ConflictError("no free endpoint port left in " + std::to_string(_options.portStart) + "-" +
                                std::to_string(_options.portEnd) + ": widen endpoints.port_start/port_end");
        key.name = request.name.empty() ? key.subdomain : request.name;
        key.endpointUser = key.subdomain;
        key.endpointPassSealed = _secrets.seal(SecretBox::randomToken(12));
        LogEntry log{0, 0, "add", "add", region, "success",
                     "Added " + key.secretMasked + " as " + key.subdomain + " on port " + std::to_string(key.port),
                     key.createdAt};
        id = _storage.addKey(key, log);
        key.id = id;
        Runtime r;
        r.key = key;
        _keys[id] = std::move(r);
    }
    logger().information("added key " + key.secretMasked + " as " + key.subdomain + " (port " + std::to_string(key.port) + ")");
    publish("key.added", id, {{"subdomain", key.subdomain}, {"port", std::to_string(key.port)}});
    if (_online) goLive(id, key);
    std::lock_guard<std::mutex> lock(_mutex);
    return viewOf(runtime(id));
}

void KeyService::goLive(std::int64_t id, const ProxyKey& key)
{
    if (_proxy)
    {
        try
        {
            _proxy->upsertEndpoint(endpointSpec(key), nullptr);
        }
        catch (const std::exception& e)
        {
            std::lock_guard<std::mutex> lock(_mutex);
            setStatus(runtime(id), "error", std::string("endpoint not served: ") + e.what());
        }
    }
    if (key.active) obtainLease(id, "add", std::nullopt);
    _scheduler->schedule(healthJob(id), _clock.now() + 1000, [this, id] { runHealthJob(id); });
    _scheduler->schedule("routers", _clock.now(), [this] { writeRouters(); });
}

void KeyService::retire(std::int64_t id, const ProxyKey& key)
{
    if (_scheduler)
    {
        _scheduler->cancel(leaseJob(id));
        _scheduler->cancel(healthJob(id));
    }
    if (_proxy) _proxy->removeEndpoint(id);
    if (!_online) return;
    try
    {
        providerFor(key).release(providerKey(key));
        countCall(key, "release", "ok");
    }
    catch (const ProviderError& e)
    {
        countCall(key, "release", kindName(e.kind()));
        logger().warning("could not release the upstream of " + key.subdomain + ": " + e.what());
    }
    catch (const std::exception& e)
    {
        logger().warning("could not release the upstream of " + key.subdomain + ": " + e.what());
    }
}

std::vector<std::string> KeyService::syncWithStore()
{
    std::vector<std::string> changes;
    if (!_online) return changes;
    std::vector<ProxyKey> added, removed;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        std::set<std::int64_t> stored;
        for (auto& key : _storage.listKeys())
        {
            stored.insert(key.id);
            if (_keys.count(key.id)) continue;
            Runtime r;
            r.key = key;
            _keys[key.id] = std::move(r);
            added.push_back(key);
        }
        for (auto& [id, r] : _keys)
            if (!stored.count(id)) removed.push_back(r.key);
    }
    for (const auto& key : removed)
    {
        retire(key.id, key);
        {
            std::lock_guard<std::mutex> lock(_mutex);
            _keys.erase(key.id);
        }
        logger().information("removed " + key.subdomain + " (" + key.secretMasked + "): it is no longer in the store");
        publish("key.removed", key.id, {{"subdomain", key.subdomain}});
        changes.push_back(key.subdomain + " was removed from the store by another process: no longer served");
    }
    for (const auto& key : added)
    {
        logger().information("added key " + key.secretMasked + " as " + key.subdomain + " (port " + std::to_string(key.port) +
                             "): found in the store");
        publish("key.added", key.id, {{"subdomain", key.subdomain}, {"port", std::to_string(key.port)}});
        goLive(key.id, key);
        changes.push_back(key.subdomain + " was added to the store by another process: now served on port " +
                          std::to_string(key.port));
    }
    if (!removed.empty()) _scheduler->schedule("routers", _clock.now(), [this] { writeRouters(); });
    return changes;
}

void KeyService::removeKey(std::int64_t id)
{
    ProxyKey key;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        key = runtime(id).key;
    }
    retire(id, key);
    LogEntry log{0, id, "delete", "manual", key.region, "success", "Deleted " + key.subdomain + " (" + key.secretMasked + ")", _clock.now()};
    {
        // one step for syncWithStore(): never a key gone from the store yet still served
        std::lock_guard<std::mutex> lock(_mutex);
        _storage.removeKey(id, log);
        _keys.erase(id);
    }
    logger().information("removed " + key.subdomain + " (" + key.secretMasked + ")");
    publish("key.removed", id, {{"subdomain", key.subdomain}});
    if (_scheduler && _online) _scheduler->schedule("routers", _clock.now(), [this] { writeRouters(); });
}

KeyView KeyService::updateKey(std::int64_t id, const KeyChange& change)
{
    if (change.allowCidrs)
        for (const auto& cidr : *change.allowCidrs) validateCidr(cidr);
    if (change.overrides && change.overrides->autoRotateIntervalMinutes && *change.overrides->autoRotateIntervalMinutes < 2)
        throw ValidationError("auto_rotate_interval_minutes", "the rotation interval must be at least 2 minutes");
    if (change.name && change.name->size() > 200) throw ValidationError("key_name", "the name is longer than 200 bytes");
    ProxyKey key;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        Runtime& r = runtime(id);
        key = r.key;
        if (change.region)
        {
            auto regions = providerFor(key).regions();
            if (!regions.empty() && std::find(regions.begin(), regions.end(), *change.region) == regions.end())
                throw ValidationError("region", "region must be one of bac|trung|nam|random, got \"" + *change.region + "\"");
            key.region = *change.region;
        }
        if (change.name) key.name = *change.name;
        if (change.active) key.active = *change.active;
        if (change.allowCidrs) key.allowCidrs = *change.allowCidrs;
        if (change.overrides) key.overrides = *change.overrides;
        if (change.active && !*change.active)
        {
            key.status = "disabled";
            key.statusMessage = "disabled by a person";
        }
        else if (change.active && *change.active)
        {
            r.halted = false;
            if (r.key.status == "disabled")
            {
                key.status = "pending";
                key.statusMessage.clear();
            }
        }
        _storage.updateKey(key);
        r.key = key;
    }
    serveEndpoint(id, key);
    publish("key.updated", id, {{"subdomain", key.subdomain}});
    if (_online) plan(id);
    std::lock_guard<std::mutex> lock(_mutex);
    return viewOf(runtime(id));
}

RotationOutcome KeyService::rotate(std::int64_t id, const std::string& reason, const std::optional<std::string>& region)
{
    if (region)
    {
        std::lock_guard<std::mutex> lock(_mutex);
        auto regions = providerFor(runtime(id).key).regions();
        if (!regions.empty() && std::find(regions.begin(), regions.end(), *region) == regions.end())
            throw ValidationError("region", "region must be one of bac|trung|nam|random, got \"" + *region + "\"");
        runtime(id).halted = false;
    }
    else
    {
        std::lock_guard<std::mutex> lock(_mutex);
        runtime(id).halted = false;
    }
    if (!_online) throw Error("rotation needs the running server");
    return obtainLease(id, reason, region);
}

RotationOutcome KeyService::obtainLease(std::int64_t id, const std::string& reason, const std::optional<std::string>& region)
{
    std::shared_ptr<std::mutex> exchange;
    ProxyKey key;
    std::optional<Lease> current;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        Runtime& r = runtime(id);
        exchange = r.exchange;
    }
    std::lock_guard<std::mutex> exchangeLock(*exchange);
    {
        std::lock_guard<std::mutex> lock(_mutex);
        Runtime& r = runtime(id);
        key = r.key;
        current = r.lease;
    }
    RotationOutcome outcome;
    outcome.oldIp = current ? current->realIp : "";
    std::string useRegion = region.value_or(key.region);
    EpochMs now = _clock.now();
    if (current && current->nextChangeAt > now && reason != "add")
    {
        countRotation(reason, "scheduled");
        outcome.scheduled = true;
        outcome.at = current->nextChangeAt;
        outcome.message = "the provider allows the next change in " +
                          std::to_string((current->nextChangeAt - now + 999) / 1000) + " s; rotation scheduled";
        std::lock_guard<std::mutex> lock(_mutex);
        Runtime& r = runtime(id);
        r.nextAt = current->nextChangeAt;
        r.nextReason = reason;
        if (_scheduler)
            _scheduler->schedule(leaseJob(id), r.nextAt, [this, id, reason] { runLeaseJob(id, reason); });
        _storage.addLog(LogEntry{0, id, "rotate", reason, useRegion, "scheduled", outcome.message, now});
        publish("rotation.scheduled", id, {{"at", std::to_string(r.nextAt)}, {"reason", reason}});
        return outcome;
    }
    UpstreamProvider& provider = providerFor(key);
    ProviderKey pk = providerKey(key);
    pk.region = useRegion;
    std::optional<Lease> lease;
    std::string call = "current";
    try
    {
        if (!current)
        {
            lease = provider.current(pk);
            countCall(key, call, "ok");
            if (lease && lease->expiresAt && lease->expiresAt <= now + 1000 * _settings.expiryLeadSeconds) lease.reset();
        }
        if (!lease)
        {
            call = "acquire";
            lease = provider.acquire(pk, useRegion);
            countCall(key, call, "ok");
        }
    }
    catch (const ProviderError& e)
    {
        countCall(key, call, kindName(e.kind()));
        countRotation(reason, e.kind() == ProviderError::Kind::TooEarly ? "scheduled" : "error");
        std::lock_guard<std::mutex> lock(_mutex);
        Runtime& r = runtime(id);
        outcome.message = e.what();
        std::string status;
        EpochMs retry = 0;
        switch (e.kind())
        {
        case ProviderError::Kind::TooEarly:
            retry = e.retryAt() > now ? e.retryAt() : now + 60000;
            outcome.scheduled = true;
            outcome.at = retry;
            status = r.lease ? r.key.status : "waiting";
            break;
        case ProviderError::Kind::KeyNotFound:
        case ProviderError::Kind::KeyExpired:
            r.halted = true;
            status = "error";
            break;
        default:
        {
            r.transientErrors = std::min(r.transientErrors + 1, 8);
            EpochMs backoff = std::min<EpochMs>(300000, 5000LL << (r.transientErrors - 1));
            retry = e.retryAt() > now ? e.retryAt() : now + backoff;
            status = r.lease ? r.key.status : "error";
        }
        }
        _storage.addLog(LogEntry{0, id, "rotate", reason, useRegion, outcome.scheduled ? "scheduled" : "error", e.what(), now});
        logger().warning(key.subdomain + ": " + reason + " rotation did not happen: " + e.what());
        setStatus(r, status, e.what());
        if (retry && _scheduler)
        {
            r.nextAt = retry;
            r.nextReason = reason;
            _scheduler->schedule(leaseJob(id), retry, [this, id, reason] { runLeaseJob(id, reason); });
        }
        else
        {
            // A permanent refusal: no planned rotation may call the provider again.
            if (_scheduler) _scheduler->cancel(leaseJob(id));
            r.nextAt = 0;
            r.nextReason.clear();
        }
        return outcome;
    }
    lease->keyId = id;
    lease->region = useRegion;
    lease->reason = reason;
    if (!lease->obtainedAt) lease->obtainedAt = now;
    if (current && sameUpstream(*current, *lease))
    {
        // The provider answered with the unchanged upstream: treat as "too early".
        countRotation(reason, "scheduled");
        std::lock_guard<std::mutex> lock(_mutex);
        Runtime& r = runtime(id);
        EpochMs retry = lease->nextChangeAt > now ? lease->nextChangeAt : now + 60000;
        r.lease->nextChangeAt = lease->nextChangeAt;
        r.lease->expiresAt = lease->expiresAt ? lease->expiresAt : r.lease->expiresAt;
        outcome.scheduled = true;
        outcome.at = retry;
        outcome.newIp = current->realIp;
        outcome.message = "the provider kept the same upstream; next change allowed in " +
                          std::to_string((retry - now + 999) / 1000) + " s";
        r.nextAt = retry;
        r.nextReason = reason;
        if (_scheduler) _scheduler->schedule(leaseJob(id), retry, [this, id, reason] { runLeaseJob(id, reason); });
        _storage.addLog(LogEntry{0, id, "rotate", reason, useRegion, "scheduled", outcome.message, now});
        return outcome;
    }
    std::string details = current ? "Rotated from " + current->realIp + " to " + lease->realIp
                                  : "Upstream " + lease->realIp + " (" + lease->location + ")";
    LogEntry log{0, id, "rotate", reason, useRegion, "success", details, now};
    lease->id = _storage.recordLease(*lease, log);
    countRotation(reason, "success");
    auto upstream = upstreamOf(*lease);
    if (_proxy) _proxy->setUpstream(id, upstream);
    {
        std::lock_guard<std::mutex> lock(_mutex);
        Runtime& r = runtime(id);
        r.lease = *lease;
        r.key.lastRotatedAt = lease->obtainedAt;
        r.transientErrors = 0;
        r.failures = 0;
        setStatus(r, upstream ? "active" : "error", upstream ? "" : "the provider gave no usable address");
    }
    outcome.rotated = true;
    outcome.newIp = lease->realIp;
    outcome.location = lease->location;
    outcome.message = details;
    logger().information(key.subdomain + ": " + details + " [" + reason + "]");
    publish("upstream.changed", id, {{"old_ip", outcome.oldIp}, {"new_ip", lease->realIp}, {"location", lease->location},
                                     {"reason", reason}, {"upstream", upstream ? upstream->describe() : ""}});
    plan(id);
    // Check the new upstream through the endpoint right away (and so refresh the exit IP).
    if (_scheduler) _scheduler->schedule(healthJob(id), _clock.now() + 200, [this, id] { runHealthJob(id); });
    return outcome;
}

void KeyService::plan(std::int64_t id)
{
    if (!_scheduler) return;
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _keys.find(id);
    if (it == _keys.end()) return;
    Runtime& r = it->second;
    if (r.halted || !r.key.active)
    {
        _scheduler->cancel(leaseJob(id));
        r.nextAt = 0;
        r.nextReason.clear();
        return;
    }
    EpochMs now = _clock.now();
    std::optional<RotationDecision> best;
    if (!r.lease)
        best = RotationDecision{now, "add"};
    else
    {
        RotationInput input;
        input.key = &r.key;
        input.lease = &*r.lease;
        input.settings = r.key.overrides.applyTo(_settings);
        input.consecutiveFailures = r.failures;
        input.now = now;
        for (auto* policy : _registry.allOf<RotationPolicy>())
        {
            try
            {
                auto d = policy->next(input);
                if (d && (!best || d->at < best->at)) best = d;
            }
            catch (const std::exception& e)
            {
                logger().error("rotation policy " + _registry.idOf(policy) + " failed: " + e.what());
            }
        }
        if (best && r.lease->nextChangeAt > best->at) best->at = r.lease->nextChangeAt;
    }
    if (!best)
    {
        _scheduler->cancel(leaseJob(id));
        r.nextAt = 0;
        r.nextReason.clear();
        return;
    }
    r.nextAt = best->at;
    r.nextReason = best->reason;
    _scheduler->schedule(leaseJob(id), best->at, [this, id, reason = best->reason] { runLeaseJob(id, reason); });
}

void KeyService::runLeaseJob(std::int64_t id, const std::string& reason)
{
    try
    {
        obtainLease(id, reason, std::nullopt);
    }
    catch (const NotFoundError&)
    {
        // the key was removed meanwhile
    }
    catch (const std::exception& e)
    {
        logger().error("rotation of key " + std::to_string(id) + " failed: " + e.what());
    }
}

HealthSample KeyService::check(std::int64_t id)
{
    if (!_online) throw Error("health checks need the running server");
    return doCheck(id);
}

void KeyService::runHealthJob(std::int64_t id)
{
    try
    {
        doCheck(id);
    }
    catch (const NotFoundError&)
    {
        return;
    }
    catch (const std::exception& e)
    {
        logger().error("health check of key " + std::to_string(id) + " failed: " + e.what());
    }
    int interval = 0;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (!_keys.count(id)) return;
        interval = _settings.healthCheckIntervalSeconds;
    }
    _scheduler->schedule(healthJob(id), _clock.now() + interval * 1000LL, [this, id] { runHealthJob(id); });
}

HealthSample KeyService::doCheck(std::int64_t id)
{
    auto checks = _registry.allOf<HealthCheck>();
    HealthTarget target;
    std::string subdomain;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        Runtime& r = runtime(id);
        if (!r.key.active || checks.empty()) return r.health.value_or(HealthSample{});
        target.keyId = id;
        target.proxyHost = _options.proxyHost;
        target.proxyPort = r.key.port;
        target.username = r.key.endpointUser;
        target.password = _secrets.open(r.key.endpointPassSealed);
        target.expectedIp = r.lease ? r.lease->realIp : "";
        subdomain = r.key.subdomain;
    }
    HealthSample sample = checks.front()->check(target);
    sample.keyId = id;
    if (!sample.at) sample.at = _clock.now();
    _storage.addHealthSample(sample);
    bool replan = false;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        auto it = _keys.find(id);
        if (it == _keys.end()) return sample;
        Runtime& r = it->second;
        std::string before = r.health ? r.health->state : "";
        r.health = sample;
        r.failures = sample.ok ? 0 : r.failures + 1;
        replan = !sample.ok;
        if (before != sample.state)
        {
            logger().information(subdomain + " health " + (before.empty() ? "unknown" : before) + " -> " + sample.state +
                                 (sample.error.empty() ? "" : ": " + sample.error));
            _storage.addLog(LogEntry{0, id, "check", "health", r.key.region, sample.ok ? "success" : "error",
                                     sample.ok ? "Healthy (" + std::to_string(sample.latencyMs) + " ms, exit " + sample.exitIp + ")"
                                               : sample.error,
                                     sample.at});
        }
        // A key the provider refused for good keeps that error (and its message) until a
        // person acts, even while its last upstream still answers.
        if (!r.halted && (r.key.status != "waiting" || sample.ok))
            setStatus(r, sample.ok ? sample.state : "error", sample.ok ? "" : sample.error);
    }
    publish("health.changed", id, {{"state", sample.state}, {"latency_ms", std::to_string(sample.latencyMs)},
                                   {"exit_ip", sample.exitIp}, {"error", sample.error}});
    if (replan) plan(id);
    return sample;
}

void KeyService::restartEndpoint(std::int64_t id)
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        runtime(id);
    }
    if (!_proxy) throw Error("no forward proxy plugin is loaded");
    _proxy->restartEndpoint(id);
    _storage.addLog(LogEntry{0, id, "restart", "manual", "", "success", "Endpoint listener restarted", _clock.now()});
    publish("endpoint.restarted", id);
}

std::string KeyService::regenerateCredentials(std::int64_t id)
{
    std::string password = SecretBox::randomToken(12);
    ProxyKey key;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        Runtime& r = runtime(id);
        r.key.endpointPassSealed = _secrets.seal(password);
        _storage.updateKey(r.key);
        key = r.key;
    }
    serveEndpoint(id, key);
    _storage.addLog(LogEntry{0, id, "credentials", "manual", "", "success", "Endpoint password regenerated", _clock.now()});
    publish("key.updated", id, {{"credentials", "regenerated"}});
    return password;
}

std::string KeyService::endpointPassword(std::int64_t id) const
{
    std::string sealed;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        sealed = runtime(id).key.endpointPassSealed;
    }
    return _secrets.open(sealed);
}

std::vector<KeyView> KeyService::list() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    std::vector<KeyView> out;
    for (const auto& [id, r] : _keys) out.push_back(viewOf(r));
    return out;
}

KeyView KeyService::get(std::int64_t id) const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return viewOf(runtime(id));
}

Settings KeyService::settings() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _settings;
}

void KeyService::saveSettings(const Settings& settings)
{
    if (settings.autoRotateIntervalMinutes < 2)
        throw ValidationError("auto_rotate_interval_minutes", "the rotation interval must be at least 2 minutes");
    if (settings.healthCheckIntervalSeconds < 5)
        throw ValidationError("health_check_interval", "the health check interval must be at least 5 seconds");
    if (settings.failureThreshold < 1)
        throw ValidationError("failure_threshold", "the failure threshold must be at least 1");
    if (settings.expiryLeadSeconds < 0 || settings.expiryLeadSeconds > 3600)
        throw ValidationError("expiry_lead_seconds", "the expiry lead must be between 0 and 3600 seconds");
    _storage.saveSettings(settings, LogEntry{0, 0, "settings", "manual", "", "success", "Settings changed", _clock.now()});
    std::vector<std::int64_t> ids;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _settings = settings;
        _settings.saved = true;
        for (auto& [id, r] : _keys) ids.push_back(id);
    }
    publish("settings.changed", 0);
    if (_online)
        for (auto id : ids) plan(id);
}

bool KeyService::seedHealthInterval(int seconds)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _options.healthIntervalSeconds = seconds;
    if (_settings.saved) return false;
    _settings.healthCheckIntervalSeconds = seconds;
    return true;
}

RouterSnapshot KeyService::routerSnapshot() const
{
    RouterSnapshot s;
    s.domain = _options.domain;
    s.proxyHost = _options.proxyHost;
    s.adminHost = _options.adminHost;
    s.adminPort = _options.adminPort;
    std::lock_guard<std::mutex> lock(_mutex);
    for (const auto& [id, r] : _keys) s.routes.push_back(Route{id, r.key.subdomain, r.key.port});
    std::sort(s.routes.begin(), s.routes.end(), [](const Route& a, const Route& b) {
        return std::stoi(a.subdomain.substr(5)) < std::stoi(b.subdomain.substr(5));
    });
    return s;
}

void KeyService::writeRouters()
{
    RouterSnapshot snapshot = routerSnapshot();
    for (auto* router : _registry.allOf<RouterWriter>())
    {
        try
        {
            router->write(snapshot);
            logger().information("router " + _registry.idOf(router) + " updated: " + std::to_string(snapshot.routes.size()) + " endpoints");
        }
        catch (const std::exception& e)
        {
            logger().error("router " + _registry.idOf(router) + " could not be updated: " + e.what());
        }
    }
}

} // namespace steadyproxy::kernel
