#include "cli/search.h"

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
#include "cli/search_rows.h"
#include "cli/search_space.h"
#include "cli/text.h"
#include "input/mapping.h"
#include "scenario/parallel.h"
#include "scenario/scenario.h"
#include "workloads/memory.h"

namespace moesim::cli {

namespace fs = std::filesystem;

// ---- targets, the front, the grid ----

bool SearchTarget::met_by(double tpot_us, double per_user_tokens_per_second) const {
  if (kind == Kind::MaxTpotMs) return tpot_us > 0 && tpot_us <= value * 1000;
  return per_user_tokens_per_second >= value;
}

double SearchTarget::min_user_tokens_per_second() const {
  return kind == Kind::MaxTpotMs ? 1000 / value : value;
}

std::string SearchTarget::label() const {
  return kind == Kind::MaxTpotMs ? fmt::format("TPOT <= {:g} ms", value)
                                 : fmt::format(">= {:g} tokens/s per user", value);
}

SearchTarget parse_target(SearchTarget::Kind kind, const std::string& text) {
  const std::string_view option =
      kind == SearchTarget::Kind::MaxTpotMs ? "--max-tpot-ms" : "--min-user-tps";
  double value = 0;
  std::size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value) || value <= 0)
    throw UsageError(fmt::format("{} expects a number > 0, got '{}'", option, text));
  return {kind, value};
}

std::vector<std::size_t> pareto_front(const std::vector<SearchFigures>& points) {
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // Fastest per user first; at equal speed the most tokens/s per GPU, then the lowest index. A
  // point is on the front iff it beats every faster (or equally fast, earlier) point per GPU.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const SearchFigures& p = points[a];
    const SearchFigures& q = points[b];
    if (p.per_user_tokens_per_second != q.per_user_tokens_per_second)
      return p.per_user_tokens_per_second > q.per_user_tokens_per_second;
    if (p.tokens_per_second_per_gpu != q.tokens_per_second_per_gpu)
      return p.tokens_per_second_per_gpu > q.tokens_per_second_per_gpu;
    return a < b;
  });
  std::vector<std::size_t> front;
  double best = -std::numeric_limits<double>::infinity();
  for (const std::size_t i : order) {
    if (points[i].tokens_per_second_per_gpu <= best) continue;
    best = points[i].tokens_per_second_per_gpu;
    front.push_back(i);
  }
  std::reverse(front.begin(), front.end());
  return front;
}

std::optional<std::size_t> best_under_target(const std::vector<SearchFigures>& points,
                                             const SearchTarget& target) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!target.met_by(points[i].tpot_us, points[i].per_user_tokens_per_second)) continue;
    if (!best || points[i].tokens_per_second_per_gpu > points[*best].tokens_per_second_per_gpu)
      best = i;
  }
  return best;
}

std::vector<std::uint32_t> default_batches(std::uint32_t largest) {
  std::set<std::uint32_t> batches{1};
  for (std::uint64_t power = 1; power <= largest; power *= 2) {
    batches.insert(static_cast<std::uint32_t>(power));
    if (power >= 8 && 3 * power <= largest) batches.insert(static_cast<std::uint32_t>(3 * power));
  }
  if (largest > 0) batches.insert(largest);
  return {batches.begin(), batches.end()};
}

std::string SearchNetwork::label() const {
  if (!sampled_moe_layers) return fmt::format("{}, the scenario's sampled MoE layers", network);
  if (*sampled_moe_layers == 0) return fmt::format("{}, every MoE layer", network);
  return fmt::format("{}, {} sampled MoE layers", network, *sampled_moe_layers);
}

std::optional<double> SearchPoint::usd_per_million_tokens() const {
  if (!usd_per_gpu_hour || !(figures().tokens_per_second_per_gpu > 0)) return std::nullopt;
  return *usd_per_gpu_hour / (figures().tokens_per_second_per_gpu * 3600.0) * 1e6;
}

std::string SearchPoint::describe() const {
  return fmt::format("EP{}, batch {}, {}{}{}", ep_size, batch_per_gpu, dispatch_mode,
                     two_micro_batch_overlap ? ", TBO" : "",
                     mtp_draft_tokens ? fmt::format(", MTP {}", mtp_draft_tokens) : "");
}

