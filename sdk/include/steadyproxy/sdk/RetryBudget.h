#pragma once
// The retry rules of one provider call, for provider plugins that talk to a vendor's API
// through HttpCall (HttpCall.h: link Poco::Net and Poco::NetSSL).
#include <steadyproxy/sdk/Backoff.h>
#include <steadyproxy/sdk/Errors.h>
#include <steadyproxy/sdk/HttpCall.h>
#include <steadyproxy/sdk/Time.h>
#include <Poco/Event.h>
#include <Poco/Logger.h>
#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <utility>

namespace steadyproxy {

/// One provider call's allowance: a deadline (`timeoutMs` from the start of the call) and
/// the number of failed exchanges it may retry (`retries`). failed() logs the fault and
/// waits the backoff (or the API's Retry-After when longer), or gives up with a Transient
/// ProviderError saying what went wrong last; a stopping provider abandons the wait.
class RetryBudget
{
public:
    struct Call
    {
        std::string label;       ///< for log lines, e.g. "KiotProxy /proxies/new"
        std::string description; ///< for the final message, e.g. "KiotProxy GET https://host/api/v1/proxies/new"
        std::string maskedKey;   ///< maskSecret(key)
        std::function<std::string(const std::string&)> scrub; ///< removes the key from a fault's text
    };
    struct Limits
    {
        int timeoutMs = 10000;
        int retries = 2;
        int attemptCapMs = 0; ///< the most one exchange may wait; 0 = what is left of the call
    };

    RetryBudget(Call call, Limits limits, Poco::Logger& log, Poco::Event& stopping, std::function<EpochMs()> now):
        _call(std::move(call)), _limits(limits), _log(log), _stopping(stopping), _now(std::move(now)),
        _start(std::chrono::steady_clock::now()), _deadline(_start + std::chrono::milliseconds(limits.timeoutMs))
    {
    }

    /// Time the next exchange may take; gives up when none is left.
    std::chrono::milliseconds remaining()
    {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(_deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) giveUp(-1);
        if (_limits.attemptCapMs > 0) left = std::min(left, std::chrono::milliseconds(_limits.attemptCapMs));
        return left;
    }

    /// One exchange failed with `fault`: wait before the next one, or give up.
    void failed(const ApiFault& fault)
    {
        ++_failures;
        _last = _call.scrub ? _call.scrub(fault.what()) : std::string(fault.what());
        const int allowed = _limits.retries + 1;
        _log.warning("%s for key %s: %s (attempt %d of %d)", _call.label, _call.maskedKey, _last, _failures, allowed);
        if (_failures >= allowed) giveUp(fault.retryAfterMs());
        long long delay = jitteredBackoffMs(_failures);
        if (fault.retryAfterMs() > delay) delay = fault.retryAfterMs();
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(_deadline - std::chrono::steady_clock::now()).count();
        // Waiting only makes sense if an exchange can still follow within the deadline.
        if (delay + 50 >= left) giveUp(fault.retryAfterMs());
        if (_stopping.tryWait(delay))
            throw ProviderError(ProviderError::Kind::Transient,
                                _call.label + " for key " + _call.maskedKey + " was abandoned: the provider is stopping");
    }

    [[noreturn]] void giveUp(long long retryAfterMs)
    {
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - _start).count();
        std::string msg = _call.description + " for key " + _call.maskedKey + " failed " + std::to_string(_failures) +
                          " time(s) in " + std::to_string(elapsed) + " ms (timeout_ms " + std::to_string(_limits.timeoutMs) +
                          ", retries " + std::to_string(_limits.retries) + ")";
        if (!_last.empty()) msg += "; last: " + _last;
        else msg += "; no time was left for an attempt";
        msg += ". It will be tried again later.";
        throw ProviderError(ProviderError::Kind::Transient, msg, retryAfterMs > 0 ? _now() + retryAfterMs : 0);
    }

private:
    Call _call;
    Limits _limits;
    Poco::Logger& _log;
    Poco::Event& _stopping;
    std::function<EpochMs()> _now;
    std::chrono::steady_clock::time_point _start, _deadline;
    int _failures = 0;
    std::string _last;
};

} // namespace steadyproxy
