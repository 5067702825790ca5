// The one memory rule (workloads/memory.h) on DeepSeek-V3 and H200, worked out by hand.
#include "workloads/memory.h"

#include <gtest/gtest.h>

#include <string>

#include "workloads/hardware.h"
#include "workloads/model.h"

namespace moesim::workloads {
namespace {

const std::string kConfigs = std::string(MOESIM_SOURCE_DIR) + "/configs/";

// One routed expert of DeepSeek-V3: 3 x 7168 x 2048 = 44,040,192 parameters (FP8: bytes).
constexpr double kExpertBytes = 3.0 * 7168 * 2048;
// Per request and token: 8 routed copies x (7168 + 56 x 4 B FP8 dispatch + 7168 x 2 B BF16
// combine).
constexpr double kActivationBytesPerToken = 8.0 * (7392 + 14336);

class DeepSeekOnH200 : public ::testing::Test {
 protected:
  ModelSpec model = load_model_file(kConfigs + "models/deepseek-v3.yaml");
  GpuSpec gpu = load_gpu_file(kConfigs + "hardware/h200-sxm.yaml");
  DecodeConfig config = [] {
    DecodeConfig c;
    c.ep_size = 72;
    c.batch_per_gpu = 64;
    c.context_tokens = 4096;
    c.memory_reserve_fraction = 0.1;
    return c;
  }();
};

TEST_F(DeepSeekOnH200, WeightsKvActivationsAndReserve) {
  const GpuMemory m = gpu_memory(model, gpu, config);
  // ceil(256 / 72) = 4 slots in each of the 58 MoE layers, next to the replicated FP8 trunk.
  EXPECT_EQ(m.expert_slots, 4u);
  EXPECT_DOUBLE_EQ(m.weight_bytes, model.shared_trunk_parameters() + 58.0 * 4 * kExpertBytes);
  // 64 requests x 4096 tokens x 70,272 B (deepseek_v3.kv_cache_per_token_kb).
  EXPECT_DOUBLE_EQ(m.kv_cache_bytes, 64.0 * 4096 * 70'272);
  EXPECT_DOUBLE_EQ(m.activation_bytes, 64.0 * kActivationBytesPerToken);  // 11,124,736 B
  EXPECT_DOUBLE_EQ(m.reserved_bytes, 14.1e9);
  EXPECT_DOUBLE_EQ(m.headroom_bytes(),
                   141e9 - 14.1e9 - m.weight_bytes - m.kv_cache_bytes - m.activation_bytes);
}

TEST_F(DeepSeekOnH200, MtpDraftingHoldsTheMtpModuleAndItsBuffers) {
  const GpuMemory plain = gpu_memory(model, gpu, config);
  config.mtp_draft_tokens = 1;
  const GpuMemory drafting = gpu_memory(model, gpu, config);
  // The module's trunk (its block without the routed experts, the projection and norms) and 4 of
  // its 256 experts; the step's buffers hold 2 tokens per request.
  const double mtp_trunk = model.mtp_parameters() - 256.0 * kExpertBytes;
  EXPECT_DOUBLE_EQ(drafting.weight_bytes - plain.weight_bytes, mtp_trunk + 4.0 * kExpertBytes);
  EXPECT_DOUBLE_EQ(drafting.activation_bytes, 2 * plain.activation_bytes);
  EXPECT_DOUBLE_EQ(drafting.kv_cache_bytes, plain.kv_cache_bytes);
}

TEST_F(DeepSeekOnH200, LargestBatchIsTheLastThatFits) {
  const std::uint32_t largest = largest_batch_per_gpu(model, gpu, config);
  config.batch_per_gpu = 0;
  const double free_bytes = gpu_memory(model, gpu, config).headroom_bytes();
  // Each request costs its KV cache and its all-to-all buffers.
  const double per_request = 4096.0 * 70'272 + kActivationBytesPerToken;
  EXPECT_EQ(largest, static_cast<std::uint32_t>(free_bytes / per_request));
  config.batch_per_gpu = largest;
  EXPECT_TRUE(gpu_memory(model, gpu, config).fits());
  config.batch_per_gpu = largest + 1;
  EXPECT_FALSE(gpu_memory(model, gpu, config).fits());
  config.ep_size = 8;  // 32 slots x 58 layers of experts: 82 GB + trunk, still fits at 4096
  config.context_tokens = 1'000'000;
  EXPECT_EQ(largest_batch_per_gpu(model, gpu, config), 0u);
}

TEST(MaxParameters, TwoPrecisions) {
  // FP8 trunk, FP4 experts: 141e9 / (0.05 + 0.5 x 0.95 / 8) = 141e9 / 0.109375 = 1,289.14e9.
  EXPECT_NEAR(max_parameters(141e9, 1, 0.5, 0.05, 8) / 1e9, 1289.1429, 1e-4);
  // As N grows the trunk alone caps the model: M / (b_t d).
  EXPECT_NEAR(max_parameters(141e9, 1, 1, 0.05, 1e12) / 1e9, 2820, 1e-3);
}

}  // namespace
}  // namespace moesim::workloads
