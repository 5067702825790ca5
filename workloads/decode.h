#pragma once
// The MoE decode step: per layer attention -> dispatch (all-to-all through a network model) ->
// expert compute -> combine -> next layer, with per-GPU dependencies, simulated on sim::Engine.
// Semantics, defaults and metric definitions: docs/workloads.md "Decode step".
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"
#include "topology/fabric.h"
#include "workloads/hardware.h"
#include "workloads/model.h"
#include "workloads/routing.h"

namespace moesim::workloads {

enum class NetworkKind { Flow, Analytic };

// Real communication kernels are not ideal fluids (issue 6): they reach a fraction of link
// bandwidth and pay fixed costs per phase and per message. These named parameters are applied by
// the decode step; the defaults are the ideal fluid (fraction 1, no extra cost), and the fidelity
// engineer fits them per fabric tier and kernel mode. The tier of a transfer is ScaleUp inside a
// scale-up domain and ScaleOut between domains.
struct KernelCalibration {
  // Achieved fraction of link bandwidth per tier: a message of b bytes is carried as b / fraction.
  std::array<double, topology::kLinkTierCount> bandwidth_fraction{1.0, 1.0, 1.0};
  // Extra fixed cost per message by tier, added before the message is released to the network
  // (on top of the fabric's own per-tier message overhead).
  std::array<sim::Picoseconds, topology::kLinkTierCount> message_overhead{};
  // Fixed cost per phase and GPU (kernel launch, barrier, notification): the GPU starts sending
  // its dispatch (combine) this long after its attention (expert compute) ends.
  sim::Picoseconds dispatch_phase_overhead{};
  sim::Picoseconds combine_phase_overhead{};
};

// Default achieved fraction of the compute roofline. An assumption, not a cited figure: decode
// kernels (FlashMLA, DeepGEMM grouped GEMM) are reported near their memory roofline, and 0.7 is a
// round middle value; the CLI exposes it and docs/workloads.md discusses it.
inline constexpr double kDefaultComputeEfficiency = 0.7;

struct DecodeConfig {
  std::uint32_t ep_size = 0;         // GPUs in the EP group: GPUs 0 .. ep_size-1 of the fabric
  std::uint32_t batch_per_gpu = 0;   // concurrent requests (users) per GPU
  std::uint64_t context_tokens = 0;  // KV length per request
  RoutingKind routing = RoutingKind::GroupLimited;
  double zipf_exponent = 0;                // Zipf popularity (also skews GroupLimited when > 0)
  std::uint32_t max_groups_per_token = 0;  // 0 = the model's own groups_per_token
  DispatchMode dispatch_mode = DispatchMode::Direct;
  double dispatch_bytes_per_element = 1;  // FP8
  bool dispatch_scale_factors = true;     // one FP32 scale per 128 channels
  double combine_bytes_per_element = 2;   // BF16
  std::uint32_t redundant_slots_per_gpu = 0;
  bool two_micro_batch_overlap = false;
  std::uint32_t mtp_draft_tokens = 0;  // 0 = no MTP
  double mtp_acceptance = 0;           // per-draft acceptance probability
  double compute_efficiency = kDefaultComputeEfficiency;
  NetworkKind network = NetworkKind::Flow;
  KernelCalibration calibration;
  std::uint32_t steps = 1;
  // 0 = simulate every MoE layer. K >= 2 (and below the model's MoE layer count) simulates the
  // dense prefix and only K MoE layers, then extrapolates the step: the remaining MoE layers are
  // added at the mean MoE-layer period observed (from one layer's end to the next one's, over the
  // whole EP group), and per-step bytes and messages are scaled by MoE layers / K. Layers differ
  // only by their random routing, so this is a sampling estimate of the full step; per-layer
  // latency statistics are over the simulated layers. Memory is always the full model's.
  std::uint32_t sampled_moe_layers = 0;
  std::uint64_t seed = 1;
  bool record_timeline = false;  // for the CLI's Perfetto trace
};

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
  double gpu_busy_fraction = 0;  // compute time / (ep_size x simulated time)
  // memory per GPU (bytes)
  double weight_bytes_per_gpu = 0, kv_cache_bytes_per_gpu = 0, activation_bytes_per_gpu = 0;
  double hbm_bytes_per_gpu = 0;  // the GPU's capacity, for headroom
  std::uint32_t expert_slots_per_gpu = 0;
  std::uint32_t nodes = 0;                 // scale-up domains spanned by the EP group
  std::uint32_t simulated_moe_layers = 0;  // MoE layers actually simulated per step (see sampling)
  std::uint64_t simulated_events = 0, messages = 0;
  std::uint64_t dispatch_bytes = 0, combine_bytes = 0;  // per step, summed over messages
  std::vector<TimelineSpan> timeline;                   // filled only when record_timeline
  // Busy links per tier over time, when record_timeline and the network is the flow model.
  std::vector<topology::TierActivity> tier_activity;
};

// Throws std::invalid_argument on impossible layouts (EP size 0 or above the fabric's GPUs, batch
// 0, groups per token that cannot supply top-k experts, bad precisions or acceptance).
DecodeMetrics simulate_decode(const ModelSpec& model, const GpuSpec& gpu,
                              const topology::Fabric& fabric, const DecodeConfig& config);

}  // namespace moesim::workloads
