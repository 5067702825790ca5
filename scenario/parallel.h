#pragma once
// Runs independent pieces of work on a few threads: the one thread pool of moesim (sweeps, the
// simulations of `compare` and `plan`, searches).
#include <cstddef>
#include <functional>

namespace moesim::scenario {

// Calls body(i) for every i in [0, count) on up to `jobs` threads, the calling thread included;
// indices are handed out in increasing order. If a call throws, no further index is started, the
// running ones finish, and the first exception is rethrown here.
void parallel_for(std::size_t count, std::size_t jobs,
                  const std::function<void(std::size_t)>& body);

// The number of hardware threads (at least 1).
std::size_t hardware_jobs();

}  // namespace moesim::scenario
