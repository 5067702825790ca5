#pragma once
// Capacity planning: search decode layouts under per-user speed targets (`moesim search`, and
// `moesim compare --at-best`).
//
// The space is a cartesian product, evaluated with the sweep machinery (cli/sweep.h: resumable,
// --jobs, --shard + merge, rows sorted by point): first the hardware axes (several scenario files,
// and any --vary key that is not a searched dimension, e.g. fabric=a.yaml,b.yaml), then the five
// searched dimensions, each derived from the scenario unless --vary replaces it:
//   ep_size                  the routed-expert count's divisors that fit inside one scale-up domain
//                            or fill whole domains, the whole fabric, and the scenario's own EP
//                            size; sizes whose weights alone do not fit one GPU are left out
//   batch_per_gpu            1, 2, 4, 8, 16, 24, 32, 48, 64, 96, ... up to the largest batch that
//                            fits (workloads::largest_batch_per_gpu), and that largest batch
//   dispatch_mode            direct, node-dedup
//   two_micro_batch_overlap  false, true
//   mtp_draft_tokens         0 .. the model's MTP modules (at the scenario's mtp_acceptance; 0 only
//                            when the scenario sets no acceptance)
// Every configuration is classified by the one validation (workloads::validate_decode_config):
// `invalid` (EP above the fabric's GPUs, overlap at batch 1, ...), `does-not-fit` (the memory rule
// of workloads/memory.h, with its reason), or simulated. The Pareto front (output tokens/s per GPU
// against tokens/s per user) is taken per hardware group; each target picks, per group, the
// configuration with the most tokens/s per GPU that meets it.
//
// Two networks: the search pass simulates every configuration with `search` (default: the flow
// model with 2 sampled MoE layers); if `exact` differs (default: the flow model with the
// scenario's own sampled_moe_layers), the front's configurations are simulated again with it, both
// figures are reported, and targets are chosen on the exact figures of the front.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/report.h"
#include "cli/sweep.h"

