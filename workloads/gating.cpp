#include "workloads/gating.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace moesim::workloads {

ExpertLayout::ExpertLayout(std::uint32_t gpu_count, const std::vector<double>& expected_load,
                           std::uint32_t redundant_slots_per_gpu)
    : gpu_count_(gpu_count) {
  const auto experts = static_cast<std::uint32_t>(expected_load.size());
  if (gpu_count == 0) throw std::invalid_argument("expert layout: EP size must be > 0");
  if (experts == 0) throw std::invalid_argument("expert layout: the model has no routed experts");
  slots_per_gpu_ = slots_per_gpu(experts, gpu_count, redundant_slots_per_gpu);
  replicas_.assign(experts, {});
  on_gpu_.assign(gpu_count, {});
  std::vector<double> gpu_load(gpu_count, 0.0);
  // Primary copies: contiguous balanced blocks.
  for (std::uint32_t gpu = 0; gpu < gpu_count; ++gpu) {
    const auto first = static_cast<std::uint32_t>(std::uint64_t{gpu} * experts / gpu_count);
    const auto last = static_cast<std::uint32_t>(std::uint64_t{gpu + 1} * experts / gpu_count);
    for (std::uint32_t e = first; e < last; ++e) {
      replicas_[e].push_back(gpu);
      on_gpu_[gpu].push_back(e);
      gpu_load[gpu] += expected_load[e];
    }
  }
  // Replicas: fill every free slot, hottest expert (load per copy) first, on the least loaded GPU
  // with a free slot that does not hold the expert yet. Ties go to the lowest index, so the layout
  // is deterministic. O(free slots x (E + N)), fine for E, N <= a few thousand.
  std::uint64_t free_slots = std::uint64_t{gpu_count} * slots_per_gpu_ - experts;
  while (free_slots > 0) {
    std::uint32_t hottest = 0;
    double hottest_load = -1;
    for (std::uint32_t e = 0; e < experts; ++e) {
      if (replicas_[e].size() >= gpu_count) continue;
      const double per_copy = expected_load[e] / static_cast<double>(replicas_[e].size());
      if (per_copy > hottest_load) {
        hottest_load = per_copy;
        hottest = e;
      }
    }
    if (hottest_load < 0) break;  // every expert is already on every GPU
    std::uint32_t target = gpu_count;
    for (std::uint32_t g = 0; g < gpu_count; ++g) {
      if (on_gpu_[g].size() >= slots_per_gpu_) continue;
      if (std::find(replicas_[hottest].begin(), replicas_[hottest].end(), g) !=
          replicas_[hottest].end())
        continue;
      if (target == gpu_count || gpu_load[g] < gpu_load[target]) target = g;
    }
    if (target == gpu_count) break;  // no GPU with a free slot lacks this expert
    // Re-balance the expected load: the new copy takes its share from the existing copies.
    const double copies_before = static_cast<double>(replicas_[hottest].size());
    for (std::uint32_t g : replicas_[hottest])
      gpu_load[g] -=
          expected_load[hottest] / copies_before - expected_load[hottest] / (copies_before + 1);
    replicas_[hottest].push_back(target);
    on_gpu_[target].push_back(hottest);
    gpu_load[target] += expected_load[hottest] / (copies_before + 1);
    --free_slots;
  }
  slot_of_.assign(std::size_t{gpu_count} * experts, kNoSlot);
  for (std::uint32_t g = 0; g < gpu_count; ++g)
    for (std::uint32_t s = 0; s < on_gpu_[g].size(); ++s)
      slot_of_[std::size_t{g} * experts + on_gpu_[g][s]] = s;
}

std::vector<double> ExpertLayout::expected_gpu_load(
    const std::vector<double>& expected_load) const {
  std::vector<double> load(gpu_count_, 0.0);
  for (std::uint32_t e = 0; e < replicas_.size(); ++e)
    for (std::uint32_t g : replicas_[e])
      load[g] += expected_load[e] / static_cast<double>(replicas_[e].size());
  return load;
}

std::vector<double> zipf_popularity(std::uint32_t experts, double exponent,
                                    sim::RandomStream& stream) {
  std::vector<std::uint32_t> rank(experts);
  std::iota(rank.begin(), rank.end(), 0u);
  for (std::uint32_t i = experts; i > 1; --i)  // Fisher-Yates: which expert gets which rank
    std::swap(rank[i - 1], rank[stream.below(i)]);
  std::vector<double> popularity(experts);
  double sum = 0;
  for (std::uint32_t e = 0; e < experts; ++e) {
    popularity[e] = std::pow(static_cast<double>(rank[e] + 1), -exponent);
    sum += popularity[e];
  }
  for (double& p : popularity) p /= sum;
  return popularity;
}