// The space's pieces (cli/search_space.h), shared with search_space.cpp.
using namespace search_detail;

namespace {

// A scenario value known without simulating it (inputs and memory), kept in rows of
// configurations that were not simulated; the other values are left empty.
bool known_without_simulating(const std::string& name) {
  static const std::set<std::string, std::less<>> kKnown{"scenario",
                                                         "model",
                                                         "gpu",
                                                         "fabric",
                                                         "ep_size",
                                                         "batch_per_gpu",
                                                         "context_tokens",
                                                         "gating",
                                                         "dispatch_mode",
                                                         "network",
                                                         "calibration",
                                                         "two_micro_batch_overlap",
                                                         "mtp_draft_tokens",
                                                         "steps",
                                                         "seed",
                                                         "weight_bytes_per_gpu",
                                                         "kv_cache_bytes_per_gpu",
                                                         "activation_bytes_per_gpu",
                                                         "reserved_bytes_per_gpu",
                                                         "hbm_bytes_per_gpu",
                                                         "headroom_bytes_per_gpu",
                                                         "expert_slots_per_gpu"};
  return kKnown.contains(name) || name.starts_with("calibration_");
}

struct Classification {
  std::string_view status;
  std::string reason;
};

// The one validation (workloads::validate_decode_config) decides. To tell an impossible layout
// from one that only lacks memory, it is asked first about the same configuration on a GPU with
// unbounded HBM (everything but the memory rule), then about the real GPU.
Classification classify(const Scenario& scenario) {
  workloads::GpuSpec unbounded = scenario.gpu;
  unbounded.hbm_bytes = 1e300;
  try {
    workloads::validate_decode_config(scenario.model, unbounded, *scenario.fabric, scenario.decode);
  } catch (const workloads::InvalidDecodeConfig& error) {
    return {kInvalid, fmt::format("{}: {}", error.key(), error.what())};
  }
  try {
    workloads::validate_decode_config(scenario.model, scenario.gpu, *scenario.fabric,
                                      scenario.decode);
  } catch (const workloads::InvalidDecodeConfig& error) {
    return {kDoesNotFit, error.what()};
  }
  return {kSimulated, ""};
}

std::string optional_number(bool present, double value) {
  return present ? exact_number(value) : std::string();
}

class SearchEvaluator final : public SweepEvaluator {
 public:
  SearchEvaluator(const SearchOptions& options, SearchNetwork network)
      : options_(options), network_(std::move(network)) {}

  std::vector<std::string> columns() const override {
    std::vector<std::string> columns = kLeadColumns;
    for (std::string& name : value_names()) columns.push_back(std::move(name));
    columns.insert(columns.end(), kCostColumns.begin(), kCostColumns.end());
    columns.insert(columns.end(), kFrontColumns.begin(), kFrontColumns.end());
    return columns;
  }
  bool is_text(const std::string& column) const override {
    return is_text_value(column) || column == "status" || column == "reason" ||
           column == "exact_network" || column == "pareto";
  }

  Scenario scenario_at(const std::vector<SweepAxis>& axes, const SweepPoint& point) const {
    std::string file = options_.scenario_files.front();
    std::vector<ScenarioOverride> overrides = options_.overrides;
    overrides.push_back(parse_override(fmt::format("network={}", network_.network)));
    for (std::size_t a = 0; a < axes.size(); ++a) {
      if (axes[a].key == kScenarioAxis)
        file = point.values[a];
      else
        overrides.push_back(parse_override(fmt::format("{}={}", axes[a].key, point.values[a])));
    }
    Scenario scenario = scenario::read_scenario(file, overrides);
    apply_network(scenario, network_);
    return scenario;
  }

