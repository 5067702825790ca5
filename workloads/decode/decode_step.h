#pragma once
// One simulated decode run: every GPU of the EP group runs its layers' kernels on its compute
// stream (attention -> shared experts | dispatch -> routed experts -> combine -> next layer, then
// the head), the all-to-all goes through the network model, and the step ends when every GPU has
// run its head. Internal to moesim_workloads; simulate_decode (workloads/decode.h) is the API.
#include <cstdint>
#include <memory>
#include <vector>

#include "network/network_model.h"
#include "sim/engine.h"
#include "topology/fabric.h"
#include "workloads/compute.h"
#include "workloads/decode/all_to_all.h"
#include "workloads/decode/compute_stream.h"
#include "workloads/decode/step_metrics.h"
#include "workloads/decode/traffic_source.h"
#include "workloads/decode_config.h"
#include "workloads/decode_metrics.h"
#include "workloads/hardware.h"
#include "workloads/model.h"

namespace moesim::workloads::decode {

class DecodeStep final : public sim::EventHandler, public AllToAllListener {
 public:
  // `model` may be a truncated sample of the full model's MoE layers (sampled_moe_layers); memory
  // is the caller's to report.
  DecodeStep(const ModelSpec& model, const GpuSpec& gpu, const topology::Fabric& fabric,
             const DecodeConfig& config);
  ~DecodeStep();

  // Runs config.steps steps; throws std::logic_error if a step ends with work left undone.
  DecodeMetrics run();
  sim::Picoseconds moe_layer_period() const { return recorder_.moe_layer_period(); }

  void on_event(sim::Engine& engine, std::uint64_t gpu) override;  // a compute task ended
  void dispatch_complete(std::uint32_t layer, std::uint32_t micro_batch, std::uint32_t gpu,
                         const LayerTraffic& traffic) override;
  void combine_complete(std::uint32_t layer, std::uint32_t micro_batch, std::uint32_t gpu) override;

 private:
  void start_step();
  void task_done(std::uint32_t gpu);
  void attention_done(std::uint32_t gpu, const Task& task);
  void advance(std::uint32_t gpu, std::uint32_t layer, std::uint32_t micro_batch);
  Task attention_task(std::uint32_t layer, std::uint32_t micro_batch) const;
  sim::Picoseconds kernel_time(const KernelWork& work) const;
  std::uint32_t tokens(std::uint32_t micro_batch) const {
    return requests_[micro_batch] * tokens_per_request_;
  }
  bool is_moe(std::uint32_t layer) const {
    return layer >= model_.layers || model_.is_moe_layer(layer);
  }

  const ModelSpec& model_;
  const topology::Fabric& fabric_;
  const DecodeConfig& config_;
  ComputeModel compute_;
  std::uint32_t gpus_;
  std::uint32_t micro_batches_;
  std::uint32_t tokens_per_request_;
  std::uint32_t total_layers_;           // model layers + MTP modules
  std::vector<std::uint32_t> requests_;  // per micro-batch
  sim::Engine engine_;
  sim::HandlerId handler_;
  StepRecorder recorder_;
  EpDomains domains_;
  TrafficSource traffic_;
  ComputeStreams streams_;
  AllToAll all_to_all_;
  std::unique_ptr<network::NetworkModel> network_;
  std::vector<network::TierActivity> tier_activity_;  // when record_timeline
  std::vector<std::uint8_t> finished_;                // [micro_batch * gpus + gpu]: head done
};

}  // namespace moesim::workloads::decode
