#pragma once
// What one simulated decode step is: the layout (EP size, batch, context), gating, the all-to-all
// protocol, overlap and MTP, the network model and the kernel costs. Semantics and defaults:
// docs/workloads.md "Decode step". validate_decode_config() is the one place that says which
// configurations are possible; the scenario loader and simulate_decode both call it.
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "sim/time.h"
#include "topology/fabric.h"
#include "workloads/compute.h"
#include "workloads/gating.h"
#include "workloads/hardware.h"
#include "workloads/model.h"

namespace moesim::workloads {

// Which network model carries the all-to-all (docs/fabrics.md): exact max-min fair flows (the
// reference), the fast model (max-min re-solved at epochs, docs/fast-network.md) or the closed form
// without contention.
enum class NetworkKind { Flow, Analytic, Fast };

// Real communication kernels are not ideal fluids: they reach a fraction of link bandwidth and pay
// fixed costs per phase and per message (docs/validation.md). These named parameters are applied
// by the decode step; the defaults are the ideal fluid (fraction 1, no extra cost). The tier of a
// transfer is ScaleUp inside a scale-up domain and ScaleOut between domains.
struct KernelCalibration {
  // Achieved fraction of link bandwidth per tier: a message of b bytes is carried as b / fraction.
  // bandwidth_fraction applies to the dispatch; combine_bandwidth_fraction to the combine.
  std::array<double, topology::kLinkTierCount> bandwidth_fraction{1.0, 1.0, 1.0};
  std::array<double, topology::kLinkTierCount> combine_bandwidth_fraction{1.0, 1.0, 1.0};
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

// Which compute model the step uses (workloads/compute.h): the roofline at compute_efficiency, or
// the forms fitted to measured kernel times (DecodeConfig::compute_costs).
enum class ComputeKind { Roofline, Calibrated };

// What a decode step costs besides its layers' measured kernels (docs/workloads.md "Costs outside
// the layers"). Defaults: nothing.
struct StepCosts {
  // Per layer and micro-batch on the GPU's compute stream: kernels no measured table covers
  // (residual adds, RMSNorms before attention and MoE, top-k selection).
  sim::Picoseconds per_layer{};
  // Per micro-batch with the head: sampling the next token from the logits.
  sim::Picoseconds sampling{};
  // Per step, between steps: the serving loop's scheduling gap (GPU idle).
  sim::Picoseconds between_steps{};
};

struct DecodeConfig {
  std::uint32_t ep_size = 0;         // GPUs in the EP group: GPUs 0 .. ep_size-1 of the fabric
  std::uint32_t batch_per_gpu = 0;   // concurrent requests (users) per GPU
  std::uint64_t context_tokens = 0;  // KV length per request
  GatingKind gating = GatingKind::GroupLimited;
  double zipf_exponent = 0;                // Zipf popularity (also skews GroupLimited when > 0)
  std::uint32_t max_groups_per_token = 0;  // 0 = the model's own groups_per_token
  DispatchMode dispatch_mode = DispatchMode::Direct;
  double dispatch_bytes_per_element = 1;  // FP8
  bool dispatch_scale_factors = true;     // one FP32 scale per 128 channels
  double combine_bytes_per_element = 2;   // BF16
  std::uint32_t redundant_slots_per_gpu = 0;
  bool two_micro_batch_overlap = false;
  std::uint32_t mtp_draft_tokens = 0;                     // 0 = no MTP
  double mtp_acceptance = 0;                              // per-draft acceptance probability
  double compute_efficiency = kDefaultComputeEfficiency;  // the roofline's
  ComputeKind compute = ComputeKind::Roofline;
  ComputeCosts compute_costs;  // for ComputeKind::Calibrated
  StepCosts step_costs;
  // HBM kept free for CUDA graphs, workspaces and fragmentation (workloads/memory.h).
  double memory_reserve_fraction = 0;
  NetworkKind network = NetworkKind::Flow;
  // network: fast only: starts and ends between two exact re-solves, as a fraction of the
  // transferring flows (network::FastNetworkOptions; docs/fast-network.md). 0 = exact max-min.
  // Unset (`auto` in a scenario): fast_epoch_fraction_for() below picks it by the step's class.
  std::optional<double> fast_epoch_fraction;
  KernelCalibration calibration;
  std::uint32_t steps = 1;
  // 0 = simulate every MoE layer. K >= 2 (and below the model's MoE layer count) simulates the
  // dense prefix and only K MoE layers, then extrapolates the step: the remaining MoE layers are
  // added at the mean MoE-layer period observed (from one layer's end to the next one's, over the
  // whole EP group), and per-step bytes and messages are scaled by MoE layers / K. Layers differ
  // only by their random gating, so this is a sampling estimate of the full step; per-layer
  // latency statistics are over the simulated layers. Memory is always the full model's.
  std::uint32_t sampled_moe_layers = 0;
  std::uint64_t seed = 1;
  bool record_timeline = false;  // for the CLI's Perfetto trace
  // Compute each layer's gating on a second thread, ahead of the simulation (results are identical
  // either way; callers already running one simulation per core turn it off).
  bool prefetch_gating = true;
  // Optional, for a progress line: the step adds 1 whenever the first GPU finishes a layer (or MTP
  // module) of one micro-batch, so a run counts steps x layers x micro-batches in all
  // (DecodeWork::progress_units). Written from the simulating thread, read from any (relaxed).
  std::atomic<std::uint64_t>* progress = nullptr;
};

// An impossible configuration. key() names the DecodeConfig field at fault ("ep_size",
// "batch_per_gpu", ...; "memory_reserve_fraction" for the memory section), so a loader can point
// at the line that set it.
class InvalidDecodeConfig : public std::invalid_argument {
 public:
  InvalidDecodeConfig(std::string key, const std::string& message)
      : std::invalid_argument(message), key_(std::move(key)) {}
  const std::string& key() const noexcept { return key_; }

