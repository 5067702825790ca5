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

// ---- reading the rows back ----

double number_or_zero(const std::string& text) {
  if (text.empty()) return 0;
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    return 0;
  }
}

std::uint32_t count_or_zero(const std::string& text) {
  return static_cast<std::uint32_t>(number_or_zero(text));
}

SearchFigures figures_of(const SweepRow& row, std::string_view prefix) {
  auto value = [&](std::string_view name) {
    return number_or_zero(row.at(fmt::format("{}{}", prefix, name)));
  };
  return {value("tpot_us"), value("per_user_tokens_per_second"), value("tokens_per_second_per_gpu"),
          value("tokens_per_second_per_node")};
}

SearchPoint point_of(const SweepRow& row, std::size_t group) {
  SearchPoint point;
  point.index = row.point;
  point.group = group;
  const std::string& status = row.at("status");
  point.status = status == kSimulated    ? SearchPoint::Status::Simulated
                 : status == kDoesNotFit ? SearchPoint::Status::DoesNotFit
                 : status == kInvalid    ? SearchPoint::Status::Invalid
                                         : SearchPoint::Status::Error;
  point.reason = point.status == SearchPoint::Status::Error ? row.at("error") : row.at("reason");
  point.ep_size = count_or_zero(row.at("ep_size"));
  point.batch_per_gpu = count_or_zero(row.at("batch_per_gpu"));
  point.mtp_draft_tokens = count_or_zero(row.at("mtp_draft_tokens"));
  point.nodes = count_or_zero(row.at("nodes"));
  point.dispatch_mode = row.at("dispatch_mode");
  point.two_micro_batch_overlap = row.at("two_micro_batch_overlap") == "true";
  point.largest_batch_per_gpu = count_or_zero(row.at("largest_batch_per_gpu"));
  point.headroom_bytes_per_gpu = number_or_zero(row.at("headroom_bytes_per_gpu"));
  if (!row.at("usd_per_gpu_hour").empty())
    point.usd_per_gpu_hour = number_or_zero(row.at("usd_per_gpu_hour"));
  point.gpu_power_watts = number_or_zero(row.at("gpu_power_watts"));
  point.search = figures_of(row, "");
  return point;
}

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

std::string exact_output_path(const std::string& output) {
  const fs::path path(output);
  return (path.parent_path() /
          fmt::format("{}.exact{}", path.stem().string(), path.extension().string()))
      .string();
}

// Writes the rows back with the front and the exact figures filled in (atomically).
void rewrite_rows(const std::string& output, SweepFormat format, const std::vector<SweepAxis>& axes,
                  const SearchEvaluator& evaluator, const std::vector<SweepRow>& rows,
                  const std::vector<SearchPoint>& points,
                  const std::optional<SearchNetwork>& exact) {
  const std::vector<std::string> columns = evaluator.columns();
  const std::vector<SweepPoint> cartesian = cartesian_points(axes);
  std::string content = format == SweepFormat::Csv ? sweep_header(axes, evaluator) + "\n" : "";
  for (const SweepRow& row : rows) {
    const SearchPoint& point = points.at(row.point);
    std::map<std::string, std::string, std::less<>> fields = row.fields;
    for (const std::string& column : kFrontColumns) fields[column].clear();
    if (point.status == SearchPoint::Status::Simulated)
      fields["pareto"] = point.pareto ? "true" : "false";
    if (point.exact && exact) {
      fields["exact_network"] = exact->network;
      fields["exact_simulated_moe_layers"] = row.at("exact_simulated_moe_layers");
      fields["exact_tpot_us"] = exact_number(point.exact->tpot_us);
      fields["exact_per_user_tokens_per_second"] =
          exact_number(point.exact->per_user_tokens_per_second);
      fields["exact_tokens_per_second_per_gpu"] =
          exact_number(point.exact->tokens_per_second_per_gpu);
      fields["exact_tokens_per_second_per_node"] =
          exact_number(point.exact->tokens_per_second_per_node);
      if (const auto cost = point.usd_per_million_tokens())
        fields["exact_usd_per_million_tokens"] = exact_number(*cost);
    }
    std::vector<std::string> values;
    for (const std::string& column : columns) values.push_back(fields[column]);
    content +=
        sweep_row(format, axes, evaluator, cartesian.at(row.point), values, fields["error"]) + "\n";
  }
  write_file_atomically(output, content);
}

