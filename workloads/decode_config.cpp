#include "workloads/decode_config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "workloads/decode_work.h"
#include "workloads/memory.h"

namespace moesim::workloads {

namespace {

[[noreturn]] void fail(const std::string& key, const std::string& message) {
  throw InvalidDecodeConfig(key, message);
}

std::string gigabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
  return text;
}

std::string megabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
  return text;
}

bool in_unit_interval(double value) {
  return value >= 0 && value <= 1;  // false for NaN
}

void validate_layout(const ModelSpec& model, const topology::Fabric& fabric,
                     const DecodeConfig& c) {
  if (c.ep_size == 0) fail("ep_size", "must be > 0");
  if (c.ep_size > fabric.gpu_count())
    fail("ep_size", "EP size " + std::to_string(c.ep_size) + " exceeds the " +
                        std::to_string(fabric.gpu_count()) + " GPUs of fabric '" + fabric.name() +
                        "'");
  if (model.moe_layer_count() > 0 && model.routed_expert_count == 0)
    fail("ep_size", "model '" + model.name + "' has MoE layers but no routed experts");
  if (c.ep_size > model.routed_expert_count && c.redundant_slots_per_gpu == 0)
    fail("ep_size", "EP size " + std::to_string(c.ep_size) + " exceeds the " +
                        std::to_string(model.routed_expert_count) + " routed experts of " +
                        model.name +
                        ": some GPUs would hold only replicas; set "
                        "decode.redundant_slots_per_gpu explicitly if that is intended");
  if (c.batch_per_gpu == 0) fail("batch_per_gpu", "must be > 0");
  if (c.context_tokens == 0) fail("context_tokens", "must be > 0");
  if (c.two_micro_batch_overlap && c.batch_per_gpu < 2)
    fail("two_micro_batch_overlap", "two-micro-batch overlap needs batch_per_gpu >= 2");
  if (c.max_groups_per_token > model.expert_groups)
    fail("max_groups_per_token", std::to_string(c.max_groups_per_token) + " exceeds the model's " +
                                     std::to_string(model.expert_groups) + " expert groups");
  if (c.mtp_draft_tokens > 0 && model.mtp_layers == 0)
    fail("mtp_draft_tokens",
         "model '" + model.name + "' has no MTP module, so mtp_draft_tokens must be 0");
  if (std::uint64_t{model.layers} + c.mtp_draft_tokens >= 65536)
    fail("mtp_draft_tokens", "too many layers (model layers + MTP drafts must be < 65536)");
}

// Every comparison below is false for NaN, so NaN fails each check.
void validate_values(const DecodeConfig& c) {
  if (!(c.zipf_exponent >= 0 && c.zipf_exponent <= 100))
    fail("zipf_exponent", "must be a number from 0 to 100");
  // Wider than FP64 (8 bytes) is no wire format; the bound keeps message sizes in range.
  if (!(c.dispatch_bytes_per_element > 0 && c.dispatch_bytes_per_element <= 16))
    fail("dispatch_bytes_per_element", "must be a number > 0 and <= 16");
  if (!(c.combine_bytes_per_element > 0 && c.combine_bytes_per_element <= 16))
    fail("combine_bytes_per_element", "must be a number > 0 and <= 16");
  if (!(c.compute_efficiency >= 1e-3 && c.compute_efficiency <= 1))
    fail("compute_efficiency", "must be in [0.001, 1]");
  if (!in_unit_interval(c.mtp_acceptance)) fail("mtp_acceptance", "must be in [0, 1]");
  if (!(c.memory_reserve_fraction >= 0 && c.memory_reserve_fraction < 1))
    fail("memory_reserve_fraction", "must be a fraction in [0, 1)");
  for (const auto* fractions :
       {&c.calibration.bandwidth_fraction, &c.calibration.combine_bandwidth_fraction})
    for (double f : *fractions)
      if (!(f >= 1e-3 && f <= 1)) fail("calibration", "bandwidth fractions must be in [0.001, 1]");
  if (c.compute == ComputeKind::Calibrated) {
    const ComputeCosts& k = c.compute_costs;
    for (double f : {k.attention.projection_flops_fraction, k.attention.kv_bandwidth_fraction,
                     k.attention.attention_flops_fraction, k.gemm.bandwidth_fraction,
                     k.gemm.flops_fraction, k.experts.bandwidth_fraction, k.experts.flops_fraction})
      if (!(f > 0 && std::isfinite(f))) fail("compute", "calibrated fractions must be > 0");
    if (!(k.experts.norm_exponent >= 1)) fail("compute", "the experts' norm exponent must be >= 1");
  }
  // Fixed costs in [0, 1 s] (GPU kernels' are microseconds), so simulated time stays in range.
  auto fixed_cost = [](const char* key, sim::Picoseconds cost) {
    if (cost < sim::Picoseconds::zero() || cost > topology::kMaxLinkLatency)
      fail(key, "fixed costs must be from 0 to 1 s");
  };
  for (sim::Picoseconds cost : c.calibration.message_overhead) fixed_cost("calibration", cost);
  fixed_cost("calibration", c.calibration.dispatch_phase_overhead);
  fixed_cost("calibration", c.calibration.combine_phase_overhead);
  for (sim::Picoseconds cost :
       {c.step_costs.per_layer, c.step_costs.sampling, c.step_costs.between_steps})
    fixed_cost("step_costs", cost);
  if (c.fast_epoch_fraction &&
      !(*c.fast_epoch_fraction >= 0 && std::isfinite(*c.fast_epoch_fraction)))
    fail("fast_epoch_fraction", "must be a finite number >= 0");
  if (c.steps == 0) fail("steps", "must be > 0");
  if (c.sampled_moe_layers == 1) fail("sampled_moe_layers", "must be 0 (every layer) or >= 2");
}

