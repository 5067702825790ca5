#include "workloads/compute.h"

#include <algorithm>
#include <cmath>
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

double attention_seconds(const KernelWork& work, const GpuSpec& gpu, double projection_peak,
                         const ComputeCosts& costs) {
  const AttentionCost& c = costs.attention;
  const double bandwidth = gpu.hbm_bandwidth_bytes_per_second;
  const bool fp8_core =
      work.core_at_fp8 && costs.fp8_kv_attention_at_fp8_peak && gpu.fp8_flops_per_second > 0;
  const double core_peak = fp8_core ? gpu.fp8_flops_per_second : gpu.bf16_flops_per_second;
  const double attention = std::max({work.kv_bytes / (c.kv_bandwidth_fraction * bandwidth),
                                     work.core_flops / (c.attention_flops_fraction * core_peak),
                                     c.seconds_per_context_token * work.context_tokens});
  return c.fixed_seconds + work.weight_bytes / bandwidth +
         work.projection_flops / (c.projection_flops_fraction * projection_peak) + attention;
}

double gemm_seconds(const GemmShape& g, const GpuSpec& gpu, const GemmCost& c) {
  // Weights once, BF16 activations in and out.
  const double bytes = g.n * g.k * g.weight_bytes_per_element + 2.0 * g.m * (g.k + g.n);
  const double flops = 2.0 * g.m * g.n * g.k;
  const double peak = gpu.peak_flops_for_weight_bytes(g.weight_bytes_per_element);
  return c.fixed_seconds + c.seconds_per_reduction_element * g.k +
         std::max(bytes / (c.bandwidth_fraction * gpu.hbm_bandwidth_bytes_per_second),
                  flops / (c.flops_fraction * peak));
}

double routed_expert_seconds(const KernelWork& work, const GpuSpec& gpu, double expert_peak,
                             const ExpertCost& c) {
  const double memory = work.active_slots * work.expert_bytes_each /
                        (c.bandwidth_fraction * gpu.hbm_bandwidth_bytes_per_second);
  const double compute =
      work.expert_flops_per_token * work.padded_tokens / (c.flops_fraction * expert_peak);
  const double p = c.norm_exponent;
  const double combined =
      memory + compute > 0 ? std::pow(std::pow(memory, p) + std::pow(compute, p), 1.0 / p) : 0.0;
  return c.fixed_seconds + c.seconds_per_local_expert * work.expert_slots + combined;
}

double padded_tokens(const std::vector<std::uint32_t>& tokens_per_slot, std::uint32_t tile_rows) {
  const std::uint64_t tile = std::max<std::uint32_t>(tile_rows, 1);
  std::uint64_t padded = 0;
  for (std::uint32_t n : tokens_per_slot) padded += (n + tile - 1) / tile * tile;
  return static_cast<double>(padded);
}

ComputeModel::ComputeModel(const ModelSpec& model, const GpuSpec& gpu, double efficiency,
                           const ComputeCosts* calibrated)
    : model_(model),
      gpu_(gpu),
      efficiency_(efficiency),
      calibrated_(calibrated),
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
  work.kind = KernelKind::Attention;
  work.weight_bytes = weights * model_.weight_bytes_per_parameter;
  work.kv_bytes =
      d(requests) * (d(context_tokens) * model_.kv_cache_bytes_per_token_in_layer(layer) +
                     model_.state_bytes_per_request() / d(model_.layers));
  work.bytes = work.weight_bytes + work.kv_bytes;
  work.flops_weight_peak = 2.0 * weights * tokens;
  work.flops_bf16 = tokens * attention_core_flops(model_, layer, context_tokens);
  work.projection_flops = work.flops_weight_peak;
  work.core_flops = work.flops_bf16;
  work.core_at_fp8 = model_.kv_cache_bytes_per_element <= 1.0;
  work.context_tokens = d(context_tokens);
  return work;
}

