// The decode step on tiny fabrics equals the sum of its phases worked out by hand.
#include "workloads/decode.h"

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

#include "topology/builders.h"
#include "workloads/compute.h"
#include "workloads/decode_work.h"
#include "workloads/hardware.h"
#include "workloads/model.h"

namespace moesim::workloads {
namespace {

// Two servers of two GPUs with round numbers: NVLink 100 GB/s and 1 us per link (GPU -> NVSwitch ->
// GPU: 2 us) + 2 us scale-up overhead; NICs 10 GB/s, 1 us per link, one leaf per rail, one spine.
// Same rail (GPU -> NIC -> leaf -> NIC -> GPU): 4 us + 3 us overhead; cross rail (via the spine):
// 6 us + 4 us (core) overhead. Leaf uplinks carry 2 x 10 GB/s, so nothing below is contended.
constexpr const char* kTinyFabric = R"(source: "test fabric, round numbers"
name: tiny-2x2
kind: hgx
servers: 2
gpus_per_server: 2
scale_up: {bandwidth: "100 GB/s", link_latency: "1 us"}
scale_out: {nic_bandwidth: "10 GB/s", rails: 2, spines: 1, oversubscription: 1, gpu_nic_latency: "1 us",
            nic_leaf_latency: "1 us", leaf_spine_latency: "1 us"}
overheads: {scale_up: "2 us", scale_out: "3 us", core: "4 us"}
pxn: false
)";

topology::Fabric tiny_fabric() {
  return topology::load_fabric(input::Mapping::load_string(kTinyFabric, "tiny-2x2.yaml"));
}

// A memory-bound GPU: 1 TB/s HBM and FLOP rates so high that every kernel time is bytes / 1e12.
GpuSpec round_gpu() {
  GpuSpec gpu;
  gpu.name = "round";
  gpu.hbm_bytes = 100e9;
  gpu.hbm_bandwidth_bytes_per_second = 1e12;
  gpu.bf16_flops_per_second = 1e18;
  gpu.fp8_flops_per_second = 1e18;
  return gpu;
}

// hidden 1024, GQA 8 x 128 (q, k, v, o = 4 x 1024^2 + 2 x 1024 norms = 4,196,352 parameters),
// experts of width 512 (3 x 1024 x 512 = 1,572,864), every token picks every expert (top-k = E) so
// routing is deterministic, vocabulary 1000 (head 1,024,000), all weights 1 byte.
ModelSpec tiny_model(std::uint32_t experts, std::uint32_t layers = 1,
                     std::uint32_t dense_layers = 0) {
  ModelSpec m;
  m.name = "tiny";
  m.layers = layers;
  m.dense_layers = dense_layers;
  m.hidden = 1024;
  m.dense_intermediate = 256;  // 3 x 1024 x 256 = 786,432
  m.expert_intermediate = 512;
  m.routed_expert_count = experts;
  m.experts_per_token_count = experts;
  m.vocab = 1000;
  m.attention.kind = AttentionKind::Gqa;
  m.attention.heads = 8;
  m.attention.kv_heads = 8;
  m.attention.head_dim = 128;
  return m;
}

DecodeConfig config(std::uint32_t ep_size, DispatchMode mode) {
  DecodeConfig c;
  c.ep_size = ep_size;
  c.batch_per_gpu = 1;
  c.context_tokens = 1000;  // KV: 2 x 8 x 128 x 2 bytes x 1000 = 4,096,000 bytes per request
  c.gating = GatingKind::Uniform;
  c.dispatch_mode = mode;
  c.dispatch_scale_factors = false;  // a dispatch copy is 1024 bytes, a combine copy 2048 bytes
  c.compute_efficiency = 1.0;
  return c;
}

// Phase times (us) shared by the cases below:
constexpr double kAttention = 8.292352;  // (4,196,352 + 4,096,000) bytes / 1e12
constexpr double kExperts = 1.572864;    // one expert's weights, read once
constexpr double kHead = 1.024;          // 1,024,000 bytes
constexpr double kDense = 0.786432;

TEST(Roofline, TinyModelKernelTimesByHand) {
  const ModelSpec m = tiny_model(2);
  const GpuSpec gpu = round_gpu();
  const ComputeModel compute(m, gpu, 1.0);
  EXPECT_NEAR(compute.seconds(compute.attention(0, 1, 1, 1000)) * 1e6, kAttention, 1e-9);
  EXPECT_NEAR(compute.seconds(compute.routed_experts({2})) * 1e6, kExperts, 1e-9);
  EXPECT_NEAR(compute.seconds(compute.routed_experts({2, 0, 5})) * 1e6, 2 * kExperts,
              1e-9);  // 2 copies used
  EXPECT_NEAR(compute.seconds(compute.head(1)) * 1e6, kHead, 1e-9);
  EXPECT_NEAR(compute.seconds(compute.dense_ffn(1)) * 1e6, kDense, 1e-9);
  // Efficiency 0.5 doubles every time; a compute-bound case: 1e6 tokens through the dense FFN is
  // 2 x 786,432 x 1e6 FLOPs / 1e18 = 1.572864 us > 0.786432 us of weights.
  const ComputeModel half(m, gpu, 0.5);
  EXPECT_NEAR(half.seconds(half.head(1)) * 1e6, 2 * kHead, 1e-9);
  EXPECT_NEAR(compute.seconds(compute.dense_ffn(1'000'000)) * 1e6, 1.572864, 1e-9);
}

// EP2 inside one server: attention; dispatch 1024 B over NVLink = 2 us overhead + 2 us + 10.24 ns;
// experts (2 tokens on each GPU's single expert); combine 2048 B = 4 us + 20.48 ns; head.
TEST(DecodeStep, TwoGpusTwoExpertsOneTokenEqualsSumOfPhases) {
  const topology::Fabric fabric = tiny_fabric();
  const DecodeMetrics m =
      simulate_decode(tiny_model(2), round_gpu(), fabric, config(2, DispatchMode::Direct));
  EXPECT_NEAR(m.dispatch.mean_us, 4.01024, 1e-6);
  EXPECT_NEAR(m.combine.mean_us, 4.02048, 1e-6);
  EXPECT_NEAR(m.attention.max_us, kAttention, 1e-6);
  EXPECT_NEAR(m.expert.max_us, kExperts, 1e-6);
  EXPECT_NEAR(m.step_time_us, kAttention + 4.01024 + kExperts + 4.02048 + kHead,
              1e-6);  // 18.919936
  EXPECT_EQ(m.messages, 4u);
  EXPECT_EQ(m.dispatch_bytes, 2u * 1024u);
  EXPECT_EQ(m.combine_bytes, 2u * 2048u);
  // Every message crosses two NVLink links: 2 x (2 x 1024 + 2 x 2048) bytes.
  EXPECT_EQ(m.tiers[0].bytes, 12288u);
  EXPECT_EQ(m.tiers[1].bytes, 0u);
  EXPECT_NEAR(m.per_user_tokens_per_second, 1e6 / m.step_time_us, 1e-6);
  EXPECT_NEAR(m.output_tokens_per_second_per_node, 2 * m.output_tokens_per_second_per_gpu, 1e-6);
}

// The same step with a timeline: each phase's two messages start transferring 4 us after their
// GPUs send (2 us overhead + 2 NVLink hops of 1 us) and occupy 4 of the tiny fabric's 8 scale-up
// links (gpu -> nvswitch -> gpu, both ways) for 10.24 ns (dispatch) or 20.48 ns (combine).
TEST(DecodeStep, TimelineRecordsBusyLinksPerTier) {
  const topology::Fabric fabric = tiny_fabric();
  DecodeConfig c = config(2, DispatchMode::Direct);
  c.record_timeline = true;
  const DecodeMetrics m = simulate_decode(tiny_model(2), round_gpu(), fabric, c);
  const double combine_send = kAttention + 4.01024 + kExperts;
  const double at_us[] = {kAttention + 4, kAttention + 4.01024, combine_send + 4,
                          combine_send + 4.02048};
  const std::uint32_t busy[] = {4, 0, 4, 0};
  ASSERT_EQ(m.tier_activity.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(m.tier_activity[i].at.microseconds(), at_us[i], 1e-6);
    EXPECT_EQ(m.tier_activity[i].tier, topology::LinkTier::ScaleUp);
    EXPECT_EQ(m.tier_activity[i].busy_links, busy[i]);
    EXPECT_EQ(m.tier_activity[i].links, 8u);
  }
  c.network = NetworkKind::Analytic;  // prices transfers one by one: nothing to count
  EXPECT_TRUE(simulate_decode(tiny_model(2), round_gpu(), fabric, c).tier_activity.empty());
}

TEST(DecodeStep, DenseLayerHasNoAllToAll) {
  const topology::Fabric fabric = tiny_fabric();
  const DecodeMetrics m =
      simulate_decode(tiny_model(2, 2, 1), round_gpu(), fabric, config(2, DispatchMode::Direct));
  EXPECT_NEAR(m.step_time_us, 2 * kAttention + kDense + 4.01024 + kExperts + 4.02048 + kHead, 1e-6);
  EXPECT_EQ(m.messages, 4u);
}

// EP4 over both servers, direct: each GPU sends one 1024 B copy to each other GPU. The slowest is
// cross-rail: 4 us + 6 us + 1024 B / 10 GB/s = 10.1024 us; combine 10 us + 204.8 ns.
TEST(DecodeStep, FourGpusDirectEqualsSumOfPhases) {
  const topology::Fabric fabric = tiny_fabric();
  for (NetworkKind network : {NetworkKind::Flow, NetworkKind::Analytic}) {
    DecodeConfig c = config(4, DispatchMode::Direct);
    c.network = network;
    const DecodeMetrics m = simulate_decode(tiny_model(4), round_gpu(), fabric, c);
    EXPECT_NEAR(m.dispatch.p99_us, 10.1024, 1e-6);
    EXPECT_NEAR(m.combine.p50_us, 10.2048, 1e-6);
    EXPECT_NEAR(m.step_time_us, kAttention + 10.1024 + kExperts + 10.2048 + kHead,
                1e-6);  // 31.196416
    EXPECT_EQ(m.messages, 24u);
    EXPECT_EQ(m.nodes, 2u);
  }
}

// EP3 on the tiny fabric: GPUs 0 and 1 share server 0, GPU 2 is alone on server 1 (rail 0, like
// GPU 0), one expert per GPU, every token to every expert, direct. Dispatch (1024 B) from the end
// of attention: NVLink 4 us + 10.24 ns, same rail 7 us + 102.4 ns, cross-rail 10 us + 102.4 ns; no
// two flows ever share a link at the same time. GPU 0 has everything at 7.1024 us, GPUs 1 and 2 at
// 10.1024 us (each waits for a cross-rail copy). Experts take 1.572864 us from there, so GPU 0
// starts its combine (2048 B: 4.02048 / 7.2048 / 10.2048 us) at 8.675264 us, GPUs 1 and 2 at
// 11.675264 us. Last arrivals: GPU 0 from GPU 2 at 18.880064, GPU 1 from GPU 2 and GPU 2 from
// GPU 1 at 21.880064. Per GPU: dispatch 7.1024 / 10.1024 / 10.1024, combine 10.2048 each; the
// combine phase (8.675264 -> 21.880064) is 13.2048 us: 3 us of it is GPU 0 starting early.
TEST(DecodeStep, PerGpuLatenciesLeaveOutTheSkewBetweenGpus) {
  const topology::Fabric fabric = tiny_fabric();
  const DecodeMetrics m =
      simulate_decode(tiny_model(3), round_gpu(), fabric, config(3, DispatchMode::Direct));
  EXPECT_NEAR(m.dispatch.mean_us, 10.1024, 1e-6);
  EXPECT_NEAR(m.dispatch_per_gpu.mean_us, (7.1024 + 2 * 10.1024) / 3, 1e-6);
  EXPECT_NEAR(m.dispatch_per_gpu.p50_us, 10.1024, 1e-6);
  EXPECT_NEAR(m.dispatch_per_gpu.max_us, 10.1024, 1e-6);
  EXPECT_NEAR(m.combine.mean_us, 13.2048, 1e-6);
  EXPECT_NEAR(m.combine_per_gpu.mean_us, 10.2048, 1e-6);
  EXPECT_NEAR(m.combine_per_gpu.max_us, 10.2048, 1e-6);
  EXPECT_NEAR(m.step_time_us, kAttention + 21.880064 + kHead, 1e-6);
  EXPECT_EQ(m.messages, 12u);
  // GPU 2's NIC carries both other GPUs' dispatch (1024 B) and combine (2048 B) each way: 6144 B on
  // each of its four 10 GB/s links (gpu2 -> nic2 -> leaf0, leaf0 -> nic2 -> gpu2); every other NIC
  // link and the spine links carry one peer's, 3072 B. Utilization = 6144 B / (10 GB/s x step).
  ASSERT_EQ(m.busiest_links.size(), DecodeMetrics::kBusiestLinks);
  const double step_seconds = m.step_time_us * 1e-6;
  std::set<std::string> hottest;
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(m.busiest_links[i].bytes, 6144u);
    EXPECT_NEAR(m.busiest_links[i].utilization, 6144 / (10e9 * step_seconds), 1e-12);
    // One transfer at a time at full bandwidth: busy exactly while bytes move.
    EXPECT_NEAR(m.busiest_links[i].busy_fraction, m.busiest_links[i].utilization, 1e-9);
    EXPECT_EQ(m.busiest_links[i].tier, topology::LinkTier::ScaleOut);
    hottest.insert(m.busiest_links[i].name);
  }
  EXPECT_EQ(hottest, (std::set<std::string>{"gpu2 -> nic2", "nic2 -> leaf0", "leaf0 -> nic2",
                                            "nic2 -> gpu2"}));
  EXPECT_EQ(m.busiest_links[4].bytes, 3072u);
}

