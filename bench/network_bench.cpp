// FlowNetwork speed: a uniform all-to-all, one flow per GPU pair, on NVL72 racks and HGX clusters of 72..576 GPUs,
// against a naive reference in the same run that re-solves every rate from scratch (plain progressive filling,
// linear scan for the next saturated link) at every single event.
//
//   network_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Workloads: "equal" = 7168 x 8 bytes per flow; "varied" = 7168 x k bytes with k uniform in 1..16 (fixed seed),
// like the tokens one GPU sends another in an MoE dispatch, so completions spread over many distinct instants.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>

#include "topology/builders.h"
#include "topology/max_min.h"
#include "topology/network.h"

namespace {

using namespace moesim;
using topology::Fabric;
using topology::GpuIndex;
using topology::LinkId;
using topology::Message;

// A shipped fabric file with its domain count replaced (racks for nvl72, servers for hgx).
Fabric scaled_fabric(const std::string& file, const std::string& domains_key, int domains) {
  const auto config = config::ConfigMap::load_file(std::string(MOESIM_SOURCE_DIR) + "/configs/fabrics/" + file);
  YAML::Node node = YAML::Clone(config.node());
  node[domains_key] = domains;
  return topology::load_fabric(config::ConfigMap(node, file));
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
        messages.push_back(Message{s, d, 7168ULL * (varied ? tokens(random) : 8), sim::Picoseconds{0},
                                   static_cast<std::uint64_t>(s) * gpus + d});
  return messages;
}

struct CountingSink final : topology::MessageSink {
  std::uint64_t delivered = 0;
  sim::Picoseconds last{0};
  void on_delivered(std::uint64_t, sim::Picoseconds at) override {
    ++delivered;
    last = std::max(last, at);
  }
};

void BM_FlowNetwork(benchmark::State& state, bool nvl72, bool varied) {
  const int gpus = static_cast<int>(state.range(0));
  const Fabric& fabric = fabric_for(nvl72, gpus);
  const std::vector<Message> messages = all_to_all(fabric.gpu_count(), varied);
  std::uint64_t solves = 0;
  sim::Picoseconds makespan{0};
  for (auto _ : state) {
    sim::Engine engine;
    CountingSink sink;
    topology::FlowNetwork network(engine, fabric, sink);
    for (const Message& message : messages) network.submit(message);
    engine.run();
    if (sink.delivered != messages.size()) throw std::logic_error("not every message was delivered");
    solves = network.stats().solves;
    makespan = sink.last;
  }
  state.counters["flows"] = static_cast<double>(messages.size());
  state.counters["solves"] = static_cast<double>(solves);
  state.counters["makespan_us"] = makespan.microseconds();
  state.counters["flows_per_s"] =
      benchmark::Counter(static_cast<double>(messages.size()), benchmark::Counter::kIsIterationInvariantRate);
}

// ---- The naive reference ---------------------------------------------------------------------------------
// One event per flow start and per flow end; at every event all rates are recomputed from scratch by plain
// progressive filling (each step scans every link for the smallest fair share). Same timing rule and rounding.
class NaiveFlowSimulation {
 public:
  explicit NaiveFlowSimulation(const Fabric& fabric) : fabric_(fabric) {}

