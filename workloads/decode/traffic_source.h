#pragma once
// Where the EP group's GPUs sit (scale-up domains) and the gating of every MoE layer: the expert
// layout and gate per layer, and each (step, layer, micro-batch)'s traffic drawn from its own
// random stream, so the traffic does not depend on the order in which layers are simulated.
// Internal to moesim_workloads.
#include <cstdint>
#include <vector>

#include "topology/fabric.h"
#include "workloads/decode_config.h"
#include "workloads/gating.h"
#include "workloads/model.h"

namespace moesim::workloads::decode {

// The scale-up domains spanned by GPUs 0 .. ep_size-1, numbered densely in order of appearance.
struct EpDomains {
  EpDomains(const topology::Fabric& fabric, std::uint32_t ep_size);
  std::uint32_t count() const { return static_cast<std::uint32_t>(gpus_of_domain.size()); }
  // NodeDedup's relay for source -> destination (workloads/gating.h, relay_gpu).
  std::uint32_t relay(std::uint32_t source, std::uint32_t destination) const {
    return relay_gpu(source, destination, domain_of, local_rank, gpus_of_domain);
  }
  bool same_domain(std::uint32_t a, std::uint32_t b) const { return domain_of[a] == domain_of[b]; }

  std::vector<std::uint32_t> domain_of, local_rank;
  std::vector<std::vector<std::uint32_t>> gpus_of_domain;
};

class TrafficSource {
 public:
  // `layers` = the model's layers plus the MTP modules simulated (each has its own gating when
  // popularity is skewed).
  TrafficSource(const ModelSpec& model, const DecodeConfig& config, const EpDomains& domains,
                std::uint32_t layers);

  // The traffic of one (layer, micro-batch) of one step with `tokens_per_gpu` tokens on each GPU.
  LayerTraffic layer(std::uint32_t step, std::uint32_t layer, std::uint32_t micro_batch,
                     std::uint32_t tokens_per_gpu) const;

 private:
  const ExpertLayout& layout_of(std::uint32_t layer) const {
    return layouts_.size() == 1 ? layouts_[0] : layouts_[layer];
  }
  const Gate& gate_of(std::uint32_t layer) const {
    return gates_.size() == 1 ? gates_[0] : gates_[layer];
  }

  const EpDomains& domains_;
  std::uint32_t gpus_;
  std::uint64_t gating_seed_;
  std::vector<ExpertLayout> layouts_;  // one (uniform popularity) or one per layer
  std::vector<Gate> gates_;
};

}  // namespace moesim::workloads::decode
