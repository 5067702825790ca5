#pragma once
// Expert-parallel layout (which GPU holds which routed experts, EPLB-style replicas), gating (which
// experts each token picks) and the dispatch/combine traffic they imply. Independent of the
// network model: GPUs are 0..N-1 and `domain_of_gpu` says which scale-up domain (server, rack)
// each one is in. Semantics and byte counts: docs/workloads.md.
#include <cstdint>
#include <vector>

#include "sim/rng.h"

namespace moesim::workloads {

enum class GatingKind { Uniform, Zipf, GroupLimited };
enum class DispatchMode { Direct, NodeDedup };

// Where the routed experts of one MoE layer live. Every GPU has the same number of slots,
// slots_per_gpu = ceil(E / N) + redundant_slots_per_gpu. Primary copies are placed in contiguous
// balanced blocks (GPU g holds experts [floor(g E / N), floor((g + 1) E / N)), so expert groups
// stay together on as few GPUs/nodes as possible), then every free slot receives a replica of the
// expert with the highest expected load per copy (greedy, as DeepSeek's EPLB), on the GPU with the
// lowest expected load that has a free slot and does not hold that expert yet.
class ExpertLayout {
 public:
  // expected_load[e] >= 0: relative popularity of expert e (uniform = all equal).
  ExpertLayout(std::uint32_t gpu_count, const std::vector<double>& expected_load,
               std::uint32_t redundant_slots_per_gpu);

  // The slot rule: ceil(experts / gpus) + redundant slots on every GPU (also what memory.h counts).
  static std::uint32_t slots_per_gpu(std::uint32_t experts, std::uint32_t gpus,
                                     std::uint32_t redundant_slots_per_gpu) {
    return (experts + gpus - 1) / gpus + redundant_slots_per_gpu;
  }

  std::uint32_t gpu_count() const { return gpu_count_; }
  std::uint32_t expert_count() const { return static_cast<std::uint32_t>(replicas_.size()); }
  std::uint32_t slots_per_gpu() const { return slots_per_gpu_; }
  const std::vector<std::uint32_t>& replicas(std::uint32_t expert) const {
    return replicas_[expert];
  }
  const std::vector<std::uint32_t>& experts_on(std::uint32_t gpu) const { return on_gpu_[gpu]; }
  // The index of `expert` in experts_on(gpu); kNoSlot if the GPU does not hold it.
  static constexpr std::uint32_t kNoSlot = 0xFFFF'FFFFU;
  std::uint32_t slot_of(std::uint32_t gpu, std::uint32_t expert) const {
    return slot_of_[std::size_t{gpu} * replicas_.size() + expert];
  }
  // The GPU that serves `expert` for a token: replicas share an expert's tokens round-robin by
  // token index (EPLB's goal is to balance, not to be local).
  std::uint32_t serving_gpu(std::uint32_t expert, std::uint64_t token_index) const {
    const auto& copies = replicas_[expert];
    return copies.size() == 1 ? copies[0] : copies[token_index % copies.size()];
  }
  // Expected load per GPU (sum over its copies of load / copies), for tests and reports.
  std::vector<double> expected_gpu_load(const std::vector<double>& expected_load) const;

 private:
  std::uint32_t gpu_count_;
  std::uint32_t slots_per_gpu_;
  std::vector<std::vector<std::uint32_t>> replicas_;  // per expert: GPUs holding a copy
  std::vector<std::vector<std::uint32_t>> on_gpu_;    // per GPU: experts held (primary first)
  std::vector<std::uint32_t> slot_of_;                // [gpu * experts + expert]
};

// Zipf popularity over `experts` with exponent s, ranks assigned by a random permutation drawn
// from `stream` (so every layer has different hot experts). s = 0 gives uniform. Sums to 1.
std::vector<double> zipf_popularity(std::uint32_t experts, double exponent,
                                    sim::RandomStream& stream);

// Draws top-k experts per token. Uniform and Zipf pick k distinct experts with probability
// proportional to popularity (sequential sampling without replacement). GroupLimited first picks
// `groups_per_token` distinct groups with probability proportional to their popularity mass, then k
// distinct experts inside them: for i.i.d. router scores this is DeepSeek-V3's rule "top-M groups,
// then top-k within them" up to the order statistics (documented approximation).
class Gate {
 public:
  Gate(std::vector<double> popularity, std::uint32_t experts_per_token, std::uint32_t groups,
       std::uint32_t groups_per_token);
  // Writes experts_per_token distinct expert ids into `out` (resized).
  void choose(sim::RandomStream& stream, std::vector<std::uint32_t>& out) const;
  std::uint32_t experts_per_token() const { return top_k_; }

