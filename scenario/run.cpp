#include "scenario/run.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "input/mapping.h"
#include "scenario/parallel.h"
#include "sim/time.h"
#include "workloads/decode.h"
#include "workloads/decode_work.h"

namespace moesim::scenario {

std::uint64_t progress_units(const Scenario& scenario) {
  return workloads::estimate_decode_work(scenario.model, *scenario.fabric, scenario.decode)
      .progress_units;
}

RunResult simulate(const Scenario& scenario, const RunOptions& options) {
  if (options.record_timeline) {
    // The timeline's memory counts against the limits too (workloads/decode_work.h).
    Scenario traced = scenario;
    traced.decode.record_timeline = true;
    revalidate(traced);
  } else {
    revalidate(scenario);
  }
  workloads::DecodeConfig config = scenario.decode;
  config.record_timeline = options.record_timeline;
  config.prefetch_gating = options.prefetch_gating;
  config.progress = options.progress;
  RunResult result;
  const auto started = std::chrono::steady_clock::now();
  try {
    result.metrics =
        workloads::simulate_decode(scenario.model, scenario.gpu, *scenario.fabric, config);
  } catch (const sim::TimeOutOfRange& error) {
    throw input::InputError(fmt::format(
        "{}: the simulation left moesim's time range: {}; some kernel, transfer or latency of "
        "this scenario is far too long (check the model's sizes, the GPU's rates and the "
        "fabric's bandwidths)",
        scenario.file, error.what()));
  }
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

std::vector<RunResult> simulate_all(const std::vector<const Scenario*>& scenarios, std::size_t jobs,
                                    std::atomic<std::uint64_t>* progress) {
  std::vector<RunResult> results(scenarios.size());
  const std::size_t threads = std::min(scenarios.size(), jobs == 0 ? hardware_jobs() : jobs);
  RunOptions options;
  options.prefetch_gating = threads <= 1;
  options.progress = progress;
  parallel_for(scenarios.size(), threads,
               [&](std::size_t i) { results[i] = simulate(*scenarios[i], options); });
  return results;
}

}  // namespace moesim::scenario
