// FlowNetwork speed: a uniform all-to-all, one flow per GPU pair, on NVL72 racks and HGX clusters
// of 72..576 GPUs, against a naive reference in the same run that re-solves every rate from scratch
// (plain progressive filling, linear scan for the next saturated link) at every single event.
//
//   network_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// FlowNetwork runs on each of its solvers (`solver` 0 = bottleneck groups, the default; 1 = restart
// level, the reference), so their ratio is measured in the same run. Varied sizes run up to 144
// GPUs (288 with bottleneck groups only): exact re-solving costs about F^2 x hops / 6 there
// (docs/performance.md), so the naive and restart-level runs at 288 and 576 GPUs would take
// minutes. Workloads: "equal" = 7168 x 8 bytes per flow; "varied" = 7168 x k bytes with k uniform
// in 1..16 (fixed seed), like the tokens one GPU sends another in an MoE dispatch, so completions
// spread over many distinct instants.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>

#include "network/max_min.h"
#include "network/network.h"
#include "tests/network/naive_flow_model.h"
#include "topology/builders.h"

namespace {

using namespace moesim;
using network::Message;
using topology::Fabric;
using topology::GpuIndex;
using topology::LinkId;

// A shipped fabric file with its domain count replaced (racks for nvl72, servers for hgx).
Fabric scaled_fabric(const std::string& file, const std::string& domains_key, int domains) {
  const auto config =
      input::Mapping::load_file(std::string(MOESIM_SOURCE_DIR) + "/configs/fabrics/" + file);
  return topology::load_fabric(config.with(domains_key, std::to_string(domains)));
}

const Fabric& fabric_for(bool nvl72, int gpus) {
  static std::map<std::pair<bool, int>, Fabric> cache;
  const auto key = std::make_pair(nvl72, gpus);
  auto found = cache.find(key);
  if (found == cache.end())
    found = cache
                .emplace(key, nvl72 ? scaled_fabric("gb200-nvl72.yaml", "racks", gpus / 72)
                                    : scaled_fabric("hgx-h200x9.yaml", "servers", gpus / 8))
                .first;
  return found->second;
}

std::vector<Message> all_to_all(std::size_t gpus, bool varied) {
  std::mt19937_64 random(42);
  std::uniform_int_distribution<int> tokens(1, 16);
  std::vector<Message> messages;
  for (GpuIndex s = 0; s < gpus; ++s)
    for (GpuIndex d = 0; d < gpus; ++d)
      if (s != d)
        messages.push_back(Message{s, d, 7168ULL * (varied ? tokens(random) : 8),
                                   sim::Picoseconds{0}, static_cast<std::uint64_t>(s) * gpus + d});
  return messages;
}

struct CountingSink final : network::MessageSink {
  std::uint64_t delivered = 0;
  sim::Picoseconds last{0};
  void on_delivered(std::uint64_t, sim::Picoseconds at) override {
    ++delivered;
    last = std::max(last, at);
  }
};

void BM_FlowNetwork(benchmark::State& state, bool nvl72, bool varied) {
  const int gpus = static_cast<int>(state.range(0));
  const auto solver = state.range(1) == 0 ? network::FlowSolver::BottleneckGroups
                                          : network::FlowSolver::RestartLevel;
  const Fabric& fabric = fabric_for(nvl72, gpus);
  const std::vector<Message> messages = all_to_all(fabric.gpu_count(), varied);
  std::uint64_t solves = 0;
  std::uint64_t resolved = 0;
  sim::Picoseconds makespan{0};
  for (auto _ : state) {
    sim::Engine engine;
    CountingSink sink;
    network::FlowNetwork network(engine, fabric, sink, solver);
    for (const Message& message : messages) network.submit(message);
    engine.run();
    if (sink.delivered != messages.size())
      throw std::logic_error("not every message was delivered");
    solves = network.stats().solves;
    resolved = network.stats().flows_resolved;
    makespan = sink.last;
  }
  state.counters["flows"] = static_cast<double>(messages.size());
  state.counters["solves"] = static_cast<double>(solves);
  state.counters["resolved_per_solve"] =
      static_cast<double>(resolved) / static_cast<double>(solves);
  state.counters["makespan_us"] = makespan.microseconds();
  state.counters["flows_per_s"] = benchmark::Counter(static_cast<double>(messages.size()),
                                                     benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Naive(benchmark::State& state, bool nvl72, bool varied) {
  const Fabric& fabric = fabric_for(nvl72, static_cast<int>(state.range(0)));
  const std::vector<Message> messages = all_to_all(fabric.gpu_count(), varied);
  sim::Picoseconds makespan{0};
  for (auto _ : state) makespan = network::testing::NaiveFlowSimulation(fabric).run(messages);
  state.counters["flows"] = static_cast<double>(messages.size());
  state.counters["makespan_us"] = makespan.microseconds();
  state.counters["flows_per_s"] = benchmark::Counter(static_cast<double>(messages.size()),
                                                     benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

// {GPUs, solver}
BENCHMARK_CAPTURE(BM_FlowNetwork, nvl72_equal, true, false)
    ->ArgNames({"gpus", "solver"})
    ->ArgsProduct({{72, 144, 288, 576}, {0, 1}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowNetwork, nvl72_varied, true, true)
    ->ArgNames({"gpus", "solver"})
    ->ArgsProduct({{72, 144}, {0, 1}})
    ->Args({288, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowNetwork, hgx_equal, false, false)
    ->ArgNames({"gpus", "solver"})
    ->ArgsProduct({{72, 144, 288, 576}, {0, 1}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowNetwork, hgx_varied, false, true)
    ->ArgNames({"gpus", "solver"})
    ->ArgsProduct({{72, 144}, {0, 1}})
    ->Args({288, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Naive, nvl72_equal, true, false)
    ->Arg(72)
    ->Arg(144)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Naive, hgx_equal, false, false)
    ->Arg(72)
    ->Arg(144)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Naive, nvl72_varied, true, true)
    ->Arg(72)
    ->Arg(144)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Naive, hgx_varied, false, true)
    ->Arg(72)
    ->Arg(144)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

BENCHMARK_MAIN();
