#include "workloads/decode/traffic_source.h"

#include "sim/rng.h"

namespace moesim::workloads::decode {

EpDomains::EpDomains(const topology::Fabric& fabric, std::uint32_t ep_size)
    : domain_of(ep_size), local_rank(ep_size) {
  std::vector<std::int64_t> dense_index(fabric.domain_count(), -1);
  for (std::uint32_t g = 0; g < ep_size; ++g) {
    const std::uint32_t fabric_domain = fabric.domain_of(g);
    if (dense_index[fabric_domain] < 0) {
      dense_index[fabric_domain] = static_cast<std::int64_t>(gpus_of_domain.size());
      gpus_of_domain.emplace_back();
    }
    domain_of[g] = static_cast<std::uint32_t>(dense_index[fabric_domain]);
    local_rank[g] = static_cast<std::uint32_t>(gpus_of_domain[domain_of[g]].size());
    gpus_of_domain[domain_of[g]].push_back(g);
  }
}

TrafficSource::TrafficSource(const ModelSpec& model, const DecodeConfig& config,
                             const EpDomains& domains, std::uint32_t layers)
    : domains_(domains),
      gpus_(config.ep_size),
      gating_seed_(sim::RandomStream(config.seed, "gating")()) {
  if (model.moe_layer_count() == 0) return;
  const std::uint32_t experts = model.routed_expert_count;
  std::uint32_t groups = 1, groups_per_token = 1;
  if (config.gating == GatingKind::GroupLimited) {
    groups = model.expert_groups;
    groups_per_token =
        config.max_groups_per_token > 0 ? config.max_groups_per_token : model.groups_per_token;
  }
  const double exponent = config.gating == GatingKind::Uniform ? 0.0 : config.zipf_exponent;
  if (exponent == 0) {
    const std::vector<double> uniform(experts, 1.0 / experts);
    layouts_.emplace_back(gpus_, uniform, config.redundant_slots_per_gpu);
    gates_.emplace_back(uniform, model.experts_per_token_count, groups, groups_per_token);
    return;
  }
  sim::RandomStream popularity_stream(config.seed, "expert-popularity");
  for (std::uint32_t layer = 0; layer < layers; ++layer) {  // hot experts re-drawn per layer
    std::vector<double> popularity = zipf_popularity(experts, exponent, popularity_stream);
    layouts_.emplace_back(gpus_, popularity, config.redundant_slots_per_gpu);
    gates_.emplace_back(std::move(popularity), model.experts_per_token_count, groups,
                        groups_per_token);
  }
}

LayerTraffic TrafficSource::layer(std::uint32_t step, std::uint32_t layer,
                                  std::uint32_t micro_batch, std::uint32_t tokens_per_gpu) const {
  std::uint64_t seed = gating_seed_;
  seed ^= 0xD1B54A32D192ED03ULL * (std::uint64_t{step} + 1);
  seed ^= 0xABC98388FB8FAC03ULL * (std::uint64_t{layer} + 1);
  seed ^= 0x8CB92BA72F3D8DD7ULL * (std::uint64_t{micro_batch} + 1);
  return gate_layer(layout_of(layer), gate_of(layer),
                    std::vector<std::uint32_t>(gpus_, tokens_per_gpu), domains_.domain_of,
                    domains_.count(), seed);
}

}  // namespace moesim::workloads::decode
