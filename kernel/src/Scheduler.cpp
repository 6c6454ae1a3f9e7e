#include <steadyproxy/kernel/Scheduler.h>
#include <Poco/Logger.h>
#include <algorithm>
#include <chrono>

namespace steadyproxy::kernel {

Scheduler::Scheduler(Clock& clock, std::size_t workers, long maxSleepMs):
    _clock(clock), _workerCount(std::max<std::size_t>(1, workers)), _maxSleepMs(maxSleepMs) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start()
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (!_threads.empty()) return;
    _stopping = false;
    _threads.emplace_back([this] { loop(); });
    for (std::size_t i = 0; i < _workerCount; ++i) _threads.emplace_back([this] { work(); });
}

void Scheduler::stop()
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _stopping = true;
        _pending.clear();
        _queue.clear();
    }
    _changed.notify_all();
    _ready.notify_all();
    for (auto& t : _threads)
        if (t.joinable()) t.join();
    _threads.clear();
    // Queued jobs were dropped without running; their names must not stay marked as
    // running, or a later start() would never run them again.
    std::lock_guard<std::mutex> lock(_mutex);
    _running.clear();
}

void Scheduler::schedule(const std::string& name, EpochMs at, std::function<void()> job)
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (_stopping) return;
        _pending[name] = Pending{at, std::move(job)};
    }
    _changed.notify_all();
}

void Scheduler::cancel(const std::string& name)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _pending.erase(name);
}

std::optional<EpochMs> Scheduler::when(const std::string& name) const
{
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _pending.find(name);
    if (it == _pending.end()) return std::nullopt;
    return it->second.at;
}

void Scheduler::wake()
{
    // Taking the mutex first means the loop is either before its clock read (and will see
    // the new time) or already waiting (and gets the notification); without it a wake that
    // lands between the loop's clock read and its wait is lost for up to maxSleepMs.
    {
        std::lock_guard<std::mutex> lock(_mutex);
    }
    _changed.notify_all();
}

void Scheduler::loop()
{
    std::unique_lock<std::mutex> lock(_mutex);
    while (!_stopping)
    {
        EpochMs now = _clock.now();
        EpochMs next = now + _maxSleepMs;
        bool moved = false;
        for (auto it = _pending.begin(); it != _pending.end();)
        {
            if (it->second.at <= now && !_running.count(it->first))
            {
                _running.insert(it->first);
                _queue.emplace_back(it->first, std::move(it->second.job));
                it = _pending.erase(it);
                moved = true;
                continue;
            }
            if (!_running.count(it->first)) next = std::min(next, it->second.at);
            ++it;
        }
        if (moved) _ready.notify_all();
        long wait = static_cast<long>(std::max<EpochMs>(1, std::min<EpochMs>(next - now, _maxSleepMs)));
        _changed.wait_for(lock, std::chrono::milliseconds(wait));
    }
}

void Scheduler::work()
{
    std::unique_lock<std::mutex> lock(_mutex);
    while (true)
    {
        _ready.wait(lock, [this] { return _stopping || !_queue.empty(); });
        if (_stopping) return;
        auto [name, job] = std::move(_queue.front());
        _queue.erase(_queue.begin());
        lock.unlock();
        try
        {
            job();
        }
        catch (const std::exception& e)
        {
            Poco::Logger::get("scheduler").error("job " + name + " failed: " + e.what());
        }
        catch (...)
        {
            Poco::Logger::get("scheduler").error("job " + name + " failed");
        }
        lock.lock();
        _running.erase(name);
        _changed.notify_all();
    }
}

} // namespace steadyproxy::kernel
