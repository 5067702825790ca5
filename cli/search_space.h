#pragma once
// Internal to the search (cli/search.cpp, cli/search_space.cpp): the searched dimensions, the
// row columns, a hardware group and the space of configurations derived from the scenarios.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/search.h"
#include "cli/sweep.h"

namespace moesim::cli::search_detail {

inline constexpr std::string_view kEp = "ep_size";
inline constexpr std::string_view kBatch = "batch_per_gpu";
inline constexpr std::string_view kDispatch = "dispatch_mode";
inline constexpr std::string_view kOverlap = "two_micro_batch_overlap";
inline constexpr std::string_view kMtp = "mtp_draft_tokens";
inline constexpr std::string_view kSearched[] = {kEp, kBatch, kDispatch, kOverlap, kMtp};
inline constexpr std::string_view kScenarioAxis = "scenario";

inline constexpr std::string_view kSimulated = "simulated";
inline constexpr std::string_view kDoesNotFit = "does-not-fit";
inline constexpr std::string_view kInvalid = "invalid";

inline const std::vector<std::string> kLeadColumns{"status", "reason", "largest_batch_per_gpu"};
inline const std::vector<std::string> kCostColumns{
    "usd_per_gpu_hour", "gpu_power_watts", "usd_per_million_tokens", "ep_group_power_watts"};
// Filled after the last point: the front, and its exact re-simulation.
inline const std::vector<std::string> kFrontColumns{"pareto",
                                                    "exact_network",
                                                    "exact_simulated_moe_layers",
                                                    "exact_tpot_us",
                                                    "exact_per_user_tokens_per_second",
                                                    "exact_tokens_per_second_per_gpu",
                                                    "exact_tokens_per_second_per_node",
                                                    "exact_usd_per_million_tokens"};

struct Group {
  std::string file;
  std::vector<ScenarioOverride> overrides;  // the group axes' values
  Scenario base;                            // with the search network
  Scenario exact;                           // with the exact network (if any)
  bool resimulate = false;
  std::string search_label, exact_label;
};

struct Space {
  std::vector<SweepAxis> axes;
  std::size_t group_axes = 0;
  std::vector<std::string> notes;
  std::vector<std::string> left_out;
  std::vector<Group> groups;
};

// The search space of `options`: hardware groups (each scenario loaded once with the search and
// exact networks), the searched dimensions (derived or from --vary) and their notes.
Space derive_space(const SearchOptions& options);

// The searched dimension a --vary key names ("ep_size" for "decode.ep_size"), or "" for another
// scenario key. Throws OverrideError for an unknown key, UsageError for a network key.
std::string searched_key(const std::string& key);
// Applies a pass's sampled MoE layers (a value the model cannot sample means every layer).
void apply_network(Scenario& scenario, const SearchNetwork& network);
// "flow, 2 of 58 MoE layers sampled".
std::string network_label(const Scenario& scenario);
// A group axis value as shown: a file's stem, else the value.
std::string value_label(const std::string& value);
std::string joined(const std::vector<std::string>& values, std::string_view separator = ", ");

}  // namespace moesim::cli::search_detail