// EP4 node-dedup: GPU0's token crosses once to GPU2 (same local rank, same rail: 3 + 4 us + 102.4
// ns) which forwards it over NVLink to GPU3 (4 us + 10.24 ns): 11.11264 us. Combine: GPU3's partial
// sum to relay GPU2 shares GPU3's NVLink with GPU2's own result (two 2048 B flows at 50 GB/s each:
// 4 us + 40.96 ns), then GPU2 -> GPU0 over the rail (7 us + 204.8 ns): 11.24576 us.
TEST(DecodeStep, FourGpusNodeDedupEqualsSumOfPhases) {
  const topology::Fabric fabric = tiny_fabric();
  const DecodeMetrics m =
      simulate_decode(tiny_model(4), round_gpu(), fabric, config(4, DispatchMode::NodeDedup));
  EXPECT_NEAR(m.dispatch.mean_us, 11.11264, 1e-6);
  EXPECT_NEAR(m.combine.mean_us, 11.24576, 1e-6);
  EXPECT_NEAR(m.step_time_us, kAttention + 11.11264 + kExperts + 11.24576 + kHead, 1e-6);
  // Dispatch: 4 intra-server + 4 cross-server + 4 forwards; combine: 4 + 4 to relays + 4 reduced.
  EXPECT_EQ(m.messages, 24u);
  EXPECT_EQ(m.dispatch_bytes, 12u * 1024u);
  EXPECT_EQ(m.combine_bytes, 12u * 2048u);
  // Scale-out carries only the 4 relay copies and 4 reduced combines, each over GPU-NIC, NIC-leaf,
  // leaf-NIC, NIC-GPU: 4 links x (4 x 1024 + 4 x 2048) = 49,152 bytes; nothing crosses the core.
  EXPECT_EQ(m.tiers[1].bytes, 49152u);
  EXPECT_EQ(m.tiers[2].bytes, 0u);
}

