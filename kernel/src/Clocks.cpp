#include <steadyproxy/kernel/Clocks.h>
#include <chrono>

namespace steadyproxy::kernel {

EpochMs SystemClock::now() const
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

EpochMs OffsetClock::now() const
{
    return SystemClock().now() + _offset.load();
}

void OffsetClock::advance(EpochMs ms)
{
    if (ms <= 0) return;
    _offset += ms;
    std::function<void()> listener;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        listener = _listener;
    }
    if (listener) listener();
}

void OffsetClock::onAdvance(std::function<void()> listener)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _listener = std::move(listener);
}

} // namespace steadyproxy::kernel