 private:
  std::uint32_t sample(sim::RandomStream& stream, const std::vector<double>& cumulative,
                       std::uint32_t first, std::uint32_t last) const;

  std::vector<double> popularity_;
  std::vector<double> cumulative_;  // prefix sums of popularity
  std::uint32_t top_k_;
  std::uint32_t groups_;
  std::uint32_t groups_per_token_;
  std::uint32_t experts_per_group_;
  bool uniform_;  // all popularities equal: draw with RandomStream::below, no binary search
};

// Bytes of one token's hidden vector on the wire: hidden x bytes_per_element, plus one FP32 scale
// per 128 channels when scale factors are sent (DeepSeek-V3 FP8 dispatch: 7168 + 56 x 4 = 7392).
double token_bytes(std::uint32_t hidden, double bytes_per_element, bool fp32_scale_per_128);

// One point-to-point transfer of a phase.
struct Transfer {
  std::uint32_t source;
  std::uint32_t destination;
  std::uint64_t bytes;
};

// The traffic of one MoE layer (one micro-batch) after gating.
//  * Direct (low-latency kernels): every (token, expert) pair is one token copy from the token's
//    GPU to the serving GPU, even when two chosen experts live on the same GPU (DeepEP's
//    low-latency dispatch sends per expert); combine mirrors it with one combine-precision copy per
//    pair.
//  * NodeDedup (throughput kernels): a token crosses to another scale-up domain once per
//    destination domain, to the relay GPU with the same local rank there, which forwards it once
//    per destination GPU over scale-up; inside its own domain a token goes once per destination
//    GPU. Combine mirrors it: partial sums (one vector per token and GPU) go to the relay, which
//    sends one reduced vector per token back over scale-out.
struct LayerTraffic {
  std::uint32_t gpu_count = 0;
  // pairs[src * N + dst]: (token, expert) pairs from tokens on src served on dst (src == dst local)
  std::vector<std::uint32_t> pairs;
  // distinct_tokens[src * N + dst]: tokens of src with at least one expert served on dst
  std::vector<std::uint32_t> distinct_tokens;
  // tokens_per_expert_slot[gpu]: tokens received by each expert copy on that GPU (same order as
  // ExpertLayout::experts_on(gpu))
  std::vector<std::vector<std::uint32_t>> tokens_per_expert_slot;
  // distinct_tokens_to_domain[src * D + d]: tokens of src with at least one expert served in
  // scale-up domain d (what NodeDedup sends across domains once per token)
  std::uint32_t domain_count = 0;
  std::vector<std::uint32_t> distinct_tokens_to_domain;
  std::uint32_t received_pairs(std::uint32_t gpu) const;
};

// Gates tokens_per_gpu[g] tokens on every GPU g (one random stream per GPU derived from
// `seed_base`, so the result does not depend on evaluation order) and accumulates the layer's
// traffic. domain_of_gpu[g] in [0, domain_count).
LayerTraffic gate_layer(const ExpertLayout& layout, const Gate& gate,
                        const std::vector<std::uint32_t>& tokens_per_gpu,
                        const std::vector<std::uint32_t>& domain_of_gpu, std::uint32_t domain_count,
                        std::uint64_t seed_base);

// NodeDedup's relay for traffic from `source` to `destination` in another domain: the GPU of the
// destination's domain with the source's local rank (rail-aligned, as DeepEP's normal kernels),
// or rank modulo the domain size when domains differ in size.
std::uint32_t relay_gpu(std::uint32_t source, std::uint32_t destination,
                        const std::vector<std::uint32_t>& domain_of_gpu,
                        const std::vector<std::uint32_t>& local_rank_of_gpu,
                        const std::vector<std::vector<std::uint32_t>>& gpus_of_domain);

}  // namespace moesim::workloads
