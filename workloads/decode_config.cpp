#include "workloads/decode_config.h"

#include <cmath>
#include <cstdio>
#include <string>

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

void validate_values(const DecodeConfig& c) {
  if (!(c.zipf_exponent >= 0 && std::isfinite(c.zipf_exponent)))
    fail("zipf_exponent", "must be a finite number >= 0");
  if (!(c.dispatch_bytes_per_element > 0 && std::isfinite(c.dispatch_bytes_per_element)))
    fail("dispatch_bytes_per_element", "must be a finite number > 0");
  if (!(c.combine_bytes_per_element > 0 && std::isfinite(c.combine_bytes_per_element)))
    fail("combine_bytes_per_element", "must be a finite number > 0");
  if (!(c.compute_efficiency > 0 && c.compute_efficiency <= 1))
    fail("compute_efficiency", "must be in (0, 1]");
  if (!in_unit_interval(c.mtp_acceptance)) fail("mtp_acceptance", "must be in [0, 1]");
  if (!(c.memory_reserve_fraction >= 0 && c.memory_reserve_fraction < 1))
    fail("memory_reserve_fraction", "must be a fraction in [0, 1)");
  for (const auto* fractions :
       {&c.calibration.bandwidth_fraction, &c.calibration.combine_bandwidth_fraction})
    for (double f : *fractions)
      if (!(f > 0 && f <= 1)) fail("calibration", "bandwidth fractions must be in (0, 1]");
  if (c.compute == ComputeKind::Calibrated) {
    const ComputeCosts& k = c.compute_costs;
    for (double f : {k.attention.projection_flops_fraction, k.attention.kv_bandwidth_fraction,
                     k.attention.attention_flops_fraction, k.gemm.bandwidth_fraction,
                     k.gemm.flops_fraction, k.experts.bandwidth_fraction, k.experts.flops_fraction})
      if (!(f > 0 && std::isfinite(f))) fail("compute", "calibrated fractions must be > 0");
    if (!(k.experts.norm_exponent >= 1)) fail("compute", "the experts' norm exponent must be >= 1");
  }
  for (sim::Picoseconds cost :
       {c.step_costs.per_layer, c.step_costs.sampling, c.step_costs.between_steps})
    if (cost < sim::Picoseconds{0}) fail("step_costs", "costs must be >= 0");
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

void validate_decode_config(const ModelSpec& model, const GpuSpec& gpu,
                            const topology::Fabric& fabric, const DecodeConfig& config) {
  validate_values(config);
  validate_layout(model, fabric, config);
  validate_memory(model, gpu, config);
}

}  // namespace moesim::workloads
