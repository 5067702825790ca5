#include "workloads/memory.h"

#include <algorithm>
#include <cmath>

#include "workloads/gating.h"

namespace moesim::workloads {

namespace {

// Bytes that grow with each request of the batch: its KV cache and its all-to-all buffers.
struct PerRequest {
  double kv_cache_bytes = 0;
  double activation_bytes = 0;
};

PerRequest per_request(const ModelSpec& model, const DecodeConfig& config) {
  const double dispatch =
      token_bytes(model.hidden, config.dispatch_bytes_per_element, config.dispatch_scale_factors);
  const double combine = token_bytes(model.hidden, config.combine_bytes_per_element, false);
  const double tokens_per_request = 1.0 + config.mtp_draft_tokens;
  return {static_cast<double>(config.context_tokens) * model.kv_cache_bytes_per_token() +
              model.state_bytes_per_request(),
          tokens_per_request * model.experts_per_token_count * (dispatch + combine)};
}

double weight_bytes(const ModelSpec& model, const DecodeConfig& config, double slots) {
  const double expert = model.routed_expert_parameters_each();
  const double mtp_routed =
      static_cast<double>(model.mtp_layers) * model.routed_expert_count * expert;
  const double mtp_trunk = model.mtp_parameters() - mtp_routed;
  // shared_trunk_parameters() holds the MTP trunk only when the publisher counts MTP in the total;
  // a GPU holds it exactly when it drafts.
  double trunk = model.shared_trunk_parameters();
  if (model.mtp_counted_in_total) trunk -= mtp_trunk;
  double layers_with_experts = model.moe_layer_count();
  if (config.mtp_draft_tokens > 0) {
    trunk += mtp_trunk;
    layers_with_experts += model.mtp_layers;
  }
  return trunk * model.weight_bytes_per_parameter +
         layers_with_experts * slots * expert * model.expert_weight_bytes_per_parameter;
}

}  // namespace

GpuMemory gpu_memory(const ModelSpec& model, const GpuSpec& gpu, const DecodeConfig& config) {
  GpuMemory memory;
  const std::uint32_t experts = model.routed_expert_count;
  const std::uint32_t gpus = std::max(1u, config.ep_size);
  memory.expert_slots = ExpertLayout::slots_per_gpu(experts, gpus, config.redundant_slots_per_gpu);
  memory.weight_bytes = weight_bytes(model, config, memory.expert_slots);
  const PerRequest request = per_request(model, config);
  memory.kv_cache_bytes = config.batch_per_gpu * request.kv_cache_bytes;
  memory.activation_bytes = config.batch_per_gpu * request.activation_bytes;
  memory.capacity_bytes = gpu.hbm_bytes;
  memory.reserved_bytes = config.memory_reserve_fraction * gpu.hbm_bytes;
  return memory;
}

std::uint32_t largest_batch_per_gpu(const ModelSpec& model, const GpuSpec& gpu,
                                    const DecodeConfig& config) {
  DecodeConfig probe = config;
  probe.batch_per_gpu = 0;
  const double free_bytes = gpu_memory(model, gpu, probe).headroom_bytes();
  const PerRequest request = per_request(model, config);
  const double per_request_bytes = request.kv_cache_bytes + request.activation_bytes;
  if (!(free_bytes >= 0) || !(per_request_bytes > 0)) return 0;
  constexpr double kMaxBatch = 1e9;
  auto batch =
      static_cast<std::uint32_t>(std::min(std::floor(free_bytes / per_request_bytes), kMaxBatch));
  // The division can be off by one ulp either way; settle it with the rule itself.
  auto fits = [&](std::uint32_t b) {
    probe.batch_per_gpu = b;
    return gpu_memory(model, gpu, probe).fits();
  };
  while (batch > 0 && !fits(batch)) --batch;
  while (batch < kMaxBatch && fits(batch + 1)) ++batch;
  return batch;
}

double max_parameters(double memory_bytes_per_gpu, double trunk_bytes_per_parameter,
                      double expert_bytes_per_parameter, double trunk_fraction, double gpus) {
  return memory_bytes_per_gpu / (trunk_bytes_per_parameter * trunk_fraction +
                                 expert_bytes_per_parameter * (1 - trunk_fraction) / gpus);
}

}  // namespace moesim::workloads
