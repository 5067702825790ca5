#include "scenario/run.h"

#include <algorithm>
#include <chrono>

#include "scenario/parallel.h"
#include "workloads/decode.h"

namespace moesim::scenario {

RunResult simulate(const Scenario& scenario, const RunOptions& options) {
  revalidate(scenario);
  workloads::DecodeConfig config = scenario.decode;
  config.record_timeline = options.record_timeline;
  config.prefetch_gating = options.prefetch_gating;
  RunResult result;
  const auto started = std::chrono::steady_clock::now();
  result.metrics =
      workloads::simulate_decode(scenario.model, scenario.gpu, *scenario.fabric, config);
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

std::vector<RunResult> simulate_all(const std::vector<const Scenario*>& scenarios,
                                    std::size_t jobs) {
  std::vector<RunResult> results(scenarios.size());
  const std::size_t threads = std::min(scenarios.size(), jobs == 0 ? hardware_jobs() : jobs);
  RunOptions options;
  options.prefetch_gating = threads <= 1;
  parallel_for(scenarios.size(), threads,
               [&](std::size_t i) { results[i] = simulate(*scenarios[i], options); });
  return results;
}

}  // namespace moesim::scenario