void validate_memory(const ModelSpec& model, const GpuSpec& gpu, const DecodeConfig& c) {
  const GpuMemory memory = gpu_memory(model, gpu, c);
  if (memory.fits()) return;
  fail("batch_per_gpu",
       model.name + " does not fit in one " + gpu.name + " (" + gigabytes(memory.capacity_bytes) +
           " HBM): weights " + gigabytes(memory.weight_bytes) + " + KV cache " +
           gigabytes(memory.kv_cache_bytes) + " (" + std::to_string(c.batch_per_gpu) +
           " requests x " + std::to_string(c.context_tokens) + " tokens) + all-to-all buffers " +
           megabytes(memory.activation_bytes) + " + reserve " + gigabytes(memory.reserved_bytes) +
           " = " + gigabytes(memory.used_bytes() + memory.reserved_bytes) +
           " (largest batch that fits: " + std::to_string(largest_batch_per_gpu(model, gpu, c)) +
           ")");
}

}  // namespace

bool ideal_fluid(const KernelCalibration& c) {
  for (std::size_t tier = 0; tier < topology::kLinkTierCount; ++tier)
    if (c.bandwidth_fraction[tier] != 1 || c.combine_bandwidth_fraction[tier] != 1 ||
        c.message_overhead[tier] != sim::Picoseconds{0})
      return false;
  return c.dispatch_phase_overhead == sim::Picoseconds{0} &&
         c.combine_phase_overhead == sim::Picoseconds{0};
}

FastEpochClass fast_epoch_class(const KernelCalibration& calibration, std::uint32_t domains) {
  if (domains < kFewDomainEpochDomains || !ideal_fluid(calibration)) return FastEpochClass::Other;
  return domains >= kDenseEpochDomains ? FastEpochClass::DenseIdealFluid
                                       : FastEpochClass::FewDomainIdealFluid;
}

double default_fast_epoch_fraction(const KernelCalibration& calibration, std::uint32_t domains) {
  switch (fast_epoch_class(calibration, domains)) {
    case FastEpochClass::DenseIdealFluid:
      return kDenseEpochFraction;
    case FastEpochClass::FewDomainIdealFluid:
      return kFewDomainEpochFraction;
    case FastEpochClass::Other:
      break;
  }
  return kSparseEpochFraction;
}

double fast_epoch_fraction_for(const DecodeConfig& config, std::uint32_t domains) {
  return config.fast_epoch_fraction.value_or(
      default_fast_epoch_fraction(config.calibration, domains));
}

DecodeConfig with_later_dispatches(DecodeConfig config, sim::Picoseconds delay) {
  config.calibration.dispatch_phase_overhead += delay;
  return config;
}

bool chaotic_overlap_class(const DecodeConfig& config, std::uint32_t domains) {
  return config.two_micro_batch_overlap && config.dispatch_mode == DispatchMode::NodeDedup &&
         domains >= 2;
}

std::uint32_t spanned_domains(const topology::Fabric& fabric, std::uint32_t ep_size) {
  std::vector<bool> spanned(fabric.domain_count(), false);
  for (std::uint32_t gpu = 0; gpu < ep_size; ++gpu) spanned[fabric.domain_of(gpu)] = true;
  return static_cast<std::uint32_t>(std::count(spanned.begin(), spanned.end(), true));
}

void validate_decode_config(const ModelSpec& model, const GpuSpec& gpu,
                            const topology::Fabric& fabric, const DecodeConfig& config) {
  validate_values(config);
  validate_layout(model, fabric, config);
  validate_memory(model, gpu, config);
  check_decode_work(model, fabric, config);
}

}  // namespace moesim::workloads