Gate::Gate(std::vector<double> popularity, std::uint32_t experts_per_token, std::uint32_t groups,
           std::uint32_t groups_per_token)
    : popularity_(std::move(popularity)),
      top_k_(experts_per_token),
      groups_(groups == 0 ? 1 : groups),
      groups_per_token_(groups_per_token == 0 ? groups_ : groups_per_token) {
  const auto experts = static_cast<std::uint32_t>(popularity_.size());
  if (experts == 0 || top_k_ == 0 || top_k_ > experts)
    throw std::invalid_argument("gate: experts per token must be in 1 .. routed experts");
  if (experts % groups_ != 0)
    throw std::invalid_argument("gate: " + std::to_string(groups_) +
                                " expert groups do not divide " + std::to_string(experts) +
                                " experts");
  if (groups_per_token_ > groups_)
    throw std::invalid_argument("gate: groups per token (" + std::to_string(groups_per_token_) +
                                ") exceeds the number of groups (" + std::to_string(groups_) + ")");
  if (groups_per_token_ > 64 && groups_per_token_ < groups_)
    throw std::invalid_argument("gate: at most 64 groups per token are supported");
  experts_per_group_ = experts / groups_;
  if (std::uint64_t{groups_per_token_} * experts_per_group_ < top_k_)
    throw std::invalid_argument("gate: " + std::to_string(groups_per_token_) + " groups of " +
                                std::to_string(experts_per_group_) + " experts cannot supply " +
                                std::to_string(top_k_) + " experts per token");
  for (double p : popularity_)
    if (!(p > 0)) throw std::invalid_argument("gate: every expert popularity must be > 0");
  uniform_ = std::all_of(popularity_.begin(), popularity_.end(),
                         [&](double p) { return p == popularity_[0]; });
  cumulative_.resize(experts + 1);
  cumulative_[0] = 0;
  for (std::uint32_t e = 0; e < experts; ++e) cumulative_[e + 1] = cumulative_[e] + popularity_[e];
}

// One draw in [first, last) proportional to popularity, by binary search on the prefix sums.
std::uint32_t Gate::sample(sim::RandomStream& stream, const std::vector<double>& cumulative,
                           std::uint32_t first, std::uint32_t last) const {
  if (uniform_) return first + static_cast<std::uint32_t>(stream.below(last - first));
  const double low = cumulative[first];
  const double target = low + stream.uniform() * (cumulative[last] - low);
  const auto it =
      std::upper_bound(cumulative.begin() + first + 1, cumulative.begin() + last + 1, target);
  const auto index = static_cast<std::uint32_t>(it - cumulative.begin()) - 1;
  return std::min(index, last - 1);
}

// Sequential sampling without replacement: draw proportional to popularity, redraw on a repeat.
// Expected redraws stay small because no expert holds more than a modest share of the mass at the
// exponents used (a guard falls back to the first unused expert after many rejections).
void Gate::choose(sim::RandomStream& stream, std::vector<std::uint32_t>& out) const {
  out.clear();
  const auto experts = static_cast<std::uint32_t>(popularity_.size());
  auto already = [&out](std::uint32_t e) {
    return std::find(out.begin(), out.end(), e) != out.end();
  };
  if (groups_per_token_ == groups_) {
    while (out.size() < top_k_) {
      std::uint32_t e = sample(stream, cumulative_, 0, experts);
      for (int attempt = 0; already(e) && attempt < 64; ++attempt)
        e = sample(stream, cumulative_, 0, experts);
      while (already(e)) e = (e + 1) % experts;
      out.push_back(e);
    }
    return;
  }
  // Group-limited: choose groups by their popularity mass, then experts inside the chosen groups.
  std::uint32_t chosen_groups[64];
  std::uint32_t chosen = 0;
  auto group_taken = [&](std::uint32_t g) {
    return std::find(chosen_groups, chosen_groups + chosen, g) != chosen_groups + chosen;
  };
  while (chosen < groups_per_token_) {
    std::uint32_t e = sample(stream, cumulative_, 0, experts);
    std::uint32_t g = e / experts_per_group_;
    for (int attempt = 0; group_taken(g) && attempt < 64; ++attempt)
      g = sample(stream, cumulative_, 0, experts) / experts_per_group_;
    while (group_taken(g)) g = (g + 1) % groups_;
    chosen_groups[chosen++] = g;
  }
  // Mass of the chosen groups, for sampling an expert among them.
  double chosen_mass[64];
  double total = 0;
  for (std::uint32_t i = 0; i < chosen; ++i) {
    const std::uint32_t g = chosen_groups[i];
    total += cumulative_[(g + 1) * experts_per_group_] - cumulative_[g * experts_per_group_];
    chosen_mass[i] = total;
  }
  while (out.size() < top_k_) {
    std::uint32_t e = 0;
    for (int attempt = 0; attempt < 64; ++attempt) {
      if (uniform_) {  // one draw over the chosen groups' experts
        const auto index =
            static_cast<std::uint32_t>(stream.below(std::uint64_t{chosen} * experts_per_group_));
        e = chosen_groups[index / experts_per_group_] * experts_per_group_ +
            index % experts_per_group_;
        if (!already(e)) break;
        continue;
      }
      const double u = stream.uniform() * total;
      std::uint32_t i = 0;
      while (i + 1 < chosen && u >= chosen_mass[i]) ++i;
      const std::uint32_t g = chosen_groups[i];
      e = sample(stream, cumulative_, g * experts_per_group_, (g + 1) * experts_per_group_);
      if (!already(e)) break;
    }
    if (already(e)) {  // fallback: first unused expert of the chosen groups
      for (std::uint32_t i = 0; i < chosen && already(e); ++i)
        for (std::uint32_t c = chosen_groups[i] * experts_per_group_;
             c < (chosen_groups[i] + 1) * experts_per_group_ && already(e); ++c)
          e = c;
    }
    out.push_back(e);
  }
}

