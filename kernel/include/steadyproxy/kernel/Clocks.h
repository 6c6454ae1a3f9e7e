#pragma once
#include <steadyproxy/sdk/Clock.h>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace steadyproxy::kernel {

/// The real wall clock.
class SystemClock : public Clock
{
public:
    EpochMs now() const override;
};

/// A clock that runs from the real clock plus an offset a test can move forward
/// (`advance`). Listeners are told when it jumps so waiting schedulers re-check.
class OffsetClock : public Clock
{
public:
    EpochMs now() const override;
    /// Moves time forward by `ms` (never backward) and notifies listeners.
    void advance(EpochMs ms);
    EpochMs offset() const { return _offset.load(); }
    /// Called after every advance (from the advancing thread).
    void onAdvance(std::function<void()> listener);
private:
    std::atomic<EpochMs> _offset{0};
    std::mutex _mutex;
    std::function<void()> _listener;
};

} // namespace steadyproxy::kernel
