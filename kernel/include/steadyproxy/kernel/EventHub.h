#pragma once
#include <steadyproxy/sdk/Clock.h>
#include <steadyproxy/sdk/EventBus.h>
#include <map>
#include <mutex>

namespace steadyproxy::kernel {

/// The kernel's EventBus: synchronous delivery in subscription order; a throwing handler
/// is logged and skipped. Every event is also logged (information level) with its data.
class EventHub : public EventBus
{
public:
    explicit EventHub(Clock& clock): _clock(clock) {}
    std::uint64_t subscribe(Handler handler) override;
    void unsubscribe(std::uint64_t id) override;
    void publish(const Event& event) override;
private:
    Clock& _clock;
    std::mutex _mutex;
    std::map<std::uint64_t, Handler> _handlers;
    std::uint64_t _next = 0;
};

} // namespace steadyproxy::kernel
