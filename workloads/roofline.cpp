#include "workloads/roofline.h"

#include <algorithm>
#include <stdexcept>

namespace moesim::workloads {
namespace {

double d(std::uint64_t value) {
  return static_cast<double>(value);
}

// Score + value FLOPs of one query token against `context` cached tokens in `layer`, per the
// attention kind (2 FLOPs per multiply-add):
//  MLA (weights absorbed, as FlashMLA decodes): heads x 2 x ctx x (latent + rope) for the scores
//  and
//    heads x 2 x ctx x latent for the values; with a DSA indexer the attention sees min(ctx, topk)
//    tokens and the indexer scores all ctx with indexer_heads x 2 x ctx x indexer_head_dim;
//  GQA: heads x 2 x ctx x head_dim, twice (scores and values);
//  hybrid linear layers: the recurrent state update and read, ~4 x head_dim^2 per value head;
//  V4: CSA layers attend min(ctx / 4, topk) compressed entries (+ the indexer over ctx / 4),
//    HCA layers ctx / 128, both plus the sliding window, with heads x 2 x entries x head_dim x 2.
double attention_core_flops(const ModelSpec& m, std::uint32_t layer, std::uint64_t context) {
  const AttentionSpec& a = m.attention;
  const double ctx = d(context);
  switch (a.kind) {
    case AttentionKind::Mla: {
      double seen = ctx;
      double indexer = 0;
      if (a.indexer_heads > 0) {
        seen = std::min(ctx, d(a.indexer_topk));
        indexer = d(a.indexer_heads) * 2.0 * ctx * d(a.indexer_head_dim);
      }
      return d(a.heads) * 2.0 * seen * d(2ull * a.kv_lora_rank + a.qk_rope_head_dim) + indexer;
    }
    case AttentionKind::Gqa:
      return d(a.heads) * 4.0 * ctx * d(a.head_dim);
    case AttentionKind::HybridLinear:
      if (m.is_full_attention_layer(layer)) return d(a.heads) * 4.0 * ctx * d(a.head_dim);
      return d(a.linear_value_heads) * 4.0 * d(a.linear_head_dim) * d(a.linear_head_dim);
    case AttentionKind::CompressedMqa: {
      const bool csa = layer < a.csa_layers;
      const double compressed = ctx / d(csa ? a.csa_compress_ratio : a.hca_compress_ratio);
      const double seen =
          (csa && a.indexer_topk > 0 ? std::min(compressed, d(a.indexer_topk)) : compressed) +
          std::min(ctx, d(a.sliding_window_tokens));
      const double indexer =
          csa ? d(a.indexer_heads) * 2.0 * compressed * d(a.indexer_head_dim) : 0.0;
      return d(a.heads) * 4.0 * seen * d(a.head_dim) + indexer;
    }
  }
  return 0;
}

}  // namespace

ComputeModel::ComputeModel(const ModelSpec& model, const GpuSpec& gpu, double efficiency)
    : model_(model),
      gpu_(gpu),
      efficiency_(efficiency),
      trunk_peak_(gpu.peak_flops_for_weight_bytes(model.weight_bytes_per_parameter)),
      expert_peak_(gpu.peak_flops_for_weight_bytes(model.expert_weight_bytes_per_parameter)) {
  if (!(efficiency > 0 && efficiency <= 1))
    throw std::invalid_argument("compute efficiency must be in (0, 1]");
  if (!(gpu.hbm_bandwidth_bytes_per_second > 0) || !(gpu.bf16_flops_per_second > 0))
    throw std::invalid_argument("GPU '" + gpu.name + "' needs HBM bandwidth and BF16 FLOP/s > 0");
}

KernelWork ComputeModel::attention(std::uint32_t layer, std::uint32_t requests,
                                   std::uint32_t tokens_per_request,
                                   std::uint64_t context_tokens) const {
  const double tokens = d(requests) * d(tokens_per_request);
  const double weights = model_.attention_parameters(layer);
  KernelWork work;
  work.bytes = weights * model_.weight_bytes_per_parameter +
               d(requests) * (d(context_tokens) * model_.kv_cache_bytes_per_token_in_layer(layer) +
                              model_.state_bytes_per_request() / d(model_.layers));
  work.flops_weight_peak = 2.0 * weights * tokens;
  work.flops_bf16 = tokens * attention_core_flops(model_, layer, context_tokens);
  return work;
}

KernelWork ComputeModel::dense_ffn(std::uint32_t tokens) const {
  const double weights = model_.dense_ffn_parameters();
  return {weights * model_.weight_bytes_per_parameter, 2.0 * weights * d(tokens), 0.0};
}

KernelWork ComputeModel::shared_experts(std::uint32_t tokens) const {
  const double weights = d(model_.shared_expert_count) * model_.shared_expert_parameters_each() +
                         model_.router_parameters();
  return {weights * model_.weight_bytes_per_parameter, 2.0 * weights * d(tokens), 0.0};
}

// Expert FLOPs run at the expert precision's peak (FP4 for V4 on Blackwell): they are carried in
// flops_weight_peak scaled by trunk_peak / expert_peak, so seconds() needs a single trunk peak.
KernelWork ComputeModel::routed_experts(
    const std::vector<std::uint32_t>& tokens_per_expert_copy) const {
  const double weights = model_.routed_expert_parameters_each();
  double copies_used = 0;
  double tokens = 0;
  for (std::uint32_t n : tokens_per_expert_copy) {
    if (n == 0) continue;
    copies_used += 1;
    tokens += d(n);
  }
  KernelWork work;
  work.bytes = copies_used * weights * model_.expert_weight_bytes_per_parameter;
  work.flops_weight_peak = 2.0 * weights * tokens * (trunk_peak_ / expert_peak_);
  return work;
}

KernelWork ComputeModel::head(std::uint32_t tokens) const {
  const double weights = model_.embedding_parameters();  // lm_head (or the tied embedding)
  return {weights * model_.weight_bytes_per_parameter, 2.0 * weights * d(tokens), 0.0};
}

KernelWork ComputeModel::mtp_projection(std::uint32_t tokens) const {
  const double hidden = model_.hidden;
  return {2.0 * hidden * hidden * model_.weight_bytes_per_parameter,
          4.0 * hidden * hidden * d(tokens), 0.0};
}

double ComputeModel::seconds(const KernelWork& work) const {
  const double memory = work.bytes / gpu_.hbm_bandwidth_bytes_per_second;
  const double compute =
      work.flops_weight_peak / trunk_peak_ + work.flops_bf16 / gpu_.bf16_flops_per_second;
  return std::max(memory, compute) / efficiency_;
}

}  // namespace moesim::workloads
