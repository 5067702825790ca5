#include "scenario/run.h"

#include <chrono>

#include "scenario/parallel.h"
#include "workloads/decode.h"

namespace moesim::scenario {

RunResult simulate(const Scenario& scenario, bool record_timeline) {
  revalidate(scenario);
  workloads::DecodeConfig config = scenario.decode;
  config.record_timeline = record_timeline;
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
  parallel_for(scenarios.size(), jobs == 0 ? hardware_jobs() : jobs,
               [&](std::size_t i) { results[i] = simulate(*scenarios[i]); });
  return results;
}

}  // namespace moesim::scenario
