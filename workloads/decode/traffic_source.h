#pragma once
// Where the EP group's GPUs sit (scale-up domains) and the gating of every MoE layer: the expert
// layout and gate per layer, and each (step, layer, micro-batch)'s traffic drawn from its own
// random stream, so the traffic does not depend on the order in which layers are simulated — nor
// on the thread that computes it: prefetch() moves the gating to a second core, ahead of the
// simulation, with the same results. Internal to moesim_workloads.
#include <cstdint>
#include <memory>
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
  ~TrafficSource();  // stops and joins the prefetching thread, if any
  TrafficSource(const TrafficSource&) = delete;
  TrafficSource& operator=(const TrafficSource&) = delete;

  // The traffic of one (layer, micro-batch) of one step with `tokens_per_gpu` tokens on each GPU.
  LayerTraffic layer(std::uint32_t step, std::uint32_t layer, std::uint32_t micro_batch,
                     std::uint32_t tokens_per_gpu) const;

  // Starts one thread that computes the traffic of every MoE (layer, micro-batch) of `steps`
  // steps in simulation order, at most kLookahead runs ahead of the oldest one not yet taken
  // (micro-batch m has tokens_per_micro_batch[m] tokens on each GPU).
  static constexpr std::size_t kLookahead = 4;
  void prefetch(std::uint32_t steps, const std::vector<bool>& moe_layer,
                const std::vector<std::uint32_t>& tokens_per_micro_batch);
  // layer(), from the prefetching thread when prefetch() was called (waiting for it if it is
  // behind; its exception, if any, is rethrown here), else computed now.
  LayerTraffic take(std::uint32_t step, std::uint32_t layer, std::uint32_t micro_batch,
                    std::uint32_t tokens_per_gpu);

 private:
  class Prefetcher;

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
  std::unique_ptr<Prefetcher> prefetcher_;
};

}  // namespace moesim::workloads::decode