// Rows resumed from an earlier run must come from the same network: the sweep machinery checks
// the axes' values, this checks what they were simulated with.
void check_network(const std::vector<SweepRow>& rows, const std::string& file,
                   const std::function<const Scenario&(const SweepRow&)>& expected) {
  for (const SweepRow& row : rows) {
    if (row.at("status") != kSimulated) continue;
    const Scenario& scenario = expected(row);
    const std::string network(to_string(scenario.decode.network));
    const std::uint32_t sampled = scenario.decode.sampled_moe_layers;
    const std::string layers = std::to_string(sampled ? sampled : scenario.model.moe_layer_count());
    if (row.at("network") != network || row.at("simulated_moe_layers") != layers)
      throw InputError(fmt::format(
          "{}: point {} was simulated with the {} network and {} MoE layers, this search uses {} "
          "and {}; remove the file or choose another --out",
          file, row.point, row.at("network"), row.at("simulated_moe_layers"), network, layers));
  }
}

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

SearchResult run_search(const SearchOptions& options) {
  if (options.scenario_files.empty()) throw UsageError("search needs a scenario file");
  Space space = derive_space(options);
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

  if (options.dry_run) {
    SearchEvaluator evaluator(options, options.search);
    const std::vector<SweepPoint> points = cartesian_points(space.axes);
    result.points.resize(points.size());
    std::size_t per_group = 1;
    for (std::size_t a = space.group_axes; a < space.axes.size(); ++a)
      per_group *= space.axes[a].values.size();
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
  std::size_t per_group = 1;
  for (std::size_t a = space.group_axes; a < space.axes.size(); ++a)
    per_group *= space.axes[a].values.size();
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

  auto fronts = [&] {
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
  };
  fronts();

  // The front again with the exact network, where it differs from the search network.
  std::vector<std::string> to_resimulate;
  for (const SearchGroup& group : result.groups)
    if (group.resimulated)
      for (const std::size_t point : group.front) to_resimulate.push_back(std::to_string(point));
  std::sort(
      to_resimulate.begin(), to_resimulate.end(),
      [](const std::string& a, const std::string& b) { return std::stoul(a) < std::stoul(b); });
  std::vector<SweepRow> exact_rows;
  if (options.exact && !to_resimulate.empty()) {
    SearchEvaluator exact(options, *options.exact);
    FrontEvaluator front(exact, space.axes);
    SweepOptions again = sweep;
    again.output = exact_output_path(sweep.output);
    again.shard = {};
    const std::vector<SweepAxis> front_axes{{"point", to_resimulate}};
    spdlog::info("re-simulating the {} configurations of the front with the exact network ({})",
                 to_resimulate.size(), options.exact->label());
    run_sweep(front_axes, front, again);
    exact_rows = read_sweep_rows(again.output, again.format);
    std::vector<Scenario> exact_bases;
    for (const Group& group : space.groups) exact_bases.push_back(group.exact);
    check_network(exact_rows, again.output, [&](const SweepRow& row) -> const Scenario& {
      return exact_bases.at(std::stoul(row.at("vary.point")) / per_group);
    });
    for (const SweepRow& row : exact_rows) {
      if (row.at("status") != kSimulated) continue;
      SearchPoint& point = result.points.at(std::stoul(row.at("vary.point")));
      point.exact = figures_of(row, "");
      ++result.resimulated;
    }
    if (!scratch) result.exact_output = again.output;
  }

  // The best configuration under each target, per group: on the exact figures of the front where
  // it was re-simulated, else over every simulated configuration.
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

  // Exact columns: the re-simulated row's own simulated_moe_layers.
  std::vector<SweepRow> annotated = rows;
  std::map<std::size_t, std::string> exact_layers;
  for (const SweepRow& row : exact_rows)
    exact_layers[std::stoul(row.at("vary.point"))] = row.at("simulated_moe_layers");
  for (SweepRow& row : annotated)
    if (const auto found = exact_layers.find(row.point); found != exact_layers.end())
      row.fields["exact_simulated_moe_layers"] = found->second;
  rewrite_rows(sweep.output, sweep.format, space.axes, evaluator, annotated, result.points,
               options.exact);
  result.complete = true;

  std::size_t simulated = 0;
  for (const SearchPoint& point : result.points)
    simulated += point.status == SearchPoint::Status::Simulated;
  if (simulated == 0) {
    std::string why;
    for (const SearchPoint& point : result.points)
      if (!point.reason.empty()) {
        why = point.reason;
        break;
      }
    throw InputError(
        fmt::format("none of the {} configurations of the search can be simulated (e.g. {})",
                    result.points.size(), why));
  }
  return result;
}

}  // namespace moesim::cli
