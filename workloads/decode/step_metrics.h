#pragma once
// Collects what the decode step measures while it runs (phase latencies, expert times, layer ends,
// timeline spans) and turns it into DecodeMetrics; also completes a sampled step. Definitions:
// docs/workloads.md "Metrics". Internal to moesim_workloads.
#include <cstdint>
#include <span>
#include <vector>

#include "network/network_model.h"
#include "sim/time.h"
#include "topology/fabric.h"
#include "workloads/decode_config.h"
#include "workloads/decode_metrics.h"

namespace moesim::workloads::decode {

// Per-GPU timestamps of one (layer, micro-batch) all-to-all, indexed by GPU.
struct PhaseTimes {
  std::span<const sim::Picoseconds> dispatch_send, dispatch_complete;
  std::span<const sim::Picoseconds> combine_send, combine_complete;
};

class StepRecorder {
 public:
  StepRecorder(std::uint32_t gpus, std::uint32_t model_layers, std::uint32_t runs_per_step,
               bool record_timeline);

  void begin_step(std::uint32_t step);
  void attention(sim::Picoseconds duration) { attention_us_.push_back(duration.microseconds()); }
  // One GPU's routed-expert kernel of run `run` (layer x micro-batches + micro-batch).
  void expert(std::size_t run, sim::Picoseconds duration);
  // Every GPU has finished (layer, micro-batch) run `run`.
  void layer_complete(std::uint32_t layer, std::size_t run, const PhaseTimes& times);
  void message(bool dispatch, double bytes);
  void span(const TimelineSpan& span) {
    if (record_timeline_) timeline_.push_back(span);
  }
  bool recording_timeline() const { return record_timeline_; }

  // Mean time from one MoE layer's end (over the whole EP group) to the next one's, step 0.
  sim::Picoseconds moe_layer_period() const;

  struct RunTotals {
    double mean_step_seconds = 0;
    double simulated_seconds = 0;
    double gpu_busy_seconds = 0;
    std::uint32_t steps = 1;
    std::uint32_t nodes = 0;
    std::uint64_t events = 0;
  };
  // The metrics of the run: latencies, TPOT and tokens/s (config's batch and MTP), link and tier
  // usage from `network`; memory is filled by the caller.
  DecodeMetrics metrics(const DecodeConfig& config, const RunTotals& totals,
                        const network::NetworkModel& network, const topology::Fabric& fabric) const;

 private:
  std::uint32_t gpus_;
  std::uint32_t model_layers_;
  bool record_timeline_;
  std::uint32_t step_ = 0;
  std::vector<sim::Picoseconds> expert_max_;  // per run of the current step
  std::vector<double> attention_us_, dispatch_us_, expert_us_, combine_us_;
  std::vector<double> dispatch_gpu_us_, combine_gpu_us_;  // per (GPU, layer, micro-batch)
  std::vector<sim::Picoseconds> moe_layer_ends_;          // step 0, by layer; 0 for dense layers
  std::vector<TimelineSpan> timeline_;
  std::uint64_t messages_ = 0, dispatch_bytes_ = 0, combine_bytes_ = 0;
};

// Completes a sampled run (DecodeConfig::sampled_moe_layers): the unsimulated MoE layers each
// take the observed MoE-layer period, and per-step traffic scales with the number of MoE layers.
// Rates (utilization, busy fractions) are those of the sample.
void extrapolate_to_full_step(DecodeMetrics& m, sim::Picoseconds period, std::uint32_t sampled,
                              std::uint32_t moe_layers, std::uint32_t batch_per_gpu);

}  // namespace moesim::workloads::decode