  std::vector<std::string> evaluate(const std::vector<SweepAxis>& axes,
                                    const SweepPoint& point) override {
    const Scenario scenario = scenario_at(axes, point);
    const workloads::DecodeConfig& decode = scenario.decode;
    const Classification classification = classify(scenario);
    const bool simulated = classification.status == kSimulated;
    RunResult result;
    if (simulated) {
      // One configuration per core (--jobs), or one at a time with gating on a second thread.
      result = simulate(scenario, {.prefetch_gating = options_.sweep.jobs <= 1});
    } else {
      result.metrics.memory = workloads::gpu_memory(scenario.model, scenario.gpu, decode);
    }
    std::vector<std::string> values{
        std::string(classification.status), classification.reason,
        exact_number(workloads::largest_batch_per_gpu(scenario.model, scenario.gpu, decode))};
    for (auto& [name, value] : named_values(scenario, result))
      values.push_back(simulated || known_without_simulating(name) ? std::move(value) : "");
    const double power = scenario.gpu.power_watts;
    const double per_gpu = result.metrics.output_tokens_per_second_per_gpu;
    const bool priced = scenario.cost.has_value();
    values.push_back(optional_number(priced, priced ? scenario.cost->usd_per_gpu_hour : 0));
    values.push_back(optional_number(power > 0, power));
    values.push_back(
        optional_number(priced && simulated && per_gpu > 0,
                        priced ? scenario.cost->usd_per_gpu_hour / (per_gpu * 3600.0) * 1e6 : 0));
    values.push_back(optional_number(power > 0, power * decode.ep_size));
    values.resize(values.size() + kFrontColumns.size());
    return values;
  }

 private:
  const SearchOptions& options_;
  SearchNetwork network_;
};

// The exact re-simulation of the front: one axis `point` (the configurations' indices in the
// search), each evaluated as that configuration.
class FrontEvaluator final : public SweepEvaluator {
 public:
  FrontEvaluator(SearchEvaluator& exact, const std::vector<SweepAxis>& axes)
      : exact_(exact), axes_(axes), points_(cartesian_points(axes)) {}
  std::vector<std::string> columns() const override { return exact_.columns(); }
  bool is_text(const std::string& column) const override { return exact_.is_text(column); }
  std::vector<std::string> evaluate(const std::vector<SweepAxis>&,
                                    const SweepPoint& point) override {
    return exact_.evaluate(axes_, points_.at(std::stoul(point.values.front())));
  }

