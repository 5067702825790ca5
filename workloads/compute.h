#pragma once
// Compute time of the decode step's kernels on one GPU, by one of two models (docs/workloads.md
// "Compute"):
//
// * roofline: time = max(bytes / HBM bandwidth, FLOPs / peak) / efficiency, `efficiency` an
//   assumption (kDefaultComputeEfficiency);
// * calibrated: per-operation forms whose few parameters are fitted to measured kernel times per
//   GPU generation (calibration/compute_fit.h, configs/validation/compute-calibration.yaml):
//     attention module  c0 + W/BW + Fp/(f_p P_w) + max(KV/(f_kv BW), Fa/(f_att P_att), k_s ctx)
//     routed experts    c0 + k_L L + ((E Wexp/(f_bw BW))^p + (2 Pexp Npad/(f_fl P_exp))^p)^(1/p)
//     each dense GEMM   c0 + k_K K + max(bytes/(f_bw BW), flops/(f_fl P))
//   W attention weight bytes, KV the requests' cache bytes, Fp projection FLOPs, Fa score/value
//   FLOPs, ctx the KV length of one request; L expert slots on the GPU, E slots with >= 1 token,
//   Npad the tokens padded to whole tiles of `tile_rows` per slot; K a GEMM's reduction depth.
//
// A KernelWork carries both views of one kernel: the roofline's bytes and FLOPs, and the
// calibrated forms' features. Weights are read once per kernel; FLOPs are 2 per multiply-add.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/hardware.h"
#include "workloads/model.h"

namespace moesim::workloads {

// ---- the calibrated forms' parameters (fitted per GPU generation) ----
struct AttentionCost {
  double fixed_seconds = 0;              // c0: the module's ~10 kernel launches
  double projection_flops_fraction = 1;  // f_p of the weights' peak
  double kv_bandwidth_fraction = 1;      // f_kv of HBM bandwidth
  double attention_flops_fraction = 1;   // f_att of the score/value peak
  double seconds_per_context_token = 0;  // k_s: one request's serial KV stream
};
struct GemmCost {
  double fixed_seconds = 0;                  // c0: launch + activation quantisation
  double seconds_per_reduction_element = 0;  // k_K: the serial K loop of a decode-size GEMM
  double bandwidth_fraction = 1;             // f_bw of HBM bandwidth
  double flops_fraction = 1;                 // f_fl of the weights' peak
};
struct ExpertCost {
  double fixed_seconds = 0;             // c0
  double seconds_per_local_expert = 0;  // k_L: per expert slot on the GPU, active or not
  double bandwidth_fraction = 1;        // f_bw
  double flops_fraction = 1;            // f_fl of the expert precision's peak
  double norm_exponent = 1;             // p >= 1: 1 = sum, large = max
  std::uint32_t tile_rows = 64;         // tokens per slot are padded to whole M tiles
};
// One generation's fitted set, as the decode step applies it.
struct ComputeCosts {
  std::string generation;  // "hopper", "blackwell"
  AttentionCost attention;
  GemmCost gemm;
  ExpertCost experts;
  // FP8 KV cache: the attention kernel runs its score/value MMAs at the FP8 peak (Blackwell's
  // TRT-LLM kernels do; Hopper's run them at BF16).
  bool fp8_kv_attention_at_fp8_peak = false;
};

// One dense GEMM y = x W^T: M tokens, weight N x K.
struct GemmShape {
  double m = 0, n = 0, k = 0;
  double weight_bytes_per_element = 1;
};

enum class KernelKind : std::uint8_t { Attention, Gemms, RoutedExperts };

struct KernelWork {
  // ---- roofline view ----
  double bytes = 0;              // HBM bytes read + written
  double flops_weight_peak = 0;  // matmul FLOPs at the weights' precision peak
  double flops_bf16 = 0;         // FLOPs at the BF16 peak (attention scores / values)

  // ---- calibrated view ----
  KernelKind kind = KernelKind::Gemms;
  // Attention
  double weight_bytes = 0;
  double kv_bytes = 0;
  double projection_flops = 0;  // at the trunk weights' peak
  double core_flops = 0;        // score/value FLOPs
  bool core_at_fp8 = false;     // FP8 KV cache (peak per ComputeCosts)
  double context_tokens = 0;    // one request's KV length
  // Gemms
  std::array<GemmShape, 4> gemms{};
  std::uint32_t gemm_count = 0;
  // RoutedExperts
  double expert_slots = 0;            // L
  double active_slots = 0;            // E
  double padded_tokens = 0;           // Npad (tile_rows of the costs; set by routed_experts)
  double expert_bytes_each = 0;       // Wexp
  double expert_flops_per_token = 0;  // 2 x parameters of one expert
};

// The calibrated forms on their own (the fit and the decode step use the same code).
double attention_seconds(const KernelWork& work, const GpuSpec& gpu, double projection_peak,
                         const ComputeCosts& costs);
double gemm_seconds(const GemmShape& gemm, const GpuSpec& gpu, const GemmCost& cost);
double routed_expert_seconds(const KernelWork& work, const GpuSpec& gpu, double expert_peak,
                             const ExpertCost& cost);
// Tokens padded to whole tiles of `tile_rows` per expert slot.
double padded_tokens(const std::vector<std::uint32_t>& tokens_per_slot, std::uint32_t tile_rows);

class ComputeModel {
 public:
  // The roofline at `efficiency`; with `calibrated`, the fitted forms instead (the pointer must
  // outlive the model).
  ComputeModel(const ModelSpec& model, const GpuSpec& gpu, double efficiency,
               const ComputeCosts* calibrated = nullptr);

  // Decode attention of `layer` for `requests` requests, each with `context_tokens` cached tokens
  // and `tokens_per_request` new tokens (1 + MTP drafts): the attention weights once, the KV cache
  // of every request, the projections' FLOPs and the score/value FLOPs against the context.
  KernelWork attention(std::uint32_t layer, std::uint32_t requests,
                       std::uint32_t tokens_per_request, std::uint64_t context_tokens) const;
  KernelWork dense_ffn(std::uint32_t tokens) const;       // gate_up + down
  KernelWork shared_experts(std::uint32_t tokens) const;  // all shared experts + router
  // Grouped GEMM over the expert copies on one GPU: each copy with >= 1 token reads its weights
  // once.
  KernelWork routed_experts(const std::vector<std::uint32_t>& tokens_per_expert_copy) const;
  KernelWork head(std::uint32_t tokens) const;  // final norm + LM head (logits)
  // An MTP module's projection of [embedding; previous hidden state] (2 hidden -> hidden).
  KernelWork mtp_projection(std::uint32_t tokens) const;

  double seconds(const KernelWork& work) const;
  double efficiency() const { return efficiency_; }
  const ComputeCosts* calibrated() const { return calibrated_; }

 private:
  KernelWork gemm_work(std::initializer_list<GemmShape> gemms) const;

  const ModelSpec& model_;
  const GpuSpec& gpu_;
  double efficiency_;
  const ComputeCosts* calibrated_;
  double trunk_peak_;
  double expert_peak_;
};

}  // namespace moesim::workloads