KernelWork ComputeModel::gemm_work(std::initializer_list<GemmShape> gemms) const {
  KernelWork work;
  work.kind = KernelKind::Gemms;
  for (const GemmShape& g : gemms) {
    if (g.n <= 0 || g.k <= 0) continue;
    work.gemms.at(work.gemm_count++) = g;
    // The roofline counts weights only, every FLOP at the trunk weights' peak.
    work.bytes += g.n * g.k * g.weight_bytes_per_element;
    work.flops_weight_peak += 2.0 * g.m * g.n * g.k;
  }
  return work;
}

KernelWork ComputeModel::dense_ffn(std::uint32_t tokens) const {
  const double w = model_.weight_bytes_per_parameter;
  const double m = d(tokens), h = model_.hidden, i = model_.dense_intermediate;
  return gemm_work({{m, 2 * i, h, w}, {m, h, i, w}});
}

KernelWork ComputeModel::shared_experts(std::uint32_t tokens) const {
  const double w = model_.weight_bytes_per_parameter;
  const double m = d(tokens), h = model_.hidden;
  const double width = d(model_.shared_expert_count) * model_.shared_expert_intermediate;
  // The shared experts of a layer as one GEMM pair (DeepSeek-V3: one of width 2048 -> gate_up
  // 4096 x 7168, down 7168 x 2048), and the router (experts x hidden; + 1 row for a shared-expert
  // gate).
  const double router_rows = model_.router_parameters() / h;
  return gemm_work({{m, 2 * width, h, w}, {m, h, width, w}, {m, router_rows, h, w}});
}

// Expert FLOPs run at the expert precision's peak (FP4 for V4 on Blackwell): for the roofline
// they are carried in flops_weight_peak scaled by trunk_peak / expert_peak, so seconds() needs a
// single trunk peak.
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
  work.kind = KernelKind::RoutedExperts;
  work.bytes = copies_used * weights * model_.expert_weight_bytes_per_parameter;
  work.flops_weight_peak = 2.0 * weights * tokens * (trunk_peak_ / expert_peak_);
  work.expert_slots = d(tokens_per_expert_copy.size());
  work.active_slots = copies_used;
  work.padded_tokens =
      padded_tokens(tokens_per_expert_copy, calibrated_ ? calibrated_->experts.tile_rows : 1);
  work.expert_bytes_each = weights * model_.expert_weight_bytes_per_parameter;
  work.expert_flops_per_token = 2.0 * weights;
  return work;
}

KernelWork ComputeModel::head(std::uint32_t tokens) const {
  // lm_head (or the tied embedding): vocab x hidden
  return gemm_work(
      {{d(tokens), d(model_.vocab), d(model_.hidden), model_.weight_bytes_per_parameter}});
}

KernelWork ComputeModel::mtp_projection(std::uint32_t tokens) const {
  const double h = model_.hidden;
  return gemm_work({{d(tokens), h, 2 * h, model_.weight_bytes_per_parameter}});
}

double ComputeModel::seconds(const KernelWork& work) const {
  if (calibrated_) {
    switch (work.kind) {
      case KernelKind::Attention:
        return attention_seconds(work, gpu_, trunk_peak_, *calibrated_);
      case KernelKind::RoutedExperts:
        return routed_expert_seconds(work, gpu_, expert_peak_, calibrated_->experts);
      case KernelKind::Gemms: {
        double total = 0;
        for (std::uint32_t i = 0; i < work.gemm_count; ++i)
          total += gemm_seconds(work.gemms[i], gpu_, calibrated_->gemm);
        return total;
      }
    }
  }
  const double memory = work.bytes / gpu_.hbm_bandwidth_bytes_per_second;
  const double compute =
      work.flops_weight_peak / trunk_peak_ + work.flops_bf16 / gpu_.bf16_flops_per_second;
  return std::max(memory, compute) / efficiency_;
}

}  // namespace moesim::workloads
