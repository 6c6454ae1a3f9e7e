#pragma once
#include <steadyproxy/sdk/Clock.h>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace steadyproxy::kernel {

/// Runs named jobs at instants of the kernel's Clock on a few worker threads.
/// A name has at most one pending job (scheduling it again replaces the time and job) and
/// never runs twice at once: a job due while its previous run is still going waits for it.
/// Time is re-read at least every `maxSleepMs`, so a test clock that jumps is noticed.
/// Thread-safe. Jobs must not throw (a throwing job is logged).
class Scheduler
{
public:
    Scheduler(Clock& clock, std::size_t workers = 4, long maxSleepMs = 1000);
    ~Scheduler();

    void start();
    /// Cancels pending jobs and waits for running ones.
    void stop();

    void schedule(const std::string& name, EpochMs at, std::function<void()> job);
    void cancel(const std::string& name);
    /// When `name` is due, if pending.
    std::optional<EpochMs> when(const std::string& name) const;
    /// Re-reads the clock now (call after moving a test clock).
    void wake();

private:
    struct Pending { EpochMs at; std::function<void()> job; };
    void loop();
    void work();

    Clock& _clock;
    std::size_t _workerCount;
    long _maxSleepMs;
    mutable std::mutex _mutex;
    std::condition_variable _changed;
    std::condition_variable _ready;
    std::map<std::string, Pending> _pending;
    std::set<std::string> _running;
    std::vector<std::pair<std::string, std::function<void()>>> _queue;
    std::vector<std::thread> _threads;
    bool _stopping = false;
};

} // namespace steadyproxy::kernel
