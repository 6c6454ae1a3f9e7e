#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace steadyproxy::forward {

/// Receives readiness events for one file descriptor.
class IoHandler
{
public:
    virtual ~IoHandler() = default;
    virtual void onIo(std::uint32_t events) = 0;
};

/// One epoll thread. Handlers are called on the loop thread only; other threads talk to
/// the loop through post(). Level-triggered; a tick callback runs about every 250 ms.
class EventLoop
{
public:
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    void start(std::function<void()> tick);
    /// Stops the thread and joins it; posted work not yet run is dropped.
    void stop();

    void add(int fd, std::uint32_t events, IoHandler* handler);
    void modify(int fd, std::uint32_t events, IoHandler* handler);
    void remove(int fd);

    /// Runs `fn` on the loop thread after the current batch of events.
    void post(std::function<void()> fn);
    /// Runs `fn` on the loop thread and waits for it (inline when already on it).
    void runAndWait(const std::function<void()>& fn);
    /// Runs `fn` on the loop thread once about `delayMs` have passed (the loop's epoll wait
    /// is shortened to the next timer). Call on the loop thread only.
    void runAfter(long long delayMs, std::function<void()> fn);
    bool inLoop() const { return std::this_thread::get_id() == _threadId.load(); }

    /// A 64 KiB buffer for reads on this loop's thread.
    char* scratch() { return _scratch.data(); }
    static constexpr std::size_t ScratchSize = 65536;

private:
    void run();
    void drainPosted();
    int _epoll = -1;
    int _wake = -1;
    std::thread _thread;
    std::atomic<std::thread::id> _threadId{};
    std::atomic<bool> _running{false};
    std::mutex _mutex;
    std::vector<std::function<void()>> _posted;
    std::function<void()> _tick;
    std::vector<char> _scratch;
    struct Timer
    {
        std::chrono::steady_clock::time_point at;
        std::uint64_t seq;
        std::function<void()> fn;
        bool operator>(const Timer& o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };
    std::vector<Timer> _timers; // a min-heap on `at`, loop thread only
    std::uint64_t _timerSeq = 0;
    void runTimers();
};

} // namespace steadyproxy::forward
