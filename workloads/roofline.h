#pragma once
// Compute time of the decode step's kernels on one GPU: a roofline
//   time = max(bytes / HBM bandwidth, FLOPs / peak) / efficiency
// where `efficiency` is the achieved fraction of the roofline (an assumption, documented in
// docs/workloads.md "Roofline"). Weights are read once per kernel; FLOPs are 2 per multiply-add.
#include <cstdint>
#include <vector>

#include "workloads/hardware.h"
#include "workloads/model.h"

namespace moesim::workloads {

struct KernelWork {
  double bytes = 0;              // HBM bytes read + written
  double flops_weight_peak = 0;  // matmul FLOPs at the weights' precision peak
  double flops_bf16 = 0;         // FLOPs at the BF16 peak (attention scores / values)
};

class ComputeModel {
 public:
  ComputeModel(const ModelSpec& model, const GpuSpec& gpu, double efficiency);

  // Decode attention of `layer` for `requests` requests, each with `context_tokens` cached tokens
  // and `tokens_per_request` new tokens (1 + MTP drafts): the attention weights once, the KV cache
  // of every request, the projections' FLOPs and the score/value FLOPs against the context.
  KernelWork attention(std::uint32_t layer, std::uint32_t requests,
                       std::uint32_t tokens_per_request, std::uint64_t context_tokens) const;
  KernelWork dense_ffn(std::uint32_t tokens) const;
  KernelWork shared_experts(std::uint32_t tokens) const;  // all shared experts + router
  // Grouped GEMM over the expert copies on one GPU: each copy with >= 1 token reads its weights
  // once.
  KernelWork routed_experts(const std::vector<std::uint32_t>& tokens_per_expert_copy) const;
  KernelWork head(std::uint32_t tokens) const;  // final norm + LM head (logits)
  // An MTP module's projection of [embedding; previous hidden state] (2 hidden -> hidden).
  KernelWork mtp_projection(std::uint32_t tokens) const;

  double seconds(const KernelWork& work) const;
  double efficiency() const { return efficiency_; }

 private:
  const ModelSpec& model_;
  const GpuSpec& gpu_;
  double efficiency_;
  double trunk_peak_;
  double expert_peak_;
};

}  // namespace moesim::workloads
