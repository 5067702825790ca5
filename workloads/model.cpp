#include "workloads/model.h"

#include <cmath>
#include <string>

#include "input/mapping.h"

namespace moesim::workloads {
namespace {

double d(std::uint32_t value) {
  return static_cast<double>(value);
}

// Parameters of one GQA (full-attention) block: q (x2 with an output gate), k, v, o, optional
// biases and q/k norms.
double gqa_parameters(const ModelSpec& m) {
  const AttentionSpec& a = m.attention;
  const double q_width = d(a.heads) * d(a.head_dim);
  const double kv_width = d(a.kv_heads) * d(a.head_dim);
  double p = d(m.hidden) * q_width * (a.output_gate ? 2.0 : 1.0);  // q_proj (+ gate)
  p += 2.0 * d(m.hidden) * kv_width;                               // k_proj, v_proj
  p += q_width * d(m.hidden);                                      // o_proj
  if (a.qkv_bias) p += q_width + 2.0 * kv_width;
  if (a.qk_norm) p += 2.0 * d(a.head_dim);
  return p;
}

// DSA lightning indexer (DeepSeek-V3.2 / GLM-5): wq_b (q_lora -> heads x dim), wk (hidden -> dim),
// k_norm (LayerNorm weight + bias) and the per-head weights projection (hidden -> heads).
double indexer_parameters(const ModelSpec& m) {
  const AttentionSpec& a = m.attention;
  if (a.indexer_heads == 0) return 0;
  const double q_source = a.q_lora_rank > 0 ? d(a.q_lora_rank) : d(m.hidden);
  return q_source * d(a.indexer_heads) * d(a.indexer_head_dim) +
         d(m.hidden) * d(a.indexer_head_dim) + 2.0 * d(a.indexer_head_dim) +
         d(m.hidden) * d(a.indexer_heads);
}

// The query path shared by MLA and V4: low-rank q_a (+ norm) then q_b, or one full-rank matrix.
double low_rank_query(const ModelSpec& m, double query_width) {
  const AttentionSpec& a = m.attention;
  if (a.q_lora_rank == 0) return d(m.hidden) * query_width;
  return d(m.hidden) * d(a.q_lora_rank) + d(a.q_lora_rank) + d(a.q_lora_rank) * query_width;
}

// MLA: q (low rank), kv_a_proj_with_mqa (hidden -> latent + rope key) + kv_a norm, kv_b (latent ->
// per-head no-rope key and value), o_proj, plus the DSA indexer when present.
double mla_parameters(const ModelSpec& m) {
  const AttentionSpec& a = m.attention;
  double p = low_rank_query(m, d(a.heads) * d(a.qk_nope_head_dim + a.qk_rope_head_dim));
  p += d(m.hidden) * d(a.kv_lora_rank + a.qk_rope_head_dim) + d(a.kv_lora_rank);
  p += d(a.kv_lora_rank) * d(a.heads) * d(a.qk_nope_head_dim + a.v_head_dim);
  p += d(a.heads) * d(a.v_head_dim) * d(m.hidden);
  return p + indexer_parameters(m);
}

// Gated DeltaNet (Qwen3-Next / Qwen3.5 linear attention): in_proj_qkvz (q, k of key heads; v, z of
// value heads), in_proj_ba (beta, alpha per value head), the causal conv over q, k, v, A_log and
// dt_bias per value head, the gated RMSNorm (one head_dim vector) and out_proj.
double gated_delta_net_parameters(const ModelSpec& m) {
  const AttentionSpec& a = m.attention;
  const double key_width = d(a.linear_key_heads) * d(a.linear_head_dim);
  const double value_width = d(a.linear_value_heads) * d(a.linear_head_dim);
  double p = d(m.hidden) * (2.0 * key_width + 2.0 * value_width);
  p += d(m.hidden) * 2.0 * d(a.linear_value_heads);
  p += (2.0 * key_width + value_width) * d(a.linear_conv_kernel);
  p += 2.0 * d(a.linear_value_heads) + d(a.linear_head_dim);
  p += value_width * d(m.hidden);
  return p;
}

// DeepSeek-V4 compressed attention (approximation, docs/workloads.md): low-rank query to heads x
// head_dim, one shared K/V projection hidden -> head_dim (+ norm), grouped low-rank output
// (wo_a: each of o_groups groups maps heads/o_groups x head_dim -> o_lora; wo_b: o_groups x o_lora
// -> hidden), a KV compressor (kv and gate projections hidden -> head_dim) on compressed layers,
// and the indexer on CSA layers.
double compressed_mqa_parameters(const ModelSpec& m, bool csa_layer) {
  const AttentionSpec& a = m.attention;
  double p = low_rank_query(m, d(a.heads) * d(a.head_dim));
  p += d(m.hidden) * d(a.head_dim) + d(a.head_dim);
  p += d(a.heads) * d(a.head_dim) * d(a.o_lora_rank);
  p += d(a.o_groups) * d(a.o_lora_rank) * d(m.hidden);
  p += 2.0 * d(m.hidden) * d(a.head_dim);
  if (csa_layer) p += indexer_parameters(m);
  return p;
}

ActiveConvention parse_convention(const input::Mapping& map, std::string_view key) {
  const std::string text = map.string(key);
  if (text == "all") return ActiveConvention::All;
  if (text == "excluding-input-embedding") return ActiveConvention::ExcludingInputEmbedding;
  if (text == "excluding-embedding-and-head") return ActiveConvention::ExcludingEmbeddingAndHead;
  map.fail(key, "expected all | excluding-input-embedding | excluding-embedding-and-head, got '" +
                    text + "'");
}

AttentionKind parse_attention_kind(const input::Mapping& map, std::string_view key) {
  const std::string text = map.string(key);
  if (text == "mla") return AttentionKind::Mla;
  if (text == "gqa") return AttentionKind::Gqa;
  if (text == "hybrid-linear") return AttentionKind::HybridLinear;
  if (text == "compressed-mqa") return AttentionKind::CompressedMqa;
  map.fail(key, "expected mla | gqa | hybrid-linear | compressed-mqa, got '" + text + "'");
}

std::uint32_t count(const input::Mapping& map, std::string_view key, std::int64_t fallback) {
  const std::int64_t value = map.integer_or(key, fallback);
  if (value < 0 || value > 100'000'000) map.fail(key, "must be a non-negative count");
  return static_cast<std::uint32_t>(value);
}

// Bytes per weight or cached element: FP4 = 0.5 to FP64 = 8, with room; finite by Mapping.
double positive_number(const input::Mapping& map, std::string_view key, double fallback) {
  const double value = map.number_or(key, fallback);
  if (!(value > 0 && value <= 16)) map.fail(key, "must be > 0 and <= 16");
  return value;
}

AttentionSpec load_attention(const input::Mapping& map) {
  map.expect_only({"kind",
                   "heads",
                   "kv_heads",
                   "head_dim",
                   "qk_norm",
                   "qkv_bias",
                   "output_gate",
                   "q_lora_rank",
                   "kv_lora_rank",
                   "qk_nope_head_dim",
                   "qk_rope_head_dim",
                   "v_head_dim",
                   "indexer_heads",
                   "indexer_head_dim",
                   "indexer_topk",
                   "full_attention_interval",
                   "linear_key_heads",
                   "linear_value_heads",
                   "linear_head_dim",
                   "linear_conv_kernel",
                   "o_lora_rank",
                   "o_groups",
                   "csa_layers",
                   "csa_compress_ratio",
                   "hca_compress_ratio",
                   "sliding_window_tokens"});
  AttentionSpec a;
  a.kind = parse_attention_kind(map, "kind");
  a.heads = count(map, "heads", 0);
  a.kv_heads = count(map, "kv_heads", a.heads);
  a.head_dim = count(map, "head_dim", 0);
  a.qk_norm = map.boolean_or("qk_norm", false);
  a.qkv_bias = map.boolean_or("qkv_bias", false);
  a.output_gate = map.boolean_or("output_gate", false);
  a.q_lora_rank = count(map, "q_lora_rank", 0);
  a.kv_lora_rank = count(map, "kv_lora_rank", 0);
  a.qk_nope_head_dim = count(map, "qk_nope_head_dim", 0);
  a.qk_rope_head_dim = count(map, "qk_rope_head_dim", 0);
  a.v_head_dim = count(map, "v_head_dim", 0);
  a.indexer_heads = count(map, "indexer_heads", 0);
  a.indexer_head_dim = count(map, "indexer_head_dim", 0);
  a.indexer_topk = count(map, "indexer_topk", 0);
  a.full_attention_interval = count(map, "full_attention_interval", 0);
  a.linear_key_heads = count(map, "linear_key_heads", 0);
  a.linear_value_heads = count(map, "linear_value_heads", 0);
  a.linear_head_dim = count(map, "linear_head_dim", 0);
  a.linear_conv_kernel = count(map, "linear_conv_kernel", 0);
  a.o_lora_rank = count(map, "o_lora_rank", 0);
  a.o_groups = count(map, "o_groups", 0);
  a.csa_layers = count(map, "csa_layers", 0);
  a.csa_compress_ratio = count(map, "csa_compress_ratio", 0);
  a.hca_compress_ratio = count(map, "hca_compress_ratio", 0);
  a.sliding_window_tokens = count(map, "sliding_window_tokens", 0);
  if (a.heads == 0) map.fail("heads", "must be > 0");
  switch (a.kind) {
    case AttentionKind::Mla:
      if (a.kv_lora_rank == 0 || a.qk_rope_head_dim == 0 || a.v_head_dim == 0)
        map.fail("MLA needs kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim and v_head_dim");
      break;
    case AttentionKind::Gqa:
      if (a.head_dim == 0 || a.kv_heads == 0) map.fail("GQA needs head_dim and kv_heads");
      break;
    case AttentionKind::HybridLinear:
      if (a.head_dim == 0 || a.full_attention_interval == 0 || a.linear_value_heads == 0 ||
          a.linear_head_dim == 0)
        map.fail("hybrid-linear needs head_dim, full_attention_interval, linear_* fields");
      break;
    case AttentionKind::CompressedMqa:
      if (a.head_dim == 0 || a.o_groups == 0 || a.csa_compress_ratio == 0 ||
          a.hca_compress_ratio == 0)
        map.fail("compressed-mqa needs head_dim, o_groups, csa/hca compress ratios");
      break;
  }
  return a;
}

}  // namespace

double ModelSpec::embedding_parameters() const {
  return d(vocab) * d(hidden);
}
double ModelSpec::head_parameters() const {
  return tied_embeddings ? 0.0 : embedding_parameters();
}

bool ModelSpec::is_full_attention_layer(std::uint32_t layer) const {
  if (attention.kind != AttentionKind::HybridLinear) return true;
  return (layer + 1) % attention.full_attention_interval == 0;  // layers 3, 7, 11, ... (0-based)
}

double ModelSpec::attention_parameters(std::uint32_t layer) const {
  const double block_norms = 2.0 * d(hidden);  // input and post-attention RMSNorm
  switch (attention.kind) {
    case AttentionKind::Mla:
      return mla_parameters(*this) + block_norms;
    case AttentionKind::Gqa:
      return gqa_parameters(*this) + block_norms;
    case AttentionKind::HybridLinear:
      return (is_full_attention_layer(layer) ? gqa_parameters(*this)
                                             : gated_delta_net_parameters(*this)) +
             block_norms;
    case AttentionKind::CompressedMqa:
      return compressed_mqa_parameters(*this, layer < attention.csa_layers) + block_norms;
  }
  return 0;
}

double ModelSpec::attention_parameters_total() const {
  double sum = 0;
  for (std::uint32_t layer = 0; layer < layers; ++layer) sum += attention_parameters(layer);
  return sum;
}

double ModelSpec::dense_ffn_parameters() const {
  return 3.0 * d(hidden) * d(dense_intermediate);
}
double ModelSpec::routed_expert_parameters_each() const {
  return 3.0 * d(hidden) * d(expert_intermediate);
}
double ModelSpec::shared_expert_parameters_each() const {
  return 3.0 * d(hidden) * d(shared_expert_intermediate);
}
double ModelSpec::router_parameters() const {
  return d(routed_expert_count) * d(hidden) + (shared_expert_gate ? d(hidden) : 0.0);
}

// One MTP module (DeepSeek-V3 sec. 2.2): two RMSNorms on the inputs, the projection
// [h; emb] (2 hidden -> hidden), one MoE block and its final norm; embedding and head are shared
// with the main model.
double ModelSpec::mtp_parameters() const {
  const double block = attention_parameters(layers - 1) + router_parameters() +
                       d(routed_expert_count) * routed_expert_parameters_each() +
                       d(shared_expert_count) * shared_expert_parameters_each();
  const double projection = 2.0 * d(hidden) * d(hidden) + 3.0 * d(hidden);
  return d(mtp_layers) * (block + projection);
}

double ModelSpec::routed_expert_parameters() const {
  return d(moe_layer_count()) * d(routed_expert_count) * routed_expert_parameters_each() +
         (mtp_counted_in_total
              ? d(mtp_layers) * d(routed_expert_count) * routed_expert_parameters_each()
              : 0.0);
}

double ModelSpec::shared_trunk_parameters() const {
  double trunk = embedding_parameters() + head_parameters() + d(hidden);  // + final norm
  trunk += attention_parameters_total();
  trunk += d(dense_layers) * dense_ffn_parameters();
  trunk += d(moe_layer_count()) *
           (router_parameters() + d(shared_expert_count) * shared_expert_parameters_each());
  if (mtp_counted_in_total)
    trunk +=
        mtp_parameters() - d(mtp_layers) * d(routed_expert_count) * routed_expert_parameters_each();
  return trunk;
}

double ModelSpec::total_parameters() const {
  return shared_trunk_parameters() + routed_expert_parameters();
}

// Active per token: everything but the routed experts, plus top-k routed experts per MoE layer;
// MTP modules are not part of the main model's forward pass and never count as active.
double ModelSpec::active_parameters() const {
  double active = shared_trunk_parameters();
  if (mtp_counted_in_total)
    active -=
        mtp_parameters() - d(mtp_layers) * d(routed_expert_count) * routed_expert_parameters_each();
  active += d(moe_layer_count()) * d(experts_per_token_count) * routed_expert_parameters_each();
  switch (active_convention) {
    case ActiveConvention::All:
      break;
    case ActiveConvention::ExcludingInputEmbedding:
      active -= embedding_parameters();
      break;
    case ActiveConvention::ExcludingEmbeddingAndHead:
      active -= embedding_parameters() + head_parameters();
      break;
  }
  return active;
}

// KV elements cached per token in one layer:
//  MLA: the compressed latent (kv_lora_rank) plus the decoupled rope key (qk_rope_head_dim), plus
//       the DSA indexer's key (indexer_head_dim) when present;
//  GQA: K and V of every KV head: 2 x kv_heads x head_dim;
//  hybrid: GQA on full-attention layers, nothing per token on linear layers (their state is per
//       request, see state_bytes_per_request);
//  V4: head_dim per compressed entry: one entry per csa_compress_ratio tokens on CSA layers (plus
//       the indexer key at the same ratio), one per hca_compress_ratio tokens on HCA layers.
double ModelSpec::kv_cache_bytes_per_token_in_layer(std::uint32_t layer) const {
  const AttentionSpec& a = attention;
  double elements = 0;
  switch (a.kind) {
    case AttentionKind::Mla:
      elements = d(a.kv_lora_rank + a.qk_rope_head_dim) +
                 (a.indexer_heads > 0 ? d(a.indexer_head_dim) : 0.0);
      break;
    case AttentionKind::Gqa:
      elements = 2.0 * d(a.kv_heads) * d(a.head_dim);
      break;
    case AttentionKind::HybridLinear:
      elements = is_full_attention_layer(layer) ? 2.0 * d(a.kv_heads) * d(a.head_dim) : 0.0;
      break;
    case AttentionKind::CompressedMqa:
      elements = layer < a.csa_layers
                     ? (d(a.head_dim) + d(a.indexer_head_dim)) / d(a.csa_compress_ratio)
                     : d(a.head_dim) / d(a.hca_compress_ratio);
      break;
  }
  return elements * kv_cache_bytes_per_element;
}

double ModelSpec::kv_cache_bytes_per_token() const {
  double sum = 0;
  for (std::uint32_t layer = 0; layer < layers; ++layer)
    sum += kv_cache_bytes_per_token_in_layer(layer);
  return sum;
}

// Hybrid: each linear layer keeps, per value head, a head_dim x head_dim recurrent state plus the
// conv cache ((conv_kernel - 1) x conv width); V4: the sliding window of uncompressed KV
// (sliding_window_tokens x head_dim) on every layer. Both at kv_cache_bytes_per_element.
double ModelSpec::state_bytes_per_request() const {
  const AttentionSpec& a = attention;
  double elements = 0;
  if (a.kind == AttentionKind::HybridLinear) {
    const double key_width = d(a.linear_key_heads) * d(a.linear_head_dim);
    const double value_width = d(a.linear_value_heads) * d(a.linear_head_dim);
    const double per_layer = d(a.linear_value_heads) * d(a.linear_head_dim) * d(a.linear_head_dim) +
                             (d(a.linear_conv_kernel) - 1.0) * (2.0 * key_width + value_width);
    for (std::uint32_t layer = 0; layer < layers; ++layer)
      if (!is_full_attention_layer(layer)) elements += per_layer;
  } else if (a.kind == AttentionKind::CompressedMqa) {
    elements = d(layers) * d(a.sliding_window_tokens) * d(a.head_dim);
  }
  return elements * kv_cache_bytes_per_element;
}

ModelSpec load_model(const input::Mapping& map) {
  map.expect_only({"name",
                   "source",
                   "notes",
                   "layers",
                   "dense_layers",
                   "hidden_size",
                   "dense_intermediate_size",
                   "expert_intermediate_size",
                   "shared_expert_intermediate_size",
                   "routed_experts",
                   "shared_experts",
                   "experts_per_token",
                   "expert_groups",
                   "groups_per_token",
                   "shared_expert_gate",
                   "vocab_size",
                   "tied_embeddings",
                   "mtp_layers",
                   "mtp_counted_in_total",
                   "attention",
                   "weight_bytes_per_parameter",
                   "expert_weight_bytes_per_parameter",
                   "kv_cache_bytes_per_element",
                   "active_parameter_convention",
                   "published_total_parameters_billions",
                   "published_active_parameters_billions"});
  ModelSpec m;
  m.name = map.string("name");
  m.source = map.string("source");
  m.layers = count(map, "layers", 0);
  m.dense_layers = count(map, "dense_layers", 0);
  m.hidden = count(map, "hidden_size", 0);
  m.dense_intermediate = count(map, "dense_intermediate_size", 0);
  m.expert_intermediate = count(map, "expert_intermediate_size", 0);
  m.shared_expert_intermediate =
      count(map, "shared_expert_intermediate_size", m.expert_intermediate);
  m.routed_expert_count = count(map, "routed_experts", 0);
  m.shared_expert_count = count(map, "shared_experts", 0);
  m.experts_per_token_count = count(map, "experts_per_token", 0);
  m.expert_groups = count(map, "expert_groups", 1);
  m.groups_per_token = count(map, "groups_per_token", m.expert_groups);
  m.shared_expert_gate = map.boolean_or("shared_expert_gate", false);
  m.vocab = count(map, "vocab_size", 0);
  m.tied_embeddings = map.boolean_or("tied_embeddings", false);
  m.mtp_layers = count(map, "mtp_layers", 0);
  m.mtp_counted_in_total = map.boolean_or("mtp_counted_in_total", false);
  m.attention = load_attention(map.map("attention"));
  m.weight_bytes_per_parameter = positive_number(map, "weight_bytes_per_parameter", 1);
  m.expert_weight_bytes_per_parameter =
      positive_number(map, "expert_weight_bytes_per_parameter", m.weight_bytes_per_parameter);
  m.kv_cache_bytes_per_element = positive_number(map, "kv_cache_bytes_per_element", 2);
  m.active_convention = parse_convention(map, "active_parameter_convention");
  m.published_total_parameters = map.number_or("published_total_parameters_billions", 0) * 1e9;
  m.published_active_parameters = map.number_or("published_active_parameters_billions", 0) * 1e9;
  for (const char* key :
       {"published_total_parameters_billions", "published_active_parameters_billions"})
    if (!(map.number_or(key, 0) >= 0 && map.number_or(key, 0) <= 1e9))
      map.fail(key, "must be a count of billions from 0 to 1e9");

  // The decode step numbers layers in 16 bits; the largest models have about a hundred.
  if (m.layers == 0 || m.layers > 65'535) map.fail("layers", "must be from 1 to 65,535");
  if (m.dense_layers > m.layers) map.fail("dense_layers", "exceeds layers");
  if (m.hidden == 0) map.fail("hidden_size", "must be > 0");
  if (m.vocab == 0) map.fail("vocab_size", "must be > 0");
  if (m.dense_layers > 0 && m.dense_intermediate == 0)
    map.fail("dense_intermediate_size", "required when dense_layers > 0");
  if (m.moe_layer_count() > 0) {
    if (m.routed_expert_count == 0) map.fail("routed_experts", "must be > 0");
    if (m.expert_intermediate == 0) map.fail("expert_intermediate_size", "must be > 0");
    if (m.experts_per_token_count == 0 || m.experts_per_token_count > m.routed_expert_count)
      map.fail("experts_per_token", "must be in 1 .. routed_experts");
    if (m.expert_groups == 0 || m.routed_expert_count % m.expert_groups != 0)
      map.fail("expert_groups", "must divide routed_experts");
    if (m.groups_per_token == 0 || m.groups_per_token > m.expert_groups)
      map.fail("groups_per_token", "must be in 1 .. expert_groups");
    if (static_cast<std::uint64_t>(m.groups_per_token) * (m.routed_expert_count / m.expert_groups) <
        m.experts_per_token_count)
      map.fail("groups_per_token", "the chosen groups hold fewer experts than experts_per_token");
  }
  if (m.attention.kind == AttentionKind::CompressedMqa && m.attention.csa_layers > m.layers)
    map.fail("attention", "csa_layers exceeds layers");
  return m;
}

ModelSpec load_model_file(const std::string& path) {
  return load_model(input::Mapping::load_file(path));
}

}  // namespace moesim::workloads