 private:
  SearchEvaluator& exact_;
  const std::vector<SweepAxis>& axes_;
  std::vector<SweepPoint> points_;
};

// A temporary directory for a search without --out (removed with it).
class Scratch {
 public:
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "moesim-search-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      throw InputError("cannot create a temporary directory for the search");
    path_ = pattern;
  }
  ~Scratch() {
    std::error_code error;
    fs::remove_all(path_, error);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

}  // namespace

std::optional<std::size_t> SearchResult::next_batch(std::size_t index) const {
  std::vector<std::size_t> coordinates(axes.size());
  std::size_t rest = index;
  for (std::size_t a = axes.size(); a-- > 0;) {
    coordinates[a] = rest % axes[a].values.size();
    rest /= axes[a].values.size();
  }
  const std::size_t batch_axis = group_axes + 1;
  if (++coordinates[batch_axis] >= axes[batch_axis].values.size()) return std::nullopt;
  std::size_t next = 0;
  for (std::size_t a = 0; a < axes.size(); ++a)
    next = next * axes[a].values.size() + coordinates[a];
  return next;
}

bool SearchResult::any_target_unmet() const {
  std::map<std::size_t, bool> met;
  for (std::size_t i = 0; i < best.size(); ++i) {
    std::size_t target = i / std::max<std::size_t>(1, groups.size());
    met[target] = met[target] || best[i].point.has_value();
  }
  for (const auto& [target, ok] : met)
    if (!ok) return true;
  return false;
}

namespace {

// Configurations per group: the product of the axes after the group axes.
std::size_t points_per_group(const Space& space) {
  std::size_t per_group = 1;
  for (std::size_t a = space.group_axes; a < space.axes.size(); ++a)
    per_group *= space.axes[a].values.size();
  return per_group;
}

// The result's frame: the space's axes and notes, and one entry per group.
SearchResult describe(const Space& space, const SearchOptions& options) {
  SearchResult result;
  result.axes = space.axes;
  result.group_axes = space.group_axes;
  result.notes = space.notes;
  result.left_out = space.left_out;
  result.search = options.search;
  result.exact = options.exact;
  result.shard = options.sweep.shard;
  for (const Group& group : space.groups) {
    SearchGroup info;
    info.scenario_name = group.base.name;
    info.moe_layers = group.base.model.moe_layer_count();
    info.resimulated = group.resimulate;
    info.search_network = group.search_label;
    info.exact_network = group.exact_label;
    info.label = group.base.name;
    for (const ScenarioOverride& override : group.overrides)
      info.label += fmt::format(", {}", value_label(override.value));
    result.groups.push_back(std::move(info));
  }
  return result;
}

// --dry-run: every configuration classified (simulated, does not fit, invalid), none simulated.
void classify_without_simulating(const Space& space, const SearchOptions& options,
                                 SearchResult& result) {
  SearchEvaluator evaluator(options, options.search);
  const std::vector<SweepPoint> points = cartesian_points(space.axes);
  result.points.resize(points.size());
  const std::size_t per_group = points_per_group(space);
  scenario::parallel_for(
      points.size(), std::max<std::size_t>(1, options.sweep.jobs), [&](std::size_t i) {
        SearchPoint& point = result.points[i];
        point.index = i;
        point.group = i / per_group;
        try {
          const Scenario scenario = evaluator.scenario_at(space.axes, points[i]);
          const Classification c = classify(scenario);
          point.status = c.status == kSimulated    ? SearchPoint::Status::Simulated
                         : c.status == kDoesNotFit ? SearchPoint::Status::DoesNotFit
                                                   : SearchPoint::Status::Invalid;
          point.reason = c.reason;
          point.ep_size = scenario.decode.ep_size;
          point.mtp_draft_tokens = scenario.decode.mtp_draft_tokens;
          point.largest_batch_per_gpu =
              workloads::largest_batch_per_gpu(scenario.model, scenario.gpu, scenario.decode);
        } catch (const input::InputError& error) {
          point.reason = error.what();
        }
      });
  result.dry_run = true;
  result.complete = true;
}

// Each group's Pareto front over its simulated configurations (search-pass figures).
void mark_fronts(SearchResult& result) {
  for (std::size_t g = 0; g < result.groups.size(); ++g) {
    std::vector<SearchFigures> figures;
    std::vector<std::size_t> members;
    for (const SearchPoint& point : result.points)
      if (point.group == g && point.status == SearchPoint::Status::Simulated) {
        figures.push_back(point.search);
        members.push_back(point.index);
      }
    result.groups[g].front.clear();
    for (const std::size_t i : pareto_front(figures)) {
      result.groups[g].front.push_back(members[i]);
      result.points[members[i]].pareto = true;
    }
  }
}

// The front again with the exact network, where it differs from the search network; returns the
// exact rows (none without an exact network or a front to re-simulate).
std::vector<SweepRow> resimulate_front(const SearchOptions& options, const Space& space,
                                       const SweepOptions& sweep, bool keep_output,
                                       SearchResult& result) {
  std::vector<std::string> to_resimulate;
  for (const SearchGroup& group : result.groups)
    if (group.resimulated)
      for (const std::size_t point : group.front) to_resimulate.push_back(std::to_string(point));
  if (!options.exact || to_resimulate.empty()) return {};
  std::sort(
      to_resimulate.begin(), to_resimulate.end(),
      [](const std::string& a, const std::string& b) { return std::stoul(a) < std::stoul(b); });
  SearchEvaluator exact(options, *options.exact);
  FrontEvaluator front(exact, space.axes);
  SweepOptions again = sweep;
  again.output = exact_output_path(sweep.output);
  again.shard = {};
  const std::vector<SweepAxis> front_axes{{"point", to_resimulate}};
  spdlog::info("re-simulating the {} configurations of the front with the exact network ({})",
               to_resimulate.size(), options.exact->label());
  run_sweep(front_axes, front, again);
  std::vector<SweepRow> exact_rows = read_sweep_rows(again.output, again.format);
  const std::size_t per_group = points_per_group(space);
  check_network(exact_rows, again.output, [&](const SweepRow& row) -> const Scenario& {
    return space.groups.at(std::stoul(row.at("vary.point")) / per_group).exact;
  });
  for (const SweepRow& row : exact_rows) {
    if (row.at("status") != kSimulated) continue;
    SearchPoint& point = result.points.at(std::stoul(row.at("vary.point")));
    point.exact = figures_of(row, "");
    ++result.resimulated;
  }
  if (keep_output) result.exact_output = again.output;
  return exact_rows;
}

// The best configuration under each target, per group: on the exact figures of the front where
// it was re-simulated, else over every simulated configuration.
void pick_best(const SearchOptions& options, SearchResult& result) {
  for (const SearchTarget& target : options.targets)
    for (std::size_t g = 0; g < result.groups.size(); ++g) {
      std::vector<SearchFigures> figures;
      std::vector<std::size_t> members;
      for (const SearchPoint& point : result.points) {
        if (point.group != g || point.status != SearchPoint::Status::Simulated) continue;
        if (result.groups[g].resimulated && !point.exact) continue;
        figures.push_back(point.figures());
        members.push_back(point.index);
      }
      const auto best = best_under_target(figures, target);
      result.best.push_back({target, g, best ? std::optional(members[*best]) : std::nullopt});
    }
}

// The search pass's rows with each re-simulated row's own simulated_moe_layers beside them.
std::vector<SweepRow> with_exact_layers(std::vector<SweepRow> rows,
                                        const std::vector<SweepRow>& exact_rows) {
  std::map<std::size_t, std::string> exact_layers;
  for (const SweepRow& row : exact_rows)
    exact_layers[std::stoul(row.at("vary.point"))] = row.at("simulated_moe_layers");
  for (SweepRow& row : rows)
    if (const auto found = exact_layers.find(row.point); found != exact_layers.end())
      row.fields["exact_simulated_moe_layers"] = found->second;
  return rows;
}

void require_some_simulated(const SearchResult& result) {
  std::string why;
  for (const SearchPoint& point : result.points) {
    if (point.status == SearchPoint::Status::Simulated) return;
    if (why.empty()) why = point.reason;
  }
  throw InputError(
      fmt::format("none of the {} configurations of the search can be simulated (e.g. {})",
                  result.points.size(), why));
}

}  // namespace

SearchResult run_search(const SearchOptions& options) {
  if (options.scenario_files.empty()) throw UsageError("search needs a scenario file");
  const Space space = derive_space(options);
  SearchResult result = describe(space, options);
  if (options.dry_run) {
    classify_without_simulating(space, options, result);
    return result;
  }

  std::optional<Scratch> scratch;
  SweepOptions sweep = options.sweep;
  if (sweep.output.empty()) {
    if (sweep.shard.count > 1) throw UsageError("--shard needs --out FILE");
    scratch.emplace();
    sweep.output = scratch->file("search.csv");
    sweep.format = SweepFormat::Csv;
  } else {
    result.output = sweep.output;
  }
  SearchEvaluator evaluator(options, options.search);
  result.pass = run_sweep(space.axes, evaluator, sweep);
  if (sweep.shard.count > 1) return result;

  const std::vector<SweepRow> rows = read_sweep_rows(sweep.output, sweep.format);
  const std::size_t per_group = points_per_group(space);
  check_network(rows, sweep.output, [&](const SweepRow& row) -> const Scenario& {
    return space.groups.at(row.point / per_group).base;
  });
  result.points.resize(result.pass.points);
  for (std::size_t i = 0; i < result.points.size(); ++i) {
    result.points[i].index = i;
    result.points[i].group = i / per_group;
  }
  for (const SweepRow& row : rows)
    result.points.at(row.point) = point_of(row, row.point / per_group);

  mark_fronts(result);
  const std::vector<SweepRow> exact_rows =
      resimulate_front(options, space, sweep, !scratch.has_value(), result);
  pick_best(options, result);
  rewrite_rows(sweep.output, sweep.format, space.axes, evaluator,
               with_exact_layers(rows, exact_rows), result.points, options.exact);
  result.complete = true;
  require_some_simulated(result);
  return result;
}

}  // namespace moesim::cli