namespace moesim::cli {

// One per-user speed target: at least X tokens/s per user, or a TPOT of at most Y ms.
struct SearchTarget {
  enum class Kind { MinUserTokensPerSecond, MaxTpotMs };
  Kind kind = Kind::MinUserTokensPerSecond;
  double value = 0;
  bool met_by(double tpot_us, double per_user_tokens_per_second) const;
  // The per-user tokens/s the target amounts to (1000 / Y for a TPOT of Y ms).
  double min_user_tokens_per_second() const;
  std::string label() const;  // ">= 20 tokens/s per user", "TPOT <= 50 ms"
};
// From --min-user-tps / --max-tpot-ms; a value that is not a finite number > 0 is a UsageError.
SearchTarget parse_target(SearchTarget::Kind kind, const std::string& text);

// What one simulation of a configuration yields.
struct SearchFigures {
  double tpot_us = 0;
  double per_user_tokens_per_second = 0;
  double tokens_per_second_per_gpu = 0;
  double tokens_per_second_per_node = 0;
};

// Indices (into `points`) of the Pareto front of (x = per-user tokens/s, y = tokens/s per GPU),
// both maximised, by increasing x. Of identical points only the first is kept.
std::vector<std::size_t> pareto_front(const std::vector<SearchFigures>& points);
// The index of the point with the most tokens/s per GPU that meets the target (ties: the lowest
// index), or nullopt.
std::optional<std::size_t> best_under_target(const std::vector<SearchFigures>& points,
                                             const SearchTarget& target);

// The default batch grid: powers of two and 3 x powers of two from 24, up to `largest`, then
// `largest` itself ({1} if nothing fits).
std::vector<std::uint32_t> default_batches(std::uint32_t largest);

// The network a pass simulates with: a scenario value for decode.network ("flow", "fast",
// "analytic") and
// the sampled MoE layers (nullopt = the scenario's own; a value at or above the model's MoE layer
// count simulates them all).
struct SearchNetwork {
  std::string network = "flow";
  std::optional<std::uint32_t> sampled_moe_layers;
  std::string label() const;  // "flow, 2 sampled MoE layers"
};

struct SearchOptions {
  std::vector<std::string> scenario_files;  // more than one: an axis `scenario`
  std::vector<ScenarioOverride> overrides;  // --set, at every point
  std::vector<SweepAxis> vary;    // --vary: replaces a searched dimension, or adds an axis
  bool own_ep_size_only = false;  // compare --at-best: each scenario's own EP (unless varied)
  bool dry_run = false;           // classify every configuration, simulate none
  // The search pass on the fast network (TPOT within 2 % of exact max-min over its corpus,
  // docs/fast-network.md) at the scenario's own sampling; the front re-simulated exactly.
  SearchNetwork search{"fast", std::nullopt};
  std::optional<SearchNetwork> exact = SearchNetwork{"flow", std::nullopt};  // nullopt: none
  std::vector<SearchTarget> targets;
  // output (empty: a temporary file, no resume), format, jobs, shard, progress
  SweepOptions sweep;
};

// One configuration, read back from its row.
struct SearchPoint {
  std::size_t index = 0;
  std::size_t group = 0;
  enum class Status { Simulated, DoesNotFit, Invalid, Error } status = Status::Error;
  std::string reason;  // why it was not simulated
  std::uint32_t ep_size = 0, batch_per_gpu = 0, mtp_draft_tokens = 0, nodes = 0;
  std::string dispatch_mode;
  bool two_micro_batch_overlap = false;
  std::uint32_t largest_batch_per_gpu = 0;  // at this EP size and MTP setting
  double headroom_bytes_per_gpu = 0;
  std::optional<double> usd_per_gpu_hour;
  double gpu_power_watts = 0;  // 0 = not in the hardware file
  SearchFigures search;
  std::optional<SearchFigures> exact;  // front points, when re-simulated
  bool pareto = false;
  const SearchFigures& figures() const { return exact ? *exact : search; }
  std::optional<double> usd_per_million_tokens() const;
  std::string describe() const;  // "EP72, batch 96, direct, TBO, MTP 1"
};

struct SearchGroup {
  std::string label;               // the scenario name and the hardware axes' values
  std::string scenario_name;       // of the group's scenario
  std::uint32_t moe_layers = 0;    // of its model
  bool resimulated = false;        // its front was simulated again with the exact network
  std::string search_network;      // "flow, 2 of 58 MoE layers sampled"
  std::string exact_network;       // "" without re-simulation
  std::vector<std::size_t> front;  // point indices, by increasing per-user tokens/s
};

struct SearchResult {
  std::vector<SweepAxis> axes;
  std::size_t group_axes = 0;         // the first group_axes axes are hardware axes
  std::vector<std::string> notes;     // per axis: how its values were chosen
  std::vector<std::string> left_out;  // EP sizes left out of the default space, and why
  std::vector<SearchGroup> groups;
  std::vector<SearchPoint> points;  // by index; empty for a shard
  struct Best {
    SearchTarget target;
    std::size_t group = 0;
    std::optional<std::size_t> point;
  };
  std::vector<Best> best;  // per target, per group
  SearchNetwork search;
  std::optional<SearchNetwork> exact;
  SweepSummary pass;  // the search pass
  Shard shard;
  std::size_t resimulated = 0;
  bool complete = false;  // false for a shard: merge, then run again unsharded
  bool dry_run = false;   // points classified, none simulated
  std::string output;     // the rows (--out), "" if temporary
  std::string exact_output;
  // The point with the same configuration and the next larger batch of the grid, if any.
  std::optional<std::size_t> next_batch(std::size_t point) const;
  bool any_target_unmet() const;  // a target that no configuration of any group meets
};

SearchResult run_search(const SearchOptions& options);

// The command-line options `search` and `compare --at-best` share, and reading them.
std::vector<OptionSpec> search_option_specs();
SearchOptions search_options(const ParsedArgs& args, std::vector<std::string> scenario_files);

// The report on stdout: space, counts (with the skip reasons), fronts, best under each target.
void render_search(std::ostream& out, const SearchResult& result);
// `compare --at-best`: two single-group searches (A and B) side by side at each target, with why
// each side stops where it does (the target, or the memory rule).
void render_at_best(std::ostream& out, const SearchResult& a, const SearchResult& b,
                    const std::string& file_a, const std::string& file_b);
// An SVG of the front(s), one curve per group (one group: per EP size, and the overall front),
// the targets as vertical lines; via gnuplot. Written atomically. Throws InputError.
void plot_search(const SearchResult& result, const std::string& svg_path);

}  // namespace moesim::cli
