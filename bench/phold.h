#pragma once
// PHOLD, the standard parallel-DES benchmark model, on one Engine: `lp_count` logical processes
// start with `initial_events_per_lp` events each; every event schedules exactly one new event for
// a uniformly random LP after an exponentially distributed delay. The pending-event population is
// therefore constant (lp_count * initial_events_per_lp), which makes events/s comparable across
// sizes. Deterministic for a given seed.
#include <atomic>
#include <cstdint>

#include "sim/time.h"

namespace moesim::bench {

using sim::Picoseconds;

struct PholdConfig {
  std::uint64_t lp_count = 10'000;
  std::uint64_t initial_events_per_lp = 1;
  Picoseconds mean_delay = Picoseconds{1'000'000};  // 1 us
  std::uint64_t event_count = 1'000'000;            // stop after this many events
  std::uint64_t seed = 1;
  // Optional, for a progress line: events executed so far, updated every 65,536 events (relaxed).
  std::atomic<std::uint64_t>* progress = nullptr;
};

struct PholdResult {
  std::uint64_t events_executed = 0;
  Picoseconds end_time;          // simulated time of the last executed event
  std::uint64_t trace_hash = 0;  // Engine::trace_hash() at the end
  std::size_t pending_events = 0;
  double bytes_per_pending_event = 0.0;  // Engine::memory_bytes() / pending events
};

// Runs PHOLD on a fresh Engine. Throws std::invalid_argument if lp_count or
// initial_events_per_lp is zero.
PholdResult run_phold(const PholdConfig& config);

}  // namespace moesim::bench