TEST(DecodeStep, CalibrationOverheadsAddPerPhaseAndPerMessage) {
  const topology::Fabric fabric = tiny_fabric();
  DecodeConfig c = config(2, DispatchMode::Direct);
  c.calibration.dispatch_phase_overhead = sim::microseconds(1);
  c.calibration.combine_phase_overhead = sim::microseconds(2);
  c.calibration.message_overhead[0] = sim::microseconds(3);
  // Dispatch: 1024 B carried as 2048 B (20.48 ns); combine, its own fraction: 2048 B as 8192 B.
  c.calibration.bandwidth_fraction[0] = 0.5;
  c.calibration.combine_bandwidth_fraction[0] = 0.25;
  const DecodeMetrics m = simulate_decode(tiny_model(2), round_gpu(), fabric, c);
  // dispatch = 3 + 4 us + 20.48 ns after the 1 us phase overhead; combine = 3 + 4 + 0.08192 after 2
  // us.
  EXPECT_NEAR(m.step_time_us, kAttention + 1 + 7.02048 + kExperts + 2 + 7.08192 + kHead, 1e-6);
}

TEST(DecodeStep, CostsOutsideTheLayersAddToTheStep) {
  const topology::Fabric fabric = tiny_fabric();
  DecodeConfig c = config(2, DispatchMode::Direct);
  const DecodeMetrics base = simulate_decode(tiny_model(2, 3), round_gpu(), fabric, c);
  // 3 layers x 0.5 us on the compute stream, 0.25 us sampling with the head, 1 us between steps.
  c.step_costs.per_layer = sim::from_seconds(0.5e-6);
  c.step_costs.sampling = sim::from_seconds(0.25e-6);
  c.step_costs.between_steps = sim::microseconds(1);
  const DecodeMetrics m = simulate_decode(tiny_model(2, 3), round_gpu(), fabric, c);
  EXPECT_NEAR(m.step_time_us, base.step_time_us + 3 * 0.5 + 0.25 + 1, 1e-6);
  EXPECT_NEAR(m.attention.p50_us, base.attention.p50_us + 0.5, 1e-6);
}

