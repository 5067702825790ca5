#pragma once
// Running scenarios: one, or many at once on a few threads.
#include <cstddef>
#include <vector>

#include "scenario/scenario.h"
#include "workloads/decode_metrics.h"

namespace moesim::scenario {

struct RunResult {
  workloads::DecodeMetrics metrics;
  double wall_seconds = 0;  // host time of simulate_decode
};

// simulate_decode on the scenario (revalidated first, so a configuration a caller changed after
// loading is reported as input::InputError at the key's line).
RunResult simulate(const Scenario& scenario, bool record_timeline = false);

// simulate() for several scenarios on up to `jobs` threads (0 = one per hardware thread);
// results in input order; the first exception is rethrown. The simulations are independent, so
// this only saves wall time.
std::vector<RunResult> simulate_all(const std::vector<const Scenario*>& scenarios,
                                    std::size_t jobs = 0);

}  // namespace moesim::scenario