double token_bytes(std::uint32_t hidden, double bytes_per_element, bool fp32_scale_per_128) {
  const double scales =
      fp32_scale_per_128 ? std::ceil(static_cast<double>(hidden) / 128.0) * 4.0 : 0.0;
  return static_cast<double>(hidden) * bytes_per_element + scales;
}

std::uint32_t LayerTraffic::received_pairs(std::uint32_t gpu) const {
  std::uint32_t sum = 0;
  for (std::uint32_t src = 0; src < gpu_count; ++src)
    sum += pairs[std::size_t{src} * gpu_count + gpu];
  return sum;
}

LayerTraffic gate_layer(const ExpertLayout& layout, const Gate& gate,
                        const std::vector<std::uint32_t>& tokens_per_gpu,
                        const std::vector<std::uint32_t>& domain_of_gpu, std::uint32_t domain_count,
                        std::uint64_t seed_base) {
  const std::uint32_t n = layout.gpu_count();
  if (tokens_per_gpu.size() != n || domain_of_gpu.size() != n)
    throw std::invalid_argument("gate_layer: per-GPU vectors must have one entry per EP GPU");
  LayerTraffic traffic;
  traffic.gpu_count = n;
  traffic.domain_count = domain_count;
  traffic.pairs.assign(std::size_t{n} * n, 0);
  traffic.distinct_tokens.assign(std::size_t{n} * n, 0);
  traffic.distinct_tokens_to_domain.assign(std::size_t{n} * domain_count, 0);
  traffic.tokens_per_expert_slot.resize(n);
  for (std::uint32_t g = 0; g < n; ++g)
    traffic.tokens_per_expert_slot[g].assign(layout.experts_on(g).size(), 0);
  std::vector<std::uint32_t> chosen;
  std::vector<std::uint32_t> gpus_hit;
  std::vector<std::uint32_t> domains_hit;
  for (std::uint32_t src = 0; src < n; ++src) {
    sim::RandomStream stream(seed_base ^ (0x9E3779B97F4A7C15ULL * (src + 1)));
    for (std::uint32_t t = 0; t < tokens_per_gpu[src]; ++t) {
      gate.choose(stream, chosen);
      gpus_hit.clear();
      domains_hit.clear();
      const std::uint64_t token_index = (std::uint64_t{src} << 32) | t;
      for (std::uint32_t e : chosen) {
        const std::uint32_t dst = layout.serving_gpu(e, token_index);
        ++traffic.pairs[std::size_t{src} * n + dst];
        ++traffic.tokens_per_expert_slot[dst][layout.slot_of(dst, e)];
        if (std::find(gpus_hit.begin(), gpus_hit.end(), dst) == gpus_hit.end())
          gpus_hit.push_back(dst);
        const std::uint32_t dom = domain_of_gpu[dst];
        if (std::find(domains_hit.begin(), domains_hit.end(), dom) == domains_hit.end())
          domains_hit.push_back(dom);
      }
      for (std::uint32_t dst : gpus_hit) ++traffic.distinct_tokens[std::size_t{src} * n + dst];
      for (std::uint32_t dom : domains_hit)
        ++traffic.distinct_tokens_to_domain[std::size_t{src} * domain_count + dom];
    }
  }
  return traffic;
}

std::uint32_t relay_gpu(std::uint32_t source, std::uint32_t destination,
                        const std::vector<std::uint32_t>& domain_of_gpu,
                        const std::vector<std::uint32_t>& local_rank_of_gpu,
                        const std::vector<std::vector<std::uint32_t>>& gpus_of_domain) {
  const auto& peers = gpus_of_domain[domain_of_gpu[destination]];
  return peers[local_rank_of_gpu[source] % peers.size()];
}

}  // namespace moesim::workloads
