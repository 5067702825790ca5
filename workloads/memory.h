#pragma once
// Memory of one GPU in an expert-parallel decode layout: the one rule that the scenario loader
// (admission), the decode step (reported memory), `plan` and `compare` all use.
//
//   weights     = trunk (replicated on every GPU: embeddings, attention, routers, shared experts,
//                 dense layers, head) + slots_per_gpu routed experts in each MoE layer; with MTP
//                 drafting, also the MTP modules (their trunk, and slots_per_gpu experts each).
//                 slots_per_gpu = ceil(E / N) + redundant slots (the ExpertLayout rule).
//   KV cache    = batch x (context x KV bytes per token + per-request state)
//   activations = the all-to-all buffers of one step: batch x (1 + drafts) x top-k x
//                 (dispatch token bytes + combine token bytes)
//   reserve     = reserve_fraction x HBM (CUDA graphs, workspace, fragmentation)
//   headroom    = HBM - reserve - weights - KV cache - activations; a layout fits iff headroom >=
//   0.
//
// The largest model (the article's P_max). Split P parameters into a shared trunk (fraction d),
// which every GPU of an N-GPU expert-parallel group holds whole, and routed experts (1 - d), spread
// evenly over the N GPUs. With b_t and b_e bytes per trunk and expert parameter, one GPU holds
//     b_t d P + b_e (1 - d) P / N   bytes.
// Setting that equal to one GPU's memory M gives
//     P_max = M / (b_t d + b_e (1 - d) / N),
// which approaches M / (b_t d) as N grows: the trunk, not the expert count, caps the model. Keeping
// a fraction r of memory for KV cache and activations leaves (1 - r) P_max.
#include <cstdint>

#include "workloads/decode_config.h"
#include "workloads/hardware.h"
#include "workloads/model.h"

namespace moesim::workloads {

struct GpuMemory {
  double weight_bytes = 0;
  double kv_cache_bytes = 0;
  double activation_bytes = 0;
  double reserved_bytes = 0;
  double capacity_bytes = 0;  // HBM
  std::uint32_t expert_slots = 0;
  double used_bytes() const { return weight_bytes + kv_cache_bytes + activation_bytes; }
  double headroom_bytes() const { return capacity_bytes - reserved_bytes - used_bytes(); }
  bool fits() const { return headroom_bytes() >= 0; }
};

// Memory per GPU for `config` (its EP size, redundant slots, batch, context, MTP drafts, wire
// precisions and memory_reserve_fraction).
GpuMemory gpu_memory(const ModelSpec& model, const GpuSpec& gpu, const DecodeConfig& config);

// The largest batch per GPU that fits (exactly: it fits and one more request does not); 0 if not
// even one request fits. `config.batch_per_gpu` is ignored.
std::uint32_t largest_batch_per_gpu(const ModelSpec& model, const GpuSpec& gpu,
                                    const DecodeConfig& config);

// P_max (formula above), in parameters.
double max_parameters(double memory_bytes_per_gpu, double trunk_bytes_per_parameter,
                      double expert_bytes_per_parameter, double trunk_fraction, double gpus);

}  // namespace moesim::workloads