TEST(DecodeStep, StepsAreReproducibleAndTwoMicroBatchesOverlap) {
  const topology::Fabric fabric = tiny_fabric();
  DecodeConfig c = config(4, DispatchMode::Direct);
  c.steps = 3;
  const DecodeMetrics three = simulate_decode(tiny_model(4), round_gpu(), fabric, c);
  EXPECT_NEAR(three.step_time_us, kAttention + 10.1024 + kExperts + 10.2048 + kHead, 1e-6);
  EXPECT_EQ(three.messages, 3u * 24u);
  // Batch 2 as two micro-batches of one request: the second half's attention runs while the first
  // half's dispatch is in flight, so the step is shorter than two single-request steps back to
  // back.
  c.steps = 1;
  c.batch_per_gpu = 2;
  c.two_micro_batch_overlap = true;
  const DecodeMetrics overlapped = simulate_decode(tiny_model(4), round_gpu(), fabric, c);
  EXPECT_LT(overlapped.step_time_us, 2 * three.step_time_us - 5.0);
  EXPECT_GT(overlapped.step_time_us, three.step_time_us);
  EXPECT_GT(overlapped.gpu_busy_fraction, three.gpu_busy_fraction);
}

TEST(DecodeStep, MtpRaisesTokensPerStep) {
  const topology::Fabric fabric = tiny_fabric();
  ModelSpec m = tiny_model(4);
  DecodeConfig c = config(4, DispatchMode::Direct);
  c.mtp_draft_tokens = 1;
  c.mtp_acceptance = 0.8;
  EXPECT_THROW(simulate_decode(m, round_gpu(), fabric, c), std::invalid_argument);  // no MTP module
  m.mtp_layers = 1;
  const DecodeMetrics mtp = simulate_decode(m, round_gpu(), fabric, c);
  EXPECT_DOUBLE_EQ(mtp.tokens_per_user_per_step, 1.8);
  EXPECT_NEAR(mtp.tpot_us, mtp.step_time_us / 1.8, 1e-9);
  EXPECT_GT(mtp.step_time_us, 2 * 20.0);  // the MTP module adds a second all-to-all layer
}

