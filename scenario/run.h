#pragma once
// Running scenarios: one, or many at once on a few threads.
#include <atomic>
#include <cstddef>
#include <cstdint>
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
  // Counted up as the simulation goes (workloads::DecodeConfig::progress), for a progress line.
  std::atomic<std::uint64_t>* progress = nullptr;
};

// What a simulation of `scenario` counts up to in RunOptions::progress
// (workloads::DecodeWork::progress_units: steps x simulated layers x micro-batches).
std::uint64_t progress_units(const Scenario& scenario);

// simulate_decode on the scenario (revalidated first, so a configuration a caller changed after
// loading is reported as input::InputError at the key's line; with a timeline, the timeline's
// memory counts against the limits of workloads/decode_work.h). A simulated time out of range
// (sim::TimeOutOfRange: some kernel, transfer or latency far too long) is an input::InputError
// naming the scenario file.
RunResult simulate(const Scenario& scenario, const RunOptions& options = {});

// simulate() for several scenarios on up to `jobs` threads (0 = one per hardware thread), each
// without a gating thread when more than one runs at a time; results in input order; the first
// exception is rethrown. The simulations are independent, so this only saves wall time.
// `progress` counts all of them (the sum of their progress_units).
std::vector<RunResult> simulate_all(const std::vector<const Scenario*>& scenarios,
                                    std::size_t jobs = 0,
                                    std::atomic<std::uint64_t>* progress = nullptr);

}  // namespace moesim::scenario
