#include "workloads/decode.h"

#include "workloads/decode/decode_step.h"
#include "workloads/decode/step_metrics.h"
#include "workloads/memory.h"

namespace moesim::workloads {

DecodeMetrics simulate_decode(const ModelSpec& model, const GpuSpec& gpu,
                              const topology::Fabric& fabric, const DecodeConfig& config) {
  validate_decode_config(model, gpu, fabric, config);
  const std::uint32_t moe_layers = model.moe_layer_count();
  const std::uint32_t sampled = config.sampled_moe_layers;
  DecodeMetrics metrics;
  if (sampled == 0 || sampled >= moe_layers) {
    metrics = decode::DecodeStep(model, gpu, fabric, config).run();
    metrics.simulated_moe_layers = moe_layers;
  } else {
    ModelSpec truncated = model;
    truncated.layers = model.dense_layers + sampled;
    decode::DecodeStep step(truncated, gpu, fabric, config);
    metrics = step.run();
    decode::extrapolate_to_full_step(metrics, step.moe_layer_period(), sampled, moe_layers,
                                     config.batch_per_gpu);
  }
  metrics.memory = gpu_memory(model, gpu, config);
  return metrics;
}

}  // namespace moesim::workloads
