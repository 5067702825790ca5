// Parameter and KV-cache derivations against published figures; hardware files load.
#include "workloads/model.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <ostream>
#include <string>

#include "input/mapping.h"
#include "workloads/hardware.h"

namespace moesim::workloads {
namespace {

std::string model_path(const std::string& file) {
  return std::string(MOESIM_SOURCE_DIR) + "/configs/models/" + file;
}
std::string gpu_path(const std::string& file) {
  return std::string(MOESIM_SOURCE_DIR) + "/configs/hardware/" + file;
}

double relative_error(double derived, double published) {
  return std::abs(derived / published - 1.0);
}

struct Published {
  const char* file;
  double active_tolerance;  // 2 % except where documented
};

void PrintTo(const Published& published, std::ostream* out) {
  *out << published.file;
}

class ModelTotals : public ::testing::TestWithParam<Published> {};

TEST_P(ModelTotals, TotalAndActiveWithinTolerance) {
  const ModelSpec m = load_model_file(model_path(GetParam().file));
  ASSERT_GT(m.published_total_parameters, 0);
  EXPECT_LT(relative_error(m.total_parameters(), m.published_total_parameters), 0.02)
      << m.name << " total " << m.total_parameters() / 1e9 << "B";
  if (m.published_active_parameters > 0) {
    EXPECT_LT(relative_error(m.active_parameters(), m.published_active_parameters),
              GetParam().active_tolerance)
        << m.name << " active " << m.active_parameters() / 1e9 << "B";
  }
  EXPECT_NEAR(m.shared_trunk_parameters() + m.routed_expert_parameters(), m.total_parameters(),
              1.0);
  EXPECT_GT(m.shared_trunk_fraction(), 0.0);
  EXPECT_LT(m.shared_trunk_fraction(), 0.06);
}

// Qwen3.5's active figure is the rounded name "A17B": the closest convention derives 17.35B
// (+2.06 %), documented in docs/workloads.md; every other model is held to 2 %.
INSTANTIATE_TEST_SUITE_P(
    Catalogue, ModelTotals,
    ::testing::Values(Published{"deepseek-v3.yaml", 0.02}, Published{"kimi-k2.yaml", 0.02},
                      Published{"glm-4.5.yaml", 0.02}, Published{"qwen3-235b-a22b.yaml", 0.02},
                      Published{"glm-5.yaml", 0.02}, Published{"qwen3.5-397b-a17b.yaml", 0.025},
                      Published{"deepseek-v4-pro.yaml", 0.02},
                      Published{"deepseek-v4-flash.yaml", 0.02}),
    [](const ::testing::TestParamInfo<Published>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find(".yaml"));
      for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return name;
    });

// DeepSeek-V3 by hand (config_671B.json):
//  embedding = head = 129280 x 7168 = 926,679,040
//  MLA per layer: q_a 7168x1536 = 11,010,048 (+1536 norm); q_b 1536 x 128 x 192 = 37,748,736;
//    kv_a 7168 x 576 = 4,128,768 (+512 norm); kv_b 512 x 128 x 256 = 16,777,216; o 128 x 128 x 7168
//    = 117,440,512; + 2 x 7168 block norms -> 187,121,664
//  dense FFN 3 x 7168 x 18432 = 396,361,728; expert 3 x 7168 x 2048 = 44,040,192; router 256 x 7168
//  total = 2 x 926,679,040 + 7168 + 61 x 187,121,664 + 3 x 396,361,728
//          + 58 x (257 x 44,040,192 + 1,835,008) = 671,026,404,352
TEST(DeepSeekV3, ExactParameterCountsAndKvCache) {
  const ModelSpec m = load_model_file(model_path("deepseek-v3.yaml"));
  EXPECT_DOUBLE_EQ(m.attention_parameters(0), 187'121'664.0);
  EXPECT_DOUBLE_EQ(m.routed_expert_parameters_each(), 44'040'192.0);
  EXPECT_DOUBLE_EQ(m.total_parameters(), 671'026'404'352.0);
  // Active (excluding the input embedding): total - embedding - 58 x 248 x 44,040,192
  EXPECT_DOUBLE_EQ(m.active_parameters(),
                   671'026'404'352.0 - 926'679'040.0 - 58.0 * 248.0 * 44'040'192.0);
  // arXiv:2505.09343 (deepseek_v3.kv_cache_per_token_kb): (512 + 64) x 61 layers x 2 bytes = 70,272
  // B
  EXPECT_DOUBLE_EQ(m.kv_cache_bytes_per_token(), 70'272.0);
  EXPECT_EQ(m.moe_layer_count(), 58u);
  EXPECT_EQ(m.routed_experts(), 256u);
  EXPECT_EQ(m.experts_per_token(), 8u);
  EXPECT_EQ(m.hidden_size(), 7168u);
  // MTP (excluded from 671B; README_WEIGHTS: 14B incl. the shared embedding and head, 11.5B
  // unique): one MoE block 187,121,664 + 257 x 44,040,192 + 1,835,008 plus 2 x 7168^2 + 3 x 7168
  // projection/norms
  EXPECT_DOUBLE_EQ(m.mtp_parameters(), 187'121'664.0 + 257.0 * 44'040'192.0 + 1'835'008.0 +
                                           2.0 * 7168 * 7168 + 3.0 * 7168);
}

TEST(KvCache, GqaAndHybridFormulas) {
  // GLM-4.5: 2 x 8 KV heads x 128 x 92 layers x 2 bytes = 376,832 B per token
  EXPECT_DOUBLE_EQ(load_model_file(model_path("glm-4.5.yaml")).kv_cache_bytes_per_token(),
                   376'832.0);
  // Qwen3.5: only the 15 full-attention layers: 2 x 2 x 256 x 15 x 2 = 30,720 B per token; the 45
  // linear layers keep 64 x 128 x 128 state + 3 x (2 x 2048 + 8192) conv cache each: 45 x 1,085,440
  // x 2 bytes
  const ModelSpec qwen = load_model_file(model_path("qwen3.5-397b-a17b.yaml"));
  EXPECT_DOUBLE_EQ(qwen.kv_cache_bytes_per_token(), 30'720.0);
  EXPECT_DOUBLE_EQ(qwen.state_bytes_per_request(), 45.0 * (64.0 * 128 * 128 + 3.0 * 12288) * 2.0);
  // GLM-5 (MLA + DSA indexer key): (512 + 64 + 128) x 78 x 2 = 109,824 B
  EXPECT_DOUBLE_EQ(load_model_file(model_path("glm-5.yaml")).kv_cache_bytes_per_token(), 109'824.0);
}

TEST(ModelLoader, RejectsUnknownKeysAndBadRouting) {
  const std::string base =
      "name: x\nsource: s\nlayers: 2\nhidden_size: 64\nexpert_intermediate_size: 32\n"
      "routed_experts: 8\nexperts_per_token: 2\nvocab_size: 100\n"
      "active_parameter_convention: all\nattention: {kind: gqa, heads: 2, kv_heads: 1, head_dim: "
      "32}\n";
  EXPECT_NO_THROW(load_model(input::Mapping::load_string(base, "ok.yaml")));
  EXPECT_THROW(load_model(input::Mapping::load_string(base + "layerz: 3\n", "typo.yaml")),
               input::InputError);
  EXPECT_THROW(load_model(input::Mapping::load_string(base + "expert_groups: 3\n", "groups.yaml")),
               input::InputError);
  try {
    load_model(
        input::Mapping::load_string(base + "expert_groups: 4\ngroups_per_token: 5\n", "m.yaml"));
    FAIL() << "expected InputError";
  } catch (const input::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("m.yaml"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("groups_per_token"), std::string::npos)
        << error.what();
  }
}

TEST(Hardware, CatalogueLoadsWithCitedNumbers) {
  const GpuSpec h200 = load_gpu_file(gpu_path("h200-sxm.yaml"));
  EXPECT_DOUBLE_EQ(h200.hbm_bytes, 141e9);
  EXPECT_DOUBLE_EQ(h200.hbm_bandwidth_bytes_per_second, 4.8e12);
  EXPECT_DOUBLE_EQ(h200.bf16_flops_per_second, 989e12);
  EXPECT_DOUBLE_EQ(h200.fp8_flops_per_second, 1979e12);
  EXPECT_DOUBLE_EQ(h200.fp4_flops_per_second, 0);
  EXPECT_DOUBLE_EQ(h200.power_watts, 700);
  EXPECT_DOUBLE_EQ(h200.peak_flops_for_weight_bytes(0.5),
                   1979e12);  // FP4 weights run at FP8 on Hopper
  const GpuSpec gb300 = load_gpu_file(gpu_path("gb300.yaml"));
  EXPECT_DOUBLE_EQ(gb300.fp4_flops_per_second, 15000e12);
  EXPECT_DOUBLE_EQ(gb300.peak_flops_for_weight_bytes(0.5), 15000e12);
  const GpuSpec ascend = load_gpu_file(gpu_path("ascend-910c.yaml"));
  EXPECT_DOUBLE_EQ(ascend.fp8_flops_per_second, 0);
  EXPECT_DOUBLE_EQ(ascend.peak_flops_for_weight_bytes(1.0), 752e12);  // no FP8: BF16 rate
  for (const char* file : {"h100-sxm.yaml", "h800-sxm.yaml", "h20.yaml", "b200-sxm.yaml",
                           "gb200.yaml", "rubin-vr200.yaml"})
    EXPECT_NO_THROW(load_gpu_file(gpu_path(file))) << file;
  EXPECT_THROW(
      load_gpu(input::Mapping::load_string("name: x\nsource: s\nhbm_capacity: \"1 GB/s\"\n"
                                           "hbm_bandwidth: \"1 TB/s\"\nbf16_dense: \"1 TFLOP/s\"\n",
                                           "bad.yaml")),
      input::InputError);
}

}  // namespace
}  // namespace moesim::workloads
