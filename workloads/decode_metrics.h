#pragma once
// What a simulated decode step reports: phase latencies, TPOT and tokens/s, link and GPU
// utilization, memory per GPU, and the timeline for traces. Definitions: docs/workloads.md
// "Metrics".
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "network/network_model.h"
#include "sim/time.h"
#include "topology/fabric.h"
#include "workloads/memory.h"

namespace moesim::workloads {

struct LatencyStats {
  double mean_us = 0, p50_us = 0, p99_us = 0, max_us = 0;
};

// One directed link's traffic over the run (DecodeMetrics::busiest_links).
struct LinkReport {
  topology::LinkId link = 0;
  std::string name;  // "from -> to", the fabric's vertex names
  topology::LinkTier tier = topology::LinkTier::ScaleUp;
  std::uint64_t bytes = 0;
  double utilization = 0;    // bytes / (bandwidth x simulated time)
  double busy_fraction = 0;  // time with >= 1 active flow / simulated time
};

struct TierReport {
  std::uint64_t bytes = 0;   // bytes carried over the tier's directed links (all steps)
  double utilization = 0;    // bytes / (tier capacity x simulated time)
  double busy_fraction = 0;  // link-time with >= 1 active flow / (links x simulated time)
};

// One span of the timeline. Tracks 0 .. ep_size-1 are GPUs' compute; ep_size + g is GPU g's
// communication (from its first send of a phase to the last arrival it waits for).
struct TimelineSpan {
  std::uint32_t track;
  std::string_view name;  // "attention", "dense-ffn", "shared-expert", "experts", "head",
                          // "dispatch", "combine" (static strings)
  std::int32_t layer;     // -1 for the head; layers >= model.layers are MTP modules
  std::uint32_t micro_batch;
  sim::Picoseconds start, end;
};

struct DecodeMetrics {
  // Per (layer, micro-batch, step) phase latencies over all MoE layers (attention over all
  // layers): attention / expert = the slowest GPU's kernel time; dispatch / combine = from the
  // earliest GPU starting to send to the last GPU receiving its last message.
  LatencyStats attention, dispatch, expert, combine;
  // Each GPU's own dispatch / combine: from its first send of the phase to the last arrival it
  // waits for (what a kernel timed on one rank measures, as DeepEP's benchmarks report); over
  // (GPU, layer, micro-batch, step). The phase figures above also hold the skew between GPUs
  // (one GPU's experts finishing later delays everyone's combine start).
  LatencyStats dispatch_per_gpu, combine_per_gpu;
  double step_time_us = 0;              // one decode step (all layers, head, MTP), mean over steps
  double tokens_per_user_per_step = 1;  // 1 + expected accepted MTP drafts
  double tpot_us = 0;                   // step_time / tokens_per_user_per_step
  double per_user_tokens_per_second = 0;
  double output_tokens_per_second_per_gpu = 0;
  double output_tokens_per_second_per_node = 0;  // per scale-up domain used by the EP group
  std::array<TierReport, topology::kLinkTierCount> tiers{};
  // The links with the highest utilization, highest first (ties: lower link id), at most
  // kBusiestLinks: where a tier's average hides a hot spot (an ECMP-unlucky spine link, the NIC of
  // a GPU that receives more than others).
  static constexpr std::size_t kBusiestLinks = 5;
  std::vector<LinkReport> busiest_links;
  double gpu_busy_fraction = 0;            // compute time / (ep_size x simulated time)
  GpuMemory memory;                        // per GPU, the full model's (workloads/memory.h)
  std::uint32_t nodes = 0;                 // scale-up domains spanned by the EP group
  std::uint32_t simulated_moe_layers = 0;  // MoE layers actually simulated per step (see sampling)
  // Non-empty when the network model is used where its measured error exceeds its bounds
  // (network: fast, docs/fast-network.md); the CLI logs it as a warning.
  std::string network_warning;
  std::uint64_t simulated_events = 0, messages = 0;
  std::uint64_t dispatch_bytes = 0, combine_bytes = 0;  // per step, summed over messages
  std::vector<TimelineSpan> timeline;                   // filled only when record_timeline
  // Busy links per tier over time, when record_timeline and the network is the flow model.
  std::vector<network::TierActivity> tier_activity;
};

// The figures on which the fast network is held to exact max-min, and its bounds
// (docs/fast-network.md): read by `moesim run --check-exact` and by the corpus
// (bench/fast_network_corpus and its test slice).
struct ExactCheck {
  std::string_view label;   // as `run --check-exact` prints it
  std::string_view column;  // a corpus table's column
  double bound_percent;     // |fast / exact - 1| at most this
  double (*of)(const DecodeMetrics&);
};
inline constexpr ExactCheck kExactChecks[] = {
    {"TPOT (us)", "TPOT", 2, [](const DecodeMetrics& m) { return m.tpot_us; }},
    {"dispatch per GPU p50 (us)", "disp p50", 5,
     [](const DecodeMetrics& m) { return m.dispatch_per_gpu.p50_us; }},
    {"dispatch per GPU p99 (us)", "disp p99", 10,
     [](const DecodeMetrics& m) { return m.dispatch_per_gpu.p99_us; }},
    {"combine per GPU p50 (us)", "comb p50", 5,
     [](const DecodeMetrics& m) { return m.combine_per_gpu.p50_us; }},
    {"combine per GPU p99 (us)", "comb p99", 10,
     [](const DecodeMetrics& m) { return m.combine_per_gpu.p99_us; }},
};

}  // namespace moesim::workloads
