#include "EventLoop.h"
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <cstring>
#include <csignal>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace steadyproxy::forward {

EventLoop::EventLoop(): _scratch(ScratchSize)
{
    _epoll = ::epoll_create1(EPOLL_CLOEXEC);
    _wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (_epoll < 0 || _wake < 0) throw std::runtime_error(std::string("cannot create an epoll loop: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    ::epoll_ctl(_epoll, EPOLL_CTL_ADD, _wake, &ev);
}

EventLoop::~EventLoop()
{
    stop();
    if (_wake >= 0) ::close(_wake);
    if (_epoll >= 0) ::close(_epoll);
}

void EventLoop::start(std::function<void()> tick)
{
    _tick = std::move(tick);
    _running = true;
    _thread = std::thread([this] { run(); });
    while (_threadId.load() == std::thread::id()) std::this_thread::yield();
}

void EventLoop::stop()
{
    if (!_thread.joinable()) return;
    _running = false;
    std::uint64_t one = 1;
    (void)!::write(_wake, &one, sizeof one);
    _thread.join();
}

void EventLoop::add(int fd, std::uint32_t events, IoHandler* handler)
{
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = handler;
    if (::epoll_ctl(_epoll, EPOLL_CTL_ADD, fd, &ev) != 0)
        throw std::runtime_error(std::string("epoll_ctl ADD failed: ") + std::strerror(errno));
}

void EventLoop::modify(int fd, std::uint32_t events, IoHandler* handler)
{
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = handler;
    ::epoll_ctl(_epoll, EPOLL_CTL_MOD, fd, &ev);
}

void EventLoop::remove(int fd)
{
    ::epoll_ctl(_epoll, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::post(std::function<void()> fn)
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _posted.push_back(std::move(fn));
    }
    std::uint64_t one = 1;
    (void)!::write(_wake, &one, sizeof one);
}

void EventLoop::runAndWait(const std::function<void()>& fn)
{
    if (inLoop() || !_running)
    {
        fn();
        return;
    }
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    post([&fn, done] {
        try { fn(); done->set_value(); }
        catch (...) { done->set_exception(std::current_exception()); }
    });
    future.get();
}

void EventLoop::runAfter(long long delayMs, std::function<void()> fn)
{
    _timers.push_back(Timer{std::chrono::steady_clock::now() + std::chrono::milliseconds(delayMs < 0 ? 0 : delayMs), ++_timerSeq, std::move(fn)});
    std::push_heap(_timers.begin(), _timers.end(), std::greater<Timer>());
}

void EventLoop::runTimers()
{
    auto now = std::chrono::steady_clock::now();
    while (!_timers.empty() && _timers.front().at <= now)
    {
        std::pop_heap(_timers.begin(), _timers.end(), std::greater<Timer>());
        Timer t = std::move(_timers.back());
        _timers.pop_back();
        t.fn();
    }
}

void EventLoop::drainPosted()
{
    std::vector<std::function<void()>> work;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        work.swap(_posted);
    }
    for (auto& fn : work) fn();
}

void EventLoop::run()
{
    // splice(2) into a socket whose peer is gone raises SIGPIPE (it has no MSG_NOSIGNAL):
    // blocked on the loop threads, the call fails with EPIPE instead.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    _threadId = std::this_thread::get_id();
    epoll_event events[256];
    auto nextTick = std::chrono::steady_clock::now();
    while (_running)
    {
        int timeout = 250;
        if (!_timers.empty())
        {
            auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(_timers.front().at - std::chrono::steady_clock::now()).count() + 1;
            timeout = static_cast<int>(std::max<long long>(0, std::min<long long>(timeout, wait)));
        }
        int n = ::epoll_wait(_epoll, events, 256, timeout);
        for (int i = 0; i < n; ++i)
        {
            auto* h = static_cast<IoHandler*>(events[i].data.ptr);
            if (!h)
            {
                std::uint64_t v;
                (void)!::read(_wake, &v, sizeof v);
                continue;
            }
            h->onIo(events[i].events);
        }
        drainPosted();
        runTimers();
        auto now = std::chrono::steady_clock::now();
        if (now >= nextTick)
        {
            nextTick = now + std::chrono::milliseconds(250);
            if (_tick) _tick();
            drainPosted();
        }
    }
    drainPosted();
}

} // namespace steadyproxy::forward
