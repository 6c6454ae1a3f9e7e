#pragma once
#include <algorithm>
#include <random>

namespace steadyproxy {

/// How long to wait before retrying after the `failure`-th failure in a row (1, 2, ...), in
/// milliseconds: 200 ms, 400 ms, 800 ms, ... capped at 5 s, of which a random half is taken
/// (the result lies in [base/2, base]) so that many keys failing together do not come back
/// in step. Any thread (one random generator per thread); never throws.
inline long long jitteredBackoffMs(int failure)
{
    long long base = std::min<long long>(200LL << std::min(failure - 1, 10), 5000);
    thread_local std::minstd_rand rng{std::random_device{}()};
    std::uniform_int_distribution<long long> half(0, base / 2);
    return base / 2 + half(rng);
}

} // namespace steadyproxy