  sim::Picoseconds run(const std::vector<Message>& messages) {
    const std::size_t flows = messages.size();
    std::vector<std::vector<LinkId>> routes(flows);
    std::vector<std::int64_t> start(flows);
    std::vector<double> remaining(flows), rate(flows, 0);
    for (std::size_t f = 0; f < flows; ++f) {
      const Message& m = messages[f];
      fabric_.route(m.source, m.destination, m.tag, routes[f]);
      sim::Picoseconds at = m.release + fabric_.message_overhead(highest_tier(routes[f]));
      for (LinkId id : routes[f]) at += fabric_.link(id).latency;
      start[f] = at.count();
      remaining[f] = static_cast<double>(m.bytes);
    }
    std::vector<std::size_t> order(flows);
    for (std::size_t f = 0; f < flows; ++f) order[f] = f;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return start[a] < start[b]; });
    std::vector<std::size_t> active;
    std::size_t next_start = 0;
    std::int64_t now = 0, last_end = 0;
    while (next_start < flows || !active.empty()) {
      // The next event: one start or one end (never batched).
      std::int64_t next_end = std::numeric_limits<std::int64_t>::max();
      std::size_t ending = 0;
      for (std::size_t i = 0; i < active.size(); ++i) {
        const std::size_t f = active[i];
        const std::int64_t end = now + topology::transfer_picoseconds(remaining[f], rate[f]);
        if (end < next_end) next_end = end, ending = i;
      }
      const bool is_start = next_start < flows && start[order[next_start]] <= next_end;
      const std::int64_t at = is_start ? start[order[next_start]] : next_end;
      for (std::size_t f : active) remaining[f] = std::max(0.0, remaining[f] - rate[f] * (at - now) * 1e-12);
      now = at;
      if (is_start) {
        active.push_back(order[next_start++]);
      } else {
        active[ending] = active.back();
        active.pop_back();
        last_end = now;
      }
      solve(active, routes, rate);
    }
    return sim::Picoseconds{last_end};
  }

 private:
  topology::LinkTier highest_tier(const std::vector<LinkId>& route) const {
    topology::LinkTier tier = topology::LinkTier::ScaleUp;
    for (LinkId id : route) tier = std::max(tier, fabric_.link(id).tier);
    return tier;
  }

  void solve(const std::vector<std::size_t>& active, const std::vector<std::vector<LinkId>>& routes,
             std::vector<double>& rate) {
    const std::size_t links = fabric_.link_count();
    std::vector<double> residual(links);
    std::vector<std::size_t> unfrozen(links, 0);
    std::vector<std::vector<std::size_t>> on_link(links);
    for (LinkId id = 0; id < links; ++id) residual[id] = fabric_.link(id).bandwidth_bytes_per_second;
    for (std::size_t f : active)
      for (LinkId id : routes[f]) ++unfrozen[id], on_link[id].push_back(f);
    std::vector<bool> frozen(rate.size(), false);
    for (;;) {
      double share = std::numeric_limits<double>::infinity();
      LinkId bottleneck = 0;
      for (LinkId id = 0; id < links; ++id)
        if (unfrozen[id] > 0 && residual[id] / unfrozen[id] < share) share = residual[id] / unfrozen[id], bottleneck = id;
      if (share == std::numeric_limits<double>::infinity()) break;
      for (std::size_t f : on_link[bottleneck]) {
        if (frozen[f]) continue;
        frozen[f] = true;
        rate[f] = share;
        for (LinkId id : routes[f]) residual[id] -= share, --unfrozen[id];
      }
    }
  }

  const Fabric& fabric_;
};

void BM_Naive(benchmark::State& state, bool nvl72, bool varied) {
  const Fabric& fabric = fabric_for(nvl72, static_cast<int>(state.range(0)));
  const std::vector<Message> messages = all_to_all(fabric.gpu_count(), varied);
  sim::Picoseconds makespan{0};
  for (auto _ : state) makespan = NaiveFlowSimulation(fabric).run(messages);
  state.counters["flows"] = static_cast<double>(messages.size());
  state.counters["makespan_us"] = makespan.microseconds();
  state.counters["flows_per_s"] =
      benchmark::Counter(static_cast<double>(messages.size()), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK_CAPTURE(BM_FlowNetwork, nvl72_equal, true, false)->Arg(72)->Arg(144)->Arg(288)->Arg(576)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowNetwork, nvl72_varied, true, true)->Arg(72)->Arg(144)->Arg(288)->Arg(576)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowNetwork, hgx_equal, false, false)->Arg(72)->Arg(144)->Arg(288)->Arg(576)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FlowNetwork, hgx_varied, false, true)->Arg(72)->Arg(144)->Arg(288)->Arg(576)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Naive, nvl72_varied, true, true)->Arg(72)->Arg(144)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_Naive, hgx_varied, false, true)->Arg(72)->Arg(144)->Unit(benchmark::kMillisecond)->Iterations(1);

BENCHMARK_MAIN();
