#include "cli/search_space.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <ostream>
#include <set>

#include "cli/cli.h"
#include "cli/text.h"
#include "input/mapping.h"
#include "scenario/parallel.h"
#include "scenario/scenario.h"
#include "workloads/memory.h"

namespace moesim::cli::search_detail {

namespace fs = std::filesystem;

std::string searched_key(const std::string& key) {
  const ScenarioOverride parsed = parse_override(key + "=x");
  for (const std::string_view searched : kSearched)
    if (parsed.key == fmt::format("decode.{}", searched)) return std::string(searched);
  if (parsed.key == "decode.network" || parsed.key == "decode.sampled_moe_layers")
    throw UsageError(fmt::format(
        "--vary {}: the networks are chosen with --network / --sampled-layers (search pass) and "
        "--exact-network / --exact-sampled-layers (the front's re-simulation)",
        key));
  return "";
}

void apply_network(Scenario& scenario, const SearchNetwork& network) {
  if (!network.sampled_moe_layers) return;
  const std::uint32_t layers = *network.sampled_moe_layers;
  scenario.decode.sampled_moe_layers = layers < scenario.model.moe_layer_count() ? layers : 0;
}

std::string network_label(const Scenario& scenario) {
  const std::uint32_t layers = scenario.model.moe_layer_count();
  const std::uint32_t sampled = scenario.decode.sampled_moe_layers;
  return fmt::format("{}, {}", to_string(scenario.decode.network),
                     sampled ? fmt::format("{} of {} MoE layers sampled", sampled, layers)
                             : fmt::format("all {} MoE layers", layers));
}

std::string value_label(const std::string& value) {
  return value.ends_with(".yaml") ? fs::path(value).stem().string() : value;
}

std::string joined(const std::vector<std::string>& values, std::string_view separator) {
  std::string text;
  for (const std::string& value : values)
    text += (text.empty() ? "" : std::string(separator)) + value;
  return text;
}

namespace {

template <typename Integer>
std::vector<std::string> texts(const std::vector<Integer>& values) {
  std::vector<std::string> out;
  for (const Integer value : values) out.push_back(std::to_string(value));
  return out;
}

std::uint32_t gpus_per_domain(const topology::Fabric& fabric) {
  std::uint32_t count = 0;
  for (topology::GpuIndex gpu = 0; gpu < fabric.gpu_count(); ++gpu)
    count += fabric.domain_of(gpu) == fabric.domain_of(0);
  return std::max(1u, count);
}

struct EpSizes {
  std::vector<std::uint32_t> kept;
  std::vector<std::uint32_t> weights_do_not_fit;
};

// The routed-expert count's divisors that fit inside one scale-up domain or fill whole domains,
// the whole fabric (its free expert slots hold replicas), the scenario's own EP size; minus the
// sizes at which the weights alone do not fit (not even one request, without MTP).
EpSizes default_ep_sizes(const Scenario& scenario) {
  const std::uint32_t gpus = static_cast<std::uint32_t>(scenario.fabric->gpu_count());
  const std::uint32_t domain = gpus_per_domain(*scenario.fabric);
  const std::uint32_t experts = scenario.model.routed_expert_count;
  std::set<std::uint32_t> sizes;
  for (std::uint32_t n = 1; n <= std::min(gpus, experts); ++n)
    if (experts % n == 0 && (n <= domain || n % domain == 0)) sizes.insert(n);
  if (gpus <= experts) sizes.insert(gpus);
  if (scenario.decode.ep_size > 0) sizes.insert(scenario.decode.ep_size);
  EpSizes result;
  for (const std::uint32_t n : sizes) {
    workloads::DecodeConfig probe = scenario.decode;
    probe.ep_size = n;
    probe.mtp_draft_tokens = 0;
    if (workloads::largest_batch_per_gpu(scenario.model, scenario.gpu, probe) == 0)
      result.weights_do_not_fit.push_back(n);
    else
      result.kept.push_back(n);
  }
  return result;
}

}  // namespace

Space derive_space(const SearchOptions& options) {
  Space space;
  std::map<std::string, SweepAxis, std::less<>> searched;
  std::vector<SweepAxis> group_axes;
  if (options.scenario_files.size() > 1)
    group_axes.push_back({std::string(kScenarioAxis), options.scenario_files});
  std::set<std::string> keys;
  for (const SweepAxis& axis : options.vary) {
    const std::string key = searched_key(axis.key);
    const std::string canonical = key.empty() ? parse_override(axis.key + "=x").key : key;
    if (!keys.insert(canonical).second)
      throw UsageError(fmt::format("--vary {} given more than once", axis.key));
    if (key.empty())
      group_axes.push_back(axis);
    else
      searched[key] = {key, axis.values};
  }
  space.group_axes = group_axes.size();

  // The hardware groups, each loaded once with the search network.
  const std::vector<SweepPoint> group_points =
      group_axes.empty() ? std::vector<SweepPoint>{SweepPoint{}} : cartesian_points(group_axes);
  for (const SweepPoint& point : group_points) {
    Group group;
    group.file = options.scenario_files.front();
    for (std::size_t a = 0; a < group_axes.size(); ++a) {
      if (group_axes[a].key == kScenarioAxis)
        group.file = point.values[a];
      else
        group.overrides.push_back(
            parse_override(fmt::format("{}={}", group_axes[a].key, point.values[a])));
    }
    auto load = [&](const SearchNetwork& network) {
      std::vector<ScenarioOverride> overrides = options.overrides;
      overrides.insert(overrides.end(), group.overrides.begin(), group.overrides.end());
      overrides.push_back(parse_override(fmt::format("network={}", network.network)));
      Scenario scenario = scenario::read_scenario(group.file, overrides);
      apply_network(scenario, network);
      return scenario;
    };
    group.base = load(options.search);
    group.search_label = network_label(group.base);
    if (options.exact) {
      group.exact = load(*options.exact);
      group.resimulate =
          group.exact.decode.network != group.base.decode.network ||
          group.exact.decode.sampled_moe_layers != group.base.decode.sampled_moe_layers;
      if (group.resimulate) group.exact_label = network_label(group.exact);
    }
    space.groups.push_back(std::move(group));
  }
  const Scenario& first = space.groups.front().base;

  // Values given for a searched dimension are checked once, up front (a bad value is an input
  // error, not a failed point), and read as the loader reads them.
  std::map<std::string, std::uint32_t> ep_of, mtp_of;
  for (const auto& [key, axis] : searched)
    for (const std::string& value : axis.values) {
      std::vector<ScenarioOverride> overrides = options.overrides;
      overrides.push_back(parse_override(fmt::format("{}={}", key, value)));
      const Scenario read = scenario::read_scenario(space.groups.front().file, overrides);
      if (key == kEp) ep_of[value] = read.decode.ep_size;
      if (key == kMtp) mtp_of[value] = read.decode.mtp_draft_tokens;
    }

  std::vector<SweepAxis> dimensions;
  std::vector<std::string> notes;
  auto given = [&](std::string_view key) -> const SweepAxis* {
    const auto found = searched.find(key);
    return found == searched.end() ? nullptr : &found->second;
  };
  const std::string across = space.groups.size() > 1
                                 ? fmt::format(" (union over the {} groups)", space.groups.size())
                                 : "";

  // EP sizes.
  if (const SweepAxis* axis = given(kEp)) {
    dimensions.push_back(*axis);
    notes.push_back("given (--vary)");
  } else {
    std::set<std::uint32_t> sizes;
    std::set<std::uint32_t> unfit;
    for (const Group& group : space.groups) {
      if (options.own_ep_size_only) {
        sizes.insert(group.base.decode.ep_size);
        continue;
      }
      const EpSizes ep = default_ep_sizes(group.base);
      sizes.insert(ep.kept.begin(), ep.kept.end());
      unfit.insert(ep.weights_do_not_fit.begin(), ep.weights_do_not_fit.end());
    }
    for (const std::uint32_t n : sizes) unfit.erase(n);
    if (sizes.empty())
      throw InputError(fmt::format(
          "{}: {}'s weights alone do not fit one {} at any EP size the fabric allows (up to {}); "
          "nothing to search",
          space.groups.front().file, first.model.name, first.gpu.name, first.fabric->gpu_count()));
    const std::vector<std::uint32_t> kept(sizes.begin(), sizes.end());
    dimensions.push_back({std::string(kEp), texts(kept)});
    for (const std::uint32_t n : kept) ep_of[std::to_string(n)] = n;
    if (options.own_ep_size_only) {
      notes.push_back("the scenario's own");
    } else {
      notes.push_back(fmt::format(
          "divisors of the {} routed experts inside one {}-GPU scale-up domain or in whole "
          "domains, the whole fabric ({} GPUs) and the scenario's EP{}{}",
          first.model.routed_expert_count, gpus_per_domain(*first.fabric),
          first.fabric->gpu_count(), first.decode.ep_size, across));
      if (!unfit.empty())
        space.left_out.push_back(
            fmt::format("EP {}: the weights alone do not fit one GPU (by the memory rule)",
                        joined(texts(std::vector<std::uint32_t>(unfit.begin(), unfit.end())))));
    }
  }

  // MTP drafts (before the batches: they change the memory per request).
  if (const SweepAxis* axis = given(kMtp)) {
    dimensions.push_back(*axis);
    notes.push_back("given (--vary)");
  } else {
    std::uint32_t modules = 0;
    bool accepted = false;
    for (const Group& group : space.groups) {
      if (group.base.decode.mtp_acceptance > 0) {
        modules = std::max(modules, group.base.model.mtp_layers);
        accepted = true;
      }
    }
    std::vector<std::uint32_t> drafts;
    for (std::uint32_t d = 0; d <= modules; ++d) drafts.push_back(d);
    dimensions.push_back({std::string(kMtp), texts(drafts)});
    for (const std::uint32_t d : drafts) mtp_of[std::to_string(d)] = d;
    if (modules > 0)
      notes.push_back(
          fmt::format("0 to the model's {} MTP module(s), at the scenario's "
                      "acceptance {:g}{}",
                      modules, first.decode.mtp_acceptance, across));
    else if (!accepted && first.model.mtp_layers > 0)
      notes.push_back(
          "0 only: the scenario sets no decode.mtp_acceptance (e.g. --set mtp_acceptance=0.85)");
    else
      notes.push_back("0 only: the model has no MTP module");
  }

  // Batches: up to the largest that fits at any EP size and MTP setting of the space.
  if (const SweepAxis* axis = given(kBatch)) {
    dimensions.push_back(*axis);
    notes.push_back("given (--vary)");
  } else {
    std::uint32_t largest = 0;
    std::string where;
    for (const Group& group : space.groups)
      for (const auto& [ep_text, ep] : ep_of)
        for (const auto& [mtp_text, mtp] : mtp_of) {
          if (ep == 0 || ep > group.base.fabric->gpu_count()) continue;
          if (mtp > 0 && group.base.model.mtp_layers == 0) continue;
          workloads::DecodeConfig probe = group.base.decode;
          probe.ep_size = ep;
          probe.mtp_draft_tokens = mtp;
          const std::uint32_t batch =
              workloads::largest_batch_per_gpu(group.base.model, group.base.gpu, probe);
          if (batch > largest) {
            largest = batch;
            where = fmt::format(
                "EP{}{}{}", ep, mtp ? fmt::format(", MTP {}", mtp) : "",
                space.groups.size() > 1 ? fmt::format(", {}", group.base.fabric->name()) : "");
          }
        }
    dimensions.push_back({std::string(kBatch), texts(default_batches(largest))});
    notes.push_back(largest ? fmt::format("powers of two and 3 x powers of two from 24, up to "
                                          "the largest batch that fits: {} ({})",
                                          largest, where)
                            : "1: no batch fits at any EP size of the space");
  }
  // The order of the axes: EP, batch, dispatch, overlap, MTP (the last varies fastest).
  std::swap(dimensions[1], dimensions[2]);
  std::swap(notes[1], notes[2]);
  auto fixed = [&](std::string_view key, std::vector<std::string> values, std::string note) {
    if (const SweepAxis* axis = given(key)) {
      dimensions.insert(dimensions.end() - 1, *axis);
      notes.insert(notes.end() - 1, "given (--vary)");
    } else {
      dimensions.insert(dimensions.end() - 1, SweepAxis{std::string(key), std::move(values)});
      notes.insert(notes.end() - 1, std::move(note));
    }
  };
  fixed(kDispatch, {"direct", "node-dedup"},
        "one copy per (token, expert), or one per destination node fanned out over scale-up");
  fixed(kOverlap, {"false", "true"}, "without and with two-micro-batch overlap");

  space.axes = group_axes;
  for (std::size_t a = 0; a < group_axes.size(); ++a)
    space.notes.push_back(group_axes[a].key == kScenarioAxis ? "the scenario files given"
                                                             : "given (--vary)");
  space.axes.insert(space.axes.end(), dimensions.begin(), dimensions.end());
  space.notes.insert(space.notes.end(), notes.begin(), notes.end());
  return space;
}

}  // namespace moesim::cli::search_detail