// DeepSeek-V3 at EP72 over nine HGX H200 servers (group-limited routing, analytic network, batch
// 8): exact byte and memory relations that hold whatever the random routing.
TEST(DecodeStep, DeepSeekV3OnNineH200ServersBytesAndMemory) {
  const std::string root = MOESIM_SOURCE_DIR;
  const topology::Fabric fabric =
      topology::load_fabric_file(root + "/configs/fabrics/hgx-h200x9.yaml");
  const ModelSpec model = load_model_file(root + "/configs/models/deepseek-v3.yaml");
  const GpuSpec gpu = load_gpu_file(root + "/configs/hardware/h200-sxm.yaml");
  DecodeConfig c;
  c.ep_size = 72;
  c.batch_per_gpu = 8;
  c.context_tokens = 4096;
  c.network = NetworkKind::Analytic;
  const DecodeMetrics direct = simulate_decode(model, gpu, fabric, c);
  // Direct: the combine returns every dispatched (token, expert) copy: bytes scale by 14336 / 7392.
  EXPECT_EQ(direct.dispatch_bytes % 7392, 0u);
  EXPECT_DOUBLE_EQ(static_cast<double>(direct.combine_bytes),
                   direct.dispatch_bytes / 7392.0 * 14336.0);
  // At most N x B x k pairs per MoE layer leave their GPU: 72 x 8 x 8 x 58 = 267,264.
  EXPECT_LE(direct.dispatch_bytes / 7392, 267'264u);
  EXPECT_GT(direct.dispatch_bytes / 7392, 267'264u * 9 / 10);
  // Memory: trunk (FP8) + ceil(256 / 72) = 4 slots x 58 layers x 44,040,192; KV 8 x 4096 x 70,272.
  EXPECT_EQ(direct.memory.expert_slots, 4u);
  EXPECT_DOUBLE_EQ(direct.memory.weight_bytes,
                   model.shared_trunk_parameters() + 4.0 * 58 * 44'040'192.0);
  EXPECT_DOUBLE_EQ(direct.memory.kv_cache_bytes, 8.0 * 4096 * 70'272.0);
  EXPECT_EQ(direct.nodes, 9u);
  // Node-dedup sends fewer bytes over scale-out (once per node instead of once per expert).
  c.dispatch_mode = DispatchMode::NodeDedup;
  const DecodeMetrics dedup = simulate_decode(model, gpu, fabric, c);
  EXPECT_LT(dedup.tiers[1].bytes, direct.tiers[1].bytes);
  EXPECT_GT(dedup.tiers[0].bytes, direct.tiers[0].bytes);  // the forwards ride NVLink
}

// Zipf-skewed routing (s = 1.2, hot experts re-drawn per layer) with EPLB replicas in 2 extra slots
// per GPU. Compute-bound (batch 256: ~576 tokens per expert on average, above the H200's FP8 ridge
// of 1979e12 / 4.8e12 / 2 = 206 tokens per 1-byte weight): replicas spread the hot experts' tokens
// and cut the slowest GPU's expert time. Memory-bound (batch 4): every copy with a token reads its
// weights, so 6 copies per GPU instead of 4 make the expert phase longer — replicas only pay off
// past the ridge.
TEST(DecodeStep, RedundantExpertsHelpOnlyWhenExpertsAreComputeBound) {
  const std::string root = MOESIM_SOURCE_DIR;
  const topology::Fabric fabric =
      topology::load_fabric_file(root + "/configs/fabrics/hgx-h200x9.yaml");
  ModelSpec model = load_model_file(root + "/configs/models/deepseek-v3.yaml");
  model.layers = model.dense_layers + 4;  // 4 MoE layers keep the test fast
  const GpuSpec gpu = load_gpu_file(root + "/configs/hardware/h200-sxm.yaml");
  DecodeConfig c;
  c.ep_size = 72;
  c.context_tokens = 256;
  c.gating = GatingKind::Zipf;
  c.zipf_exponent = 1.2;
  c.network = NetworkKind::Analytic;
  auto expert_us = [&](std::uint32_t batch, std::uint32_t redundant) {
    c.batch_per_gpu = batch;
    c.redundant_slots_per_gpu = redundant;
    return simulate_decode(model, gpu, fabric, c).expert.mean_us;
  };
  EXPECT_LT(expert_us(256, 2), 0.8 * expert_us(256, 0));  // measured 185 vs 377 us
  // 6 vs 4 expert copies of 44,040,192 bytes at 4.8 TB/s x 0.7: 78.64 vs 52.43 us
  EXPECT_NEAR(expert_us(4, 2), 6 * 44'040'192 / 4.8e12 / 0.7 * 1e6, 1e-3);
  EXPECT_NEAR(expert_us(4, 0), 4 * 44'040'192 / 4.8e12 / 0.7 * 1e6, 1e-3);
}

TEST(DecodeStep, ImpossibleLayoutsThrow) {
  const topology::Fabric fabric = tiny_fabric();
  EXPECT_THROW(simulate_decode(tiny_model(4), round_gpu(), fabric, config(5, DispatchMode::Direct)),
               std::invalid_argument);
  DecodeConfig zero_batch = config(4, DispatchMode::Direct);
  zero_batch.batch_per_gpu = 0;
  EXPECT_THROW(simulate_decode(tiny_model(4), round_gpu(), fabric, zero_batch),
               std::invalid_argument);
  DecodeConfig groups = config(4, DispatchMode::Direct);
  groups.gating = GatingKind::GroupLimited;
  groups.max_groups_per_token = 3;  // the tiny model has one group
  EXPECT_THROW(simulate_decode(tiny_model(4), round_gpu(), fabric, groups), std::invalid_argument);
  try {
    simulate_decode(tiny_model(4), round_gpu(), fabric, config(5, DispatchMode::Direct));
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("exceeds the 4 GPUs"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace moesim::workloads

namespace moesim::workloads {
namespace {

// Every token picks every expert, so all MoE layers are identical and sampling 2 of 6 MoE layers
// must reproduce the full step exactly: step = dense prefix + 6 x the MoE-layer period + head,
// with the period = attention + dispatch + experts + combine = 8.292352 + 4.01024 + 1.572864 +
// 4.02048 = 17.895936 us; traffic scales by 6 / 2.
TEST(DecodeStep, SampledMoeLayersExtrapolateIdenticalLayersExactly) {
  const topology::Fabric fabric = tiny_fabric();
  const ModelSpec model = tiny_model(2, 7, 1);
  DecodeConfig c = config(2, DispatchMode::Direct);
  const DecodeMetrics full = simulate_decode(model, round_gpu(), fabric, c);
  c.sampled_moe_layers = 2;
  const DecodeMetrics sampled = simulate_decode(model, round_gpu(), fabric, c);
  const double period = kAttention + 4.01024 + kExperts + 4.02048;
  EXPECT_NEAR(full.step_time_us, kAttention + kDense + 6 * period + kHead, 1e-6);
  EXPECT_NEAR(sampled.step_time_us, full.step_time_us, 1e-6);
  EXPECT_NEAR(sampled.per_user_tokens_per_second, full.per_user_tokens_per_second, 1e-6);
  EXPECT_EQ(sampled.simulated_moe_layers, 2u);
  EXPECT_EQ(full.simulated_moe_layers, 6u);
  EXPECT_EQ(sampled.messages, full.messages);
  EXPECT_EQ(sampled.dispatch_bytes, full.dispatch_bytes);
  EXPECT_EQ(sampled.tiers[0].bytes, full.tiers[0].bytes);
  EXPECT_DOUBLE_EQ(sampled.memory.weight_bytes, full.memory.weight_bytes);
  c.sampled_moe_layers = 1;
  EXPECT_THROW(simulate_decode(model, round_gpu(), fabric, c), std::invalid_argument);
}

}  // namespace
}  // namespace moesim::workloads

namespace moesim::workloads {
namespace {

// The work estimate bounds what a run really does, and the progress counter reaches its total.
TEST(DecodeWork, EstimateBoundsTheMessagesAndProgressReachesItsTotal) {
  const topology::Fabric fabric = tiny_fabric();
  const ModelSpec model = tiny_model(4, 3, 1);
  for (const DispatchMode mode : {DispatchMode::Direct, DispatchMode::NodeDedup})
    for (const bool overlap : {false, true}) {
      DecodeConfig c = config(4, mode);
      c.batch_per_gpu = 3;
      c.two_micro_batch_overlap = overlap;
      c.steps = 2;
      std::atomic<std::uint64_t> progress{0};
      c.progress = &progress;
      const DecodeWork work = estimate_decode_work(model, fabric, c);
      const DecodeMetrics metrics = simulate_decode(model, round_gpu(), fabric, c);
      EXPECT_GE(work.messages, static_cast<double>(metrics.messages));
      EXPECT_EQ(progress.load(), work.progress_units);
      EXPECT_EQ(work.progress_units, 2u * 3u * (overlap ? 2u : 1u));
      EXPECT_LT(work.memory_bytes, kMaxMemoryBytes);
    }
}

std::string refusal(const ModelSpec& model, const topology::Fabric& fabric, const DecodeConfig& c,
                    std::string& key) {
  try {
    validate_decode_config(model, round_gpu(), fabric, c);
  } catch (const InvalidDecodeConfig& error) {
    key = error.key();
    return error.what();
  }
  key.clear();
  return "accepted";
}

// Each count is within its range, but the product is not: refused before simulating, at the key
// that drives it, with how much it would take.
TEST(DecodeWork, ProductsTooLargeAreRefusedAtTheKeyThatDrivesThem) {
  const topology::Fabric fabric = tiny_fabric();
  const ModelSpec model = tiny_model(4, 3, 1);
  std::string key;
  DecodeConfig steps = config(4, DispatchMode::Direct);
  steps.steps = 4'000'000'000u;
  EXPECT_NE(refusal(model, fabric, steps, key).find("messages"), std::string::npos);
  EXPECT_EQ(key, "steps");

  GpuSpec huge = round_gpu();
  huge.hbm_bytes = 1e15;
  DecodeConfig batch = config(4, DispatchMode::Direct);
  batch.context_tokens = 1;
  batch.batch_per_gpu = 1'000'000'000u;
  try {
    validate_decode_config(model, huge, fabric, batch);
    ADD_FAILURE() << "a batch of a billion per GPU was accepted";
  } catch (const InvalidDecodeConfig& error) {
    EXPECT_EQ(error.key(), "batch_per_gpu");
    EXPECT_NE(std::string(error.what()).find("(token, expert) copies"), std::string::npos)
        << error.what();
  }

  // A model so wide that one step's bytes over the slowest link (10 GB/s) outlast simulated time.
  ModelSpec wide = model;
  wide.hidden = 100'000'000;
  DecodeConfig bytes = config(4, DispatchMode::Direct);
  bytes.dispatch_bytes_per_element = 16;
  bytes.combine_bytes_per_element = 16;
  bytes.batch_per_gpu = 100'000;
  bytes.memory_reserve_fraction = 0;
  try {
    check_decode_work(wide, fabric, bytes);
    ADD_FAILURE() << "accepted";
  } catch (const InvalidDecodeConfig& error) {
    EXPECT_EQ(error.key(), "fabric") << error.what();
    EXPECT_NE(std::string(error.what()).find("of simulated time"), std::string::npos)
        << error.what();
  }
}

// NaN and infinity fail every numeric field's check (a NaN reserve used to skip the memory check).
TEST(DecodeWork, NotANumberFailsEveryNumericField) {
  const topology::Fabric fabric = tiny_fabric();
  const ModelSpec model = tiny_model(4);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::string key;
  for (const double bad : {nan, inf, -inf}) {
    auto check = [&](auto set, const std::string& expected) {
      DecodeConfig c = config(4, DispatchMode::Direct);
      set(c);
      EXPECT_NE(refusal(model, fabric, c, key), "accepted") << expected << " = " << bad;
      EXPECT_EQ(key, expected);
    };
    check([&](DecodeConfig& c) { c.memory_reserve_fraction = bad; }, "memory_reserve_fraction");
    check([&](DecodeConfig& c) { c.mtp_acceptance = bad; }, "mtp_acceptance");
    check([&](DecodeConfig& c) { c.zipf_exponent = bad; }, "zipf_exponent");
    check([&](DecodeConfig& c) { c.dispatch_bytes_per_element = bad; },
          "dispatch_bytes_per_element");
    check([&](DecodeConfig& c) { c.combine_bytes_per_element = bad; }, "combine_bytes_per_element");
    check([&](DecodeConfig& c) { c.compute_efficiency = bad; }, "compute_efficiency");
    check([&](DecodeConfig& c) { c.calibration.bandwidth_fraction[0] = bad; }, "calibration");
  }
}

// The fast network's warning (docs/fast-network.md): only where the corpus measured a case off the
// bounds — epochs sparser than 0.1 on an ideal-fluid all-to-all over 8 or more scale-up domains,
// sparser than 0.2 elsewhere.
TEST(DecodeStep, FastNetworkWarnsOnlyWhereItsP99IsKnownToStray) {
  auto fabric_of = [](int servers) {
    std::string text = kTinyFabric;
    text.replace(text.find("servers: 2"), 10, "servers: " + std::to_string(servers));
    return topology::load_fabric(input::Mapping::load_string(text, "tiny.yaml"));
  };
  const topology::Fabric eight = fabric_of(8), four = fabric_of(4), two = fabric_of(2);
  auto warning = [&](const topology::Fabric& fabric, std::optional<double> fraction,
                     bool calibrated, DispatchMode mode = DispatchMode::Direct) {
    DecodeConfig c = config(fabric.gpu_count(), mode);
    c.network = NetworkKind::Fast;
    c.fast_epoch_fraction = fraction;
    if (calibrated) c.calibration.dispatch_phase_overhead = sim::Picoseconds{1'000'000};
    return simulate_decode(tiny_model(fabric.gpu_count()), round_gpu(), fabric, c).network_warning;
  };
  // The default (unset) never warns: it is the class's measured fraction.
  EXPECT_EQ(DecodeConfig{}.fast_epoch_fraction, std::nullopt);
  for (const topology::Fabric* fabric : {&eight, &four, &two})
    for (bool calibrated : {false, true})
      EXPECT_EQ(warning(*fabric, std::nullopt, calibrated), "") << calibrated;
  const std::string sparse = warning(eight, 0.2, false);
  EXPECT_NE(sparse.find("fast_epoch_fraction 0.2 on an ideal-fluid all-to-all over 8 scale-up"),
            std::string::npos)
      << sparse;
  EXPECT_EQ(warning(eight, 0.2, true), "");
  // Over 4 to 7 domains the ideal fluid's default is 0.05 (held-out round 6: dispatch p99).
  const std::string few = warning(four, 0.1, false);
  EXPECT_NE(few.find("fast_epoch_fraction 0.1 on an ideal-fluid all-to-all over 4 scale-up"),
            std::string::npos)
      << few;
  EXPECT_NE(few.find("dispatch p99 up to ~19 %"), std::string::npos) << few;
  EXPECT_EQ(warning(four, 0.05, false), "");
  EXPECT_EQ(warning(four, 0.2, true), "");
  EXPECT_EQ(warning(two, 0.2, false), "");
  // With node-dedup over 4 to 7 domains the ideal fluid warns at any fraction (held-out rounds 6
  // and 7: the dispatch p99 on HGX B200 servers); calibrated, over 2 domains or direct it does not.
  const std::string dedup = warning(four, std::nullopt, false, DispatchMode::NodeDedup);
  EXPECT_NE(dedup.find("node-dedup over 4 scale-up domains"), std::string::npos) << dedup;
  EXPECT_NE(dedup.find("dispatch p99 was measured up to ~20 %"), std::string::npos) << dedup;
  EXPECT_EQ(warning(four, 0.05, false, DispatchMode::NodeDedup), dedup);
  EXPECT_EQ(warning(four, std::nullopt, true, DispatchMode::NodeDedup), "");
  EXPECT_EQ(warning(two, std::nullopt, false, DispatchMode::NodeDedup), "");
  // Two warnings at once are joined.
  const std::string both = warning(four, 0.2, false, DispatchMode::NodeDedup);
  EXPECT_NE(both.find("over 4 scale-up domains: sparser epochs than 0.05"), std::string::npos)
      << both;
  EXPECT_NE(both.find("; and network: fast on an ideal-fluid all-to-all with node-dedup"),
            std::string::npos)
      << both;
  // Above 0.2 every class warns.
  const std::string sparser = warning(four, 0.4, true);
  EXPECT_NE(sparser.find("fast_epoch_fraction 0.4: sparser epochs than 0.2"), std::string::npos)
      << sparser;
}

// Two-batch overlap with node-dedup over several scale-up domains: exact max-min itself moves by
// more than the bounds when every dispatch is 1 ns later, and the fast network says so at its
// default fraction; not with one of the three conditions missing, nor under exact max-min.
TEST(DecodeStep, FastNetworkWarnsWhereExactMaxMinIsItselfThatSensitive) {
  const topology::Fabric fabric = tiny_fabric();  // 2 servers of 2 GPUs
  auto warning = [&](std::uint32_t ep_size, DispatchMode mode, bool overlap, NetworkKind network) {
    DecodeConfig c = config(ep_size, mode);
    c.batch_per_gpu = 2;
    c.two_micro_batch_overlap = overlap;
    c.network = network;
    return simulate_decode(tiny_model(fabric.gpu_count()), round_gpu(), fabric, c).network_warning;
  };
  const std::string chaotic = warning(4, DispatchMode::NodeDedup, true, NetworkKind::Fast);
  EXPECT_NE(chaotic.find("two-batch overlap with node-dedup over 2 scale-up domains"),
            std::string::npos)
      << chaotic;
  EXPECT_NE(chaotic.find("when every dispatch started 1 to 5 ns later"), std::string::npos)
      << chaotic;
  EXPECT_EQ(warning(4, DispatchMode::NodeDedup, false, NetworkKind::Fast), "");
  EXPECT_EQ(warning(4, DispatchMode::Direct, true, NetworkKind::Fast), "");
  EXPECT_EQ(warning(2, DispatchMode::NodeDedup, true, NetworkKind::Fast), "");  // one server
  EXPECT_EQ(warning(4, DispatchMode::NodeDedup, true, NetworkKind::Flow), "");
}

// A later dispatch is a larger fixed cost per dispatch, nothing else.
TEST(DecodeConfig, LaterDispatchesAddToTheDispatchPhaseOverhead) {
  DecodeConfig c = config(4, DispatchMode::Direct);
  c.calibration.dispatch_phase_overhead = sim::Picoseconds{5'000};
  const DecodeConfig later = with_later_dispatches(c, sim::Picoseconds{1'000});
  EXPECT_EQ(later.calibration.dispatch_phase_overhead, sim::Picoseconds{6'000});
  EXPECT_EQ(later.calibration.combine_phase_overhead, c.calibration.combine_phase_overhead);
  EXPECT_EQ(later.ep_size, 4u);
}

// Unset, the fast network's epoch fraction follows the step's class: 0.1 on an ideal-fluid
// all-to-all over 8 or more scale-up domains, 0.05 on one over 4 to 7, 0.2 otherwise; a set
// fraction is kept as it is.
TEST(DecodeConfig, FastEpochFractionDefaultsByTheStepsClass) {
  DecodeConfig ideal;
  EXPECT_EQ(fast_epoch_fraction_for(ideal, 8), 0.1);
  EXPECT_EQ(fast_epoch_fraction_for(ideal, 18), 0.1);
  EXPECT_EQ(fast_epoch_fraction_for(ideal, 7), 0.05);
  EXPECT_EQ(fast_epoch_fraction_for(ideal, 4), 0.05);
  EXPECT_EQ(fast_epoch_fraction_for(ideal, 3), 0.2);
  EXPECT_EQ(fast_epoch_fraction_for(ideal, 1), 0.2);
  DecodeConfig few_calibrated;
  few_calibrated.calibration.bandwidth_fraction[1] = 0.9;
  EXPECT_EQ(fast_epoch_fraction_for(few_calibrated, 4), 0.2);
  DecodeConfig calibrated;
  calibrated.calibration.message_overhead[0] = sim::Picoseconds{1};
  EXPECT_EQ(fast_epoch_fraction_for(calibrated, 18), 0.2);
  calibrated.calibration.message_overhead[0] = sim::Picoseconds{0};
  calibrated.calibration.bandwidth_fraction[1] = 0.9;
  EXPECT_EQ(fast_epoch_fraction_for(calibrated, 18), 0.2);
  ideal.fast_epoch_fraction = 0.05;
  EXPECT_EQ(fast_epoch_fraction_for(ideal, 18), 0.05);
  ideal.fast_epoch_fraction = 0;
  EXPECT_EQ(fast_epoch_fraction_for(ideal, 1), 0);
}

// The domains a step spans, known before it runs: 8 GPUs per HGX server.
TEST(DecodeConfig, SpannedDomainsCountTheServersOfTheEpGroup) {
  const topology::Fabric fabric = topology::load_fabric_file(std::string(MOESIM_SOURCE_DIR) +
                                                             "/configs/fabrics/hgx-h200x9.yaml");
  EXPECT_EQ(spanned_domains(fabric, 1), 1u);
  EXPECT_EQ(spanned_domains(fabric, 8), 1u);
  EXPECT_EQ(spanned_domains(fabric, 9), 2u);
  EXPECT_EQ(spanned_domains(fabric, 64), 8u);
  EXPECT_EQ(spanned_domains(fabric, 72), 9u);
}

}  // namespace
}  // namespace moesim::workloads
