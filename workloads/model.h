#pragma once
// MoE model architectures (configs/models/*.yaml) and the parameter / KV-cache arithmetic derived
// from them. Every count below is computed from the architecture fields, never copied from a
// published total; the published totals are kept only to test the derivation against
// (tests/workloads/model_test.cpp). Formulas: docs/workloads.md "Parameter derivation".
#include <cstdint>
#include <string>

namespace moesim::input {
class Mapping;
}

namespace moesim::workloads {

enum class AttentionKind : std::uint8_t {
  Mla,           // DeepSeek multi-head latent attention (optionally with a DSA sparse indexer)
  Gqa,           // grouped-query attention (K/V heads <= query heads)
  HybridLinear,  // Qwen3.5: Gated DeltaNet linear attention, one full GQA layer every N layers
  CompressedMqa  // DeepSeek-V4: shared-KV MQA over compressed KV (CSA / HCA) + sliding window
};

// Which parameters the publisher counts as "active" (the conventions differ between labs; each
// model file states the one that reproduces its published figure, see docs/workloads.md).
enum class ActiveConvention : std::uint8_t {
  All,                      // every parameter touched per token, embeddings included
  ExcludingInputEmbedding,  // the input embedding is a table lookup, not a matmul
  ExcludingEmbeddingAndHead
};

struct AttentionSpec {
  AttentionKind kind = AttentionKind::Gqa;
  std::uint32_t heads = 0;     // query heads
  std::uint32_t kv_heads = 0;  // GQA / full-attention K/V heads
  std::uint32_t head_dim = 0;  // GQA / full attention / V4 shared-KV head size
  bool qk_norm = false;        // per-head RMSNorm on q and k (2 x head_dim parameters)
  bool qkv_bias = false;       // biases on q, k, v projections
  bool output_gate = false;    // gated attention: q_proj also produces a sigmoid gate (Qwen3-Next)
  // MLA (and V4's query path)
  std::uint32_t q_lora_rank = 0;  // 0 = full-rank q projection
  std::uint32_t kv_lora_rank = 0;
  std::uint32_t qk_nope_head_dim = 0;
  std::uint32_t qk_rope_head_dim = 0;
  std::uint32_t v_head_dim = 0;
  // DSA / lightning indexer (DeepSeek-V3.2, GLM-5, V4's CSA layers); 0 heads = none
  std::uint32_t indexer_heads = 0;
  std::uint32_t indexer_head_dim = 0;
  std::uint32_t indexer_topk = 0;  // tokens attended per query when the indexer is active
  // Hybrid linear attention (Qwen3.5)
  std::uint32_t full_attention_interval = 0;  // one full-attention layer every N layers
  std::uint32_t linear_key_heads = 0;
  std::uint32_t linear_value_heads = 0;
  std::uint32_t linear_head_dim = 0;
  std::uint32_t linear_conv_kernel = 0;
  // Compressed attention (DeepSeek-V4)
  std::uint32_t o_lora_rank = 0;
  std::uint32_t o_groups = 0;
  std::uint32_t csa_layers = 0;  // layers with compress-4 attention + indexer; the rest are HCA
  std::uint32_t csa_compress_ratio = 0;
  std::uint32_t hca_compress_ratio = 0;
  std::uint32_t sliding_window_tokens = 0;
};

struct ModelSpec {
  std::string name;    // "DeepSeek-V3"
  std::string source;  // the file's top-level citation

  std::uint32_t layers = 0;        // transformer blocks, MTP excluded
  std::uint32_t dense_layers = 0;  // the first dense_layers blocks have a dense FFN, the rest MoE
  std::uint32_t hidden = 0;
  std::uint32_t dense_intermediate = 0;          // dense FFN width
  std::uint32_t expert_intermediate = 0;         // routed expert FFN width
  std::uint32_t shared_expert_intermediate = 0;  // width of EACH shared expert
  std::uint32_t routed_expert_count = 0;
  std::uint32_t shared_expert_count = 0;
  std::uint32_t experts_per_token_count = 0;  // routed top-k
  std::uint32_t expert_groups = 1;            // n_group (1 = no group-limited routing)
  std::uint32_t groups_per_token = 1;         // topk_group
  bool shared_expert_gate = false;            // a hidden -> 1 gate on the shared expert (Qwen)
  std::uint32_t vocab = 0;
  bool tied_embeddings = false;
  std::uint32_t mtp_layers = 0;  // multi-token-prediction modules (each one block + projection)
  bool mtp_counted_in_total = false;
  AttentionSpec attention;

  // As served: bytes per weight (FP8 = 1) for the trunk and for routed experts (V4: FP4 = 0.5).
  double weight_bytes_per_parameter = 1;
  double expert_weight_bytes_per_parameter = 1;
  // Bytes per cached element (BF16 = 2, the precision of DeepSeek's 70.272 KB/token figure).
  double kv_cache_bytes_per_element = 2;

  ActiveConvention active_convention = ActiveConvention::All;
  // Published figures, for the 2 % derivation test only (0 = not published / unverified).
  double published_total_parameters = 0;
  double published_active_parameters = 0;

  // ---- derived (formulas in model.cpp and docs/workloads.md) ----
  std::uint32_t moe_layer_count() const { return layers - dense_layers; }
  std::uint32_t routed_experts() const { return routed_expert_count; }
  std::uint32_t experts_per_token() const { return experts_per_token_count; }
  std::uint32_t hidden_size() const { return hidden; }

  double embedding_parameters() const;                     // vocab x hidden
  double head_parameters() const;                          // 0 when tied
  double attention_parameters(std::uint32_t layer) const;  // incl. the two block norms
  double attention_parameters_total() const;               // over all layers
  double dense_ffn_parameters() const;                     // one dense FFN
  double routed_expert_parameters_each() const;            // 3 x hidden x expert_intermediate
  double shared_expert_parameters_each() const;
  double router_parameters() const;  // one MoE layer's gate (+ shared-expert gate)
  double mtp_parameters() const;     // all MTP modules (block + eh projection + norms)

  double total_parameters() const;   // incl. MTP iff mtp_counted_in_total
  double active_parameters() const;  // per the model's ActiveConvention
  // What every EP rank replicates: embeddings, attention, routers, shared experts, dense layers,
  // head (and MTP modules when counted in the total).
  double shared_trunk_parameters() const;
  double routed_expert_parameters() const;  // all routed experts of all MoE layers
  double shared_trunk_fraction() const { return shared_trunk_parameters() / total_parameters(); }

  // KV cache per token over all layers at kv_cache_bytes_per_element (MLA: latent + rope key;
  // GQA: K and V; hybrid: full-attention layers only; V4: compressed entries, see docs).
  double kv_cache_bytes_per_token() const;
  double kv_cache_bytes_per_token_in_layer(std::uint32_t layer) const;
  // Per-request state independent of context length (linear-attention recurrent state, V4's
  // sliding-window cache); 0 for plain MLA / GQA models.
  double state_bytes_per_request() const;
  // Whether `layer` has full (softmax) attention and so a KV cache that grows with the context:
  // every layer but the linear-attention ones of a hybrid model (Qwen3.5: layers 3, 7, 11, ...).
  bool is_full_attention_layer(std::uint32_t layer) const;
  bool is_moe_layer(std::uint32_t layer) const { return layer >= dense_layers; }
};

ModelSpec load_model_file(const std::string& path);  // throws input::InputError
ModelSpec load_model(const input::Mapping& mapping);

}  // namespace moesim::workloads
