// moesim's FlowNetwork vs SimGrid (plain max-min CM02, tests/crosscheck/simgrid_oracle.cpp) on the
// same decode-layer all-to-all: DeepSeek-V3 dispatch (64 tokens per GPU, top-8 of 256 experts,
// seeded uniform gating, 7392 bytes per token copy, one message per GPU pair), EP72 on 9 HGX H200
// servers and EP144 on 18.
//
// moesim runs on each of FlowNetwork's max-min solvers (bottleneck groups, the default; restart
// level, the reference), so the before/after of the solver is in the same run as SimGrid.
// Timed work: moesim = submit every message + run the engine to the last delivery (the fabric is
// built once, outside the timing). SimGrid = the oracle's engine.run() only, as the oracle reports
// it (manual time; reading the export and building the platform are excluded, which favours
// SimGrid). Each moesim benchmark reports
//   simgrid_over_moesim   SimGrid's fastest run / moesim's mean time for the same layer (target >=
//   1000) max_relative_diff     largest per-message completion-time difference between the two
//   (must stay < 1e-3)
// The SimGrid benchmarks are registered first, so their runs exist when the moesim ones compute
// the ratio.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "tests/crosscheck/crosscheck.h"

namespace {

using namespace moesim;

constexpr std::uint32_t kTokens = 64, kTopK = 8, kExperts = 256;
constexpr std::uint64_t kDispatchBytes = 7392;

struct Case {
  topology::Fabric fabric;
  std::vector<network::Message> messages;
};

const Case& layer_case(std::uint32_t gpus) {
  static std::map<std::uint32_t, Case> cases;
  auto found = cases.find(gpus);
  if (found == cases.end()) {
    topology::Fabric fabric = crosscheck::hgx_h200_servers(gpus / 8);
    auto messages = crosscheck::random_dispatch(gpus, kTokens, kTopK, kExperts, kDispatchBytes, 42);
    found = cases.emplace(gpus, Case{std::move(fabric), std::move(messages)}).first;
  }
  return found->second;
}

std::map<std::uint32_t, crosscheck::SimulationRun>& simgrid_runs() {
  static std::map<std::uint32_t, crosscheck::SimulationRun> runs;
  return runs;
}

void BM_SimGridLayer(benchmark::State& state) {
  const auto gpus = static_cast<std::uint32_t>(state.range(0));
  const Case& layer = layer_case(gpus);
  const std::string work =
      (std::filesystem::temp_directory_path() / ("moesim-crosscheck-bench-" + std::to_string(gpus)))
          .string();
  for (auto _ : state) {
    crosscheck::SimulationRun run =
        crosscheck::run_simgrid_oracle(MOESIM_SIMGRID_ORACLE, work, layer.fabric, layer.messages);
    state.SetIterationTime(run.wall_seconds);
    // Keep SimGrid's fastest run: the ratio below is then conservative (it favours SimGrid on a
    // noisy machine).
    auto& kept = simgrid_runs()[gpus];
    if (kept.completion_seconds.empty() || run.wall_seconds < kept.wall_seconds)
      kept = std::move(run);
  }
  state.counters["messages"] = static_cast<double>(layer.messages.size());
}

void BM_MoesimLayer(benchmark::State& state) {
  const auto gpus = static_cast<std::uint32_t>(state.range(0));
  const auto solver = state.range(1) == 0 ? network::FlowSolver::BottleneckGroups
                                          : network::FlowSolver::RestartLevel;
  const Case& layer = layer_case(gpus);
  crosscheck::SimulationRun run;
  double total_wall_seconds = 0;
  for (auto _ : state) {
    run = crosscheck::run_flow_network(layer.fabric, layer.messages, solver);
    total_wall_seconds += run.wall_seconds;
    benchmark::DoNotOptimize(run.completion_seconds.data());
  }
  state.counters["messages"] = static_cast<double>(layer.messages.size());
  const auto simgrid = simgrid_runs().find(gpus);
  if (simgrid == simgrid_runs().end()) return;
  double worst = 0;
  for (std::size_t i = 0; i < run.completion_seconds.size(); ++i)
    worst = std::max(worst,
                     std::abs(run.completion_seconds[i] - simgrid->second.completion_seconds[i]) /
                         simgrid->second.completion_seconds[i]);
  state.counters["max_relative_diff"] = worst;
  // Mean moesim time per iteration (its own measurement of the timed work) against SimGrid's.
  const double moesim_seconds = total_wall_seconds / static_cast<double>(state.iterations());
  state.counters["simgrid_over_moesim"] = simgrid->second.wall_seconds / moesim_seconds;
}

BENCHMARK(BM_SimGridLayer)
    ->Arg(72)
    ->Arg(144)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
// {GPUs, solver: 0 = bottleneck groups (FlowNetwork's default), 1 = restart level (the reference)}
BENCHMARK(BM_MoesimLayer)
    ->ArgNames({"gpus", "solver"})
    ->ArgsProduct({{72, 144}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
