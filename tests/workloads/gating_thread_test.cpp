// Gating on a second thread (DecodeConfig::prefetch_gating) gives exactly the results of inline
// gating: the traffic of a (step, layer, micro-batch) is a pure function of its seed. Label
// `concurrent`: also run under ThreadSanitizer (tools/test.sh).
#include <gtest/gtest.h>

#include <string>

#include "topology/builders.h"
#include "workloads/decode.h"

namespace moesim::workloads {
namespace {

const std::string kConfigs = std::string(MOESIM_SOURCE_DIR) + "/configs/";

DecodeMetrics run(bool prefetch, bool overlap) {
  static const ModelSpec full = load_model_file(kConfigs + "models/deepseek-v3.yaml");
  static const GpuSpec gpu = load_gpu_file(kConfigs + "hardware/h200-sxm.yaml");
  static const topology::Fabric fabric =
      topology::load_fabric_file(kConfigs + "fabrics/hgx-h200x9.yaml");
  ModelSpec model = full;
  model.layers = model.dense_layers + 4;  // four MoE layers keep it short under TSan
  DecodeConfig config;
  config.ep_size = 16;
  config.batch_per_gpu = 8;
  config.context_tokens = 1024;
  config.two_micro_batch_overlap = overlap;
  config.network = NetworkKind::Analytic;
  config.steps = 2;
  config.prefetch_gating = prefetch;
  return simulate_decode(model, gpu, fabric, config);
}

TEST(GatingThread, SameResultsAsInlineGating) {
  for (bool overlap : {false, true}) {
    const DecodeMetrics inline_gating = run(false, overlap);
    const DecodeMetrics threaded = run(true, overlap);
    EXPECT_EQ(threaded.step_time_us, inline_gating.step_time_us) << overlap;
    EXPECT_EQ(threaded.dispatch_per_gpu.p99_us, inline_gating.dispatch_per_gpu.p99_us);
    EXPECT_EQ(threaded.combine.mean_us, inline_gating.combine.mean_us);
    EXPECT_EQ(threaded.expert.max_us, inline_gating.expert.max_us);
    EXPECT_EQ(threaded.dispatch_bytes, inline_gating.dispatch_bytes);
    EXPECT_EQ(threaded.messages, inline_gating.messages);
    EXPECT_EQ(threaded.simulated_events, inline_gating.simulated_events);
  }
}

}  // namespace
}  // namespace moesim::workloads
