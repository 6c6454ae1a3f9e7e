#include <steadyproxy/kernel/EventHub.h>
#include <Poco/Logger.h>
#include <vector>

namespace steadyproxy::kernel {

std::uint64_t EventHub::subscribe(Handler handler)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _handlers[++_next] = std::move(handler);
    return _next;
}

void EventHub::unsubscribe(std::uint64_t id)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _handlers.erase(id);
}

void EventHub::publish(const Event& event)
{
    Event e = event;
    if (e.at == 0) e.at = _clock.now();
    std::vector<Handler> handlers;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        for (const auto& [id, h] : _handlers) handlers.push_back(h);
    }
    Poco::Logger& log = Poco::Logger::get("events");
    if (log.debug())
    {
        std::string text = "event " + e.type + (e.keyId ? " key=" + std::to_string(e.keyId) : "");
        for (const auto& [k, v] : e.data) text += " " + k + "=" + v;
        log.debug(text);
    }
    for (auto& h : handlers)
    {
        try
        {
            h(e);
        }
        catch (const std::exception& ex)
        {
            log.error("an event handler failed on " + e.type + ": " + ex.what());
        }
        catch (...)
        {
            log.error("an event handler failed on " + e.type);
        }
    }
}

} // namespace steadyproxy::kernel
