// Time of the decode step (docs/performance.md, "Decode step"): DeepSeek-V3 at EP72 / EP144 / EP288
// over 9 / 18 / 36 HGX H200 servers, batch 16 / 64 / 128 per GPU, context 4096, group-limited
// routing, direct dispatch, on the three network models (`network` 0 = flow, exact max-min; 1 =
// analytic, no contention; 2 = fast, docs/fast-network.md). `moe_layers` = 58 is the full step (3
// dense + 58 MoE layers); fewer simulate the 3 dense layers and that many MoE layers (the flow
// network's growth with EP and batch at 1 layer: a full EP288 step takes minutes; the fast
// network's growth with layers at 4 and 16). Counters: simulated events/s and messages/s (for every
// network model, so a suite can track them), and the messages and events of one step.
//   decode_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <string>

#include "scenario/scenario.h"
#include "topology/builders.h"
#include "workloads/decode.h"

namespace {

using namespace moesim;

std::string source(const std::string& relative) {
  return std::string(MOESIM_SOURCE_DIR) + "/" + relative;
}

// 36 servers (EP288) is the 18-server file with the server count doubled (same cited figures).
const topology::Fabric& h200_servers(int servers) {
  static const topology::Fabric x9 =
      topology::load_fabric_file(source("configs/fabrics/hgx-h200x9.yaml"));
  static const topology::Fabric x18 =
      topology::load_fabric_file(source("configs/fabrics/hgx-h200x18.yaml"));
  static const topology::Fabric x36 = [] {
    const auto map = input::Mapping::load_file(source("configs/fabrics/hgx-h200x18.yaml"));
    return topology::load_fabric(map.with("servers", "36").with("name", "hgx-h200x36"));
  }();
  return servers == 9 ? x9 : servers == 18 ? x18 : x36;
}

// Simulated events and messages per second of wall time, for a suite tracking them over time.
void set_rates(benchmark::State& state, std::uint64_t events, std::uint64_t messages) {
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["messages/s"] =
      benchmark::Counter(static_cast<double>(messages), benchmark::Counter::kIsRate);
}

void BM_DeepSeekV3DecodeStep(benchmark::State& state) {
  static const workloads::ModelSpec full =
      workloads::load_model_file(source("configs/models/deepseek-v3.yaml"));
  workloads::ModelSpec model = full;
  model.layers = model.dense_layers + static_cast<std::uint32_t>(state.range(3));
  static const workloads::GpuSpec gpu =
      workloads::load_gpu_file(source("configs/hardware/h200-sxm.yaml"));
  const auto ep = static_cast<std::uint32_t>(state.range(0));
  workloads::DecodeConfig config;
  config.ep_size = ep;
  // EP288 spreads DeepSeek-V3's 256 routed experts over more GPUs: one slot each, some replicas.
  config.redundant_slots_per_gpu = ep > 256 ? 1 : 0;
  config.batch_per_gpu = static_cast<std::uint32_t>(state.range(1));
  config.context_tokens = 4096;
  config.gating = workloads::GatingKind::GroupLimited;
  const workloads::NetworkKind kinds[] = {
      workloads::NetworkKind::Flow, workloads::NetworkKind::Analytic, workloads::NetworkKind::Fast};
  config.network = kinds[state.range(2)];
  state.SetLabel(state.range(2) == 0 ? "flow" : state.range(2) == 1 ? "analytic" : "fast");
  const topology::Fabric& fabric = h200_servers(static_cast<int>(ep / 8));
  std::uint64_t events = 0, messages = 0;
  double step_us = 0;
  for (auto _ : state) {
    const workloads::DecodeMetrics metrics = workloads::simulate_decode(model, gpu, fabric, config);
    events += metrics.simulated_events;
    messages += metrics.messages;
    step_us = metrics.step_time_us;
  }
  set_rates(state, events, messages);
  state.counters["events/step"] =
      static_cast<double>(events) / static_cast<double>(state.iterations());
  state.counters["messages/step"] =
      static_cast<double>(messages) / static_cast<double>(state.iterations());
  state.counters["simulated_step_us"] = step_us;
}

// {EP, batch per GPU, network 0 = flow / 1 = analytic / 2 = fast, MoE layers}
BENCHMARK(BM_DeepSeekV3DecodeStep)
    ->ArgNames({"ep", "batch", "network", "moe_layers"})
    ->Args({144, 64, 1, 58})
    ->Args({72, 64, 1, 58})
    ->Args({288, 64, 1, 58})
    ->Args({144, 16, 1, 58})
    ->Args({144, 128, 1, 58})
    ->Args({144, 64, 2, 58})
    ->Args({72, 64, 2, 58})
    ->Args({288, 64, 2, 58})
    ->Args({144, 16, 2, 58})
    ->Args({144, 128, 2, 58})
    ->Args({144, 64, 2, 16})
    ->Args({144, 64, 2, 4})
    ->Args({72, 64, 0, 58})
    ->Args({144, 64, 0, 58})
    ->Args({72, 64, 0, 1})
    ->Args({144, 64, 0, 1})
    ->Args({288, 64, 0, 1})
    ->Args({144, 16, 0, 1})
    ->Args({144, 128, 0, 1})
    ->MeasureProcessCPUTime()  // the gating thread's CPU counts too
    ->Unit(benchmark::kMillisecond);

// The shipped scenarios' full step on the fast network at their defaults: DeepSeek-V3 at EP72 /
// EP144 (configs/scenarios/ep72-h200-9x.yaml, ep144-h200-18x.yaml: fitted DeepEP kernels, measured
// compute, batch 64) and EP288 (the EP144 file on 36 servers, one redundant slot per GPU). Their
// kernels are calibrated, so the fast network's default epoch fraction is 0.2 here
// (workloads::fast_epoch_fraction_for), against 0.1 on the ideal-fluid steps above; `fraction` 1
// forces 0.05 for the same-run comparison. Gating on the second thread, as `moesim run` does.
void BM_ShippedScenarioStep(benchmark::State& state) {
  const auto ep = state.range(0);
  std::vector<scenario::ScenarioOverride> overrides{
      scenario::parse_override("network=fast"), scenario::parse_override("sampled_moe_layers=0")};
  if (ep == 288)
    for (const std::string& text :
         {std::string("ep_size=288"), std::string("redundant_slots_per_gpu=1"),
          "fabric=" + source("configs/fabrics/hgx-h200x36.yaml")})
      overrides.push_back(scenario::parse_override(text));
  if (state.range(1) != 0)
    overrides.push_back(scenario::parse_override("fast_epoch_fraction=0.05"));
  const scenario::Scenario s =
      scenario::load_scenario(source(ep == 72 ? "configs/scenarios/ep72-h200-9x.yaml"
                                              : "configs/scenarios/ep144-h200-18x.yaml"),
                              overrides);
  state.SetLabel(state.range(1) != 0 ? "fast 0.05" : "fast default");
  std::uint64_t events = 0, messages = 0;
  for (auto _ : state) {
    const workloads::DecodeMetrics metrics =
        workloads::simulate_decode(s.model, s.gpu, *s.fabric, s.decode);
    events += metrics.simulated_events;
    messages += metrics.messages;
  }
  set_rates(state, events, messages);
}
BENCHMARK(BM_ShippedScenarioStep)
    ->ArgNames({"ep", "fraction"})
    ->Args({72, 0})
    ->Args({72, 1})
    ->Args({144, 0})
    ->Args({144, 1})
    ->Args({288, 0})
    ->Args({288, 1})
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Gating on a second thread (DecodeConfig::prefetch_gating) against inline gating, in one run: a
// full step on the analytic network, wall time (the point of the second thread).
void BM_GatingThread(benchmark::State& state) {
  static const workloads::ModelSpec model =
      workloads::load_model_file(source("configs/models/deepseek-v3.yaml"));
  static const workloads::GpuSpec gpu =
      workloads::load_gpu_file(source("configs/hardware/h200-sxm.yaml"));
  const auto ep = static_cast<std::uint32_t>(state.range(0));
  workloads::DecodeConfig config;
  config.ep_size = ep;
  config.batch_per_gpu = 64;
  config.context_tokens = 4096;
  config.network = workloads::NetworkKind::Analytic;
  config.prefetch_gating = state.range(1) != 0;
  const topology::Fabric& fabric = h200_servers(static_cast<int>(ep / 8));
  for (auto _ : state)
    benchmark::DoNotOptimize(workloads::simulate_decode(model, gpu, fabric, config).step_time_us);
}
BENCHMARK(BM_GatingThread)
    ->ArgNames({"ep", "gating_thread"})
    ->Args({72, 0})
    ->Args({72, 1})
    ->Args({144, 0})
    ->Args({144, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