 private:
  std::string key_;
};

// Throws InvalidDecodeConfig for: EP size 0, above the fabric's GPUs, or above the routed experts
// without redundant slots; batch 0 (or < 2 with two-micro-batch overlap); groups per token above
// the model's groups; non-positive wire precisions; efficiency, acceptance, reserve or calibration
// fractions out of range; a negative fast-network epoch fraction; MTP drafts on a model without
// MTP; steps or sampled layers out of range; a layout whose memory (workloads/memory.h) does not
// fit the GPU; and a simulation too large to run (workloads/decode_work.h: memory, messages, token
// copies, simulated time).
// No per-message cost and every achieved fraction 1 (calibration: none).
bool ideal_fluid(const KernelCalibration& calibration);

// The epoch fraction of network: fast when the configuration leaves it unset: the sparsest
// fraction that kept every measured case of the step's class within the bounds
// (docs/fast-network.md, "The default epoch fraction"): kDenseEpochFraction on an ideal-fluid
// all-to-all over kDenseEpochDomains or more scale-up domains (where sparser epochs were measured
// to move the per-GPU p99 by up to ~15 %), kFewDomainEpochFraction on one over
// kFewDomainEpochDomains up to kDenseEpochDomains - 1 (held-out round 6: the per-GPU dispatch p99
// up to ~19 % off at 0.2 on H200 servers; on HGX B200 servers with node-dedup no fraction was
// enough, and network: fast warns there), kSparseEpochFraction on every other step.
inline constexpr double kDenseEpochFraction = 0.1;
inline constexpr double kFewDomainEpochFraction = 0.05;
inline constexpr double kSparseEpochFraction = 0.2;
inline constexpr std::uint32_t kDenseEpochDomains = 8;
inline constexpr std::uint32_t kFewDomainEpochDomains = 4;
// The step's class for the default above.
enum class FastEpochClass : std::uint8_t {
  DenseIdealFluid,      // ideal fluid over kDenseEpochDomains or more domains
  FewDomainIdealFluid,  // ideal fluid over kFewDomainEpochDomains to kDenseEpochDomains - 1
  Other,
};
FastEpochClass fast_epoch_class(const KernelCalibration& calibration, std::uint32_t domains);
double default_fast_epoch_fraction(const KernelCalibration& calibration, std::uint32_t domains);
// The configured fraction, or the default above.
double fast_epoch_fraction_for(const DecodeConfig& config, std::uint32_t domains);
// The same step with every dispatch `delay` later (its fixed cost grows by it): a perturbation far
// below anything measured, so how far a metric moves under it is the metric's own sensitivity
// (`moesim run --check-exact`, docs/fast-network.md "A nanosecond later").
DecodeConfig with_later_dispatches(DecodeConfig config, sim::Picoseconds delay);
// Two-batch overlap with node-dedup over two or more scale-up domains: the class of steps on which
// exact max-min itself was measured to move TPOT by up to 2.9 % and the per-GPU combine p50 by up
// to 8.4 % when every dispatch is 1 to 5 ns later (docs/fast-network.md, "A nanosecond later"),
// so no model can be held to the bounds there.
bool chaotic_overlap_class(const DecodeConfig& config, std::uint32_t domains);
// The scale-up domains GPUs 0 .. ep_size-1 span: a step's DecodeMetrics::nodes, known before it
// runs (for `domains` above).
std::uint32_t spanned_domains(const topology::Fabric& fabric, std::uint32_t ep_size);

void validate_decode_config(const ModelSpec& model, const GpuSpec& gpu,
                            const topology::Fabric& fabric, const DecodeConfig& config);

}  // namespace moesim::workloads
