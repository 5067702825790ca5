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

// How to run (not what to simulate: results are identical whatever these say).
struct RunOptions {
  bool record_timeline = false;  // for a Perfetto trace
  // Gating on a second thread (workloads::DecodeConfig::prefetch_gating); off when the caller
  // already runs one simulation per core.
  bool prefetch_gating = true;
};

// simulate_decode on the scenario (revalidated first, so a configuration a caller changed after
// loading is reported as input::InputError at the key's line).
RunResult simulate(const Scenario& scenario, const RunOptions& options = {});

// simulate() for several scenarios on up to `jobs` threads (0 = one per hardware thread), each
// without a gating thread when more than one runs at a time; results in input order; the first
// exception is rethrown. The simulations are independent, so this only saves wall time.
std::vector<RunResult> simulate_all(const std::vector<const Scenario*>& scenarios,
                                    std::size_t jobs = 0);

}  // namespace moesim::scenario
