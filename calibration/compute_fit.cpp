#include "calibration/compute_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "calibration/minimize.h"
#include "input/mapping.h"
#include "sim/rng.h"
#include "workloads/model.h"

namespace moesim::calibration {

namespace {

constexpr std::array<std::string_view, kComputeOperationCount> kOperationNames{
    "attention-module", "routed-experts", "dense-gemm"};

// DeepGEMM's masked grouped GEMM works in M tiles of 64 rows: a slot's tokens are padded to whole
// tiles (docs/validation.md "Compute": padding lowers the power-law table's error).
constexpr std::uint32_t kExpertTileRows = 64;

ComputeOperation operation_named(const input::Mapping& map, std::string_view key) {
  const std::string text = map.string(key);
  for (std::size_t i = 0; i < kOperationNames.size(); ++i)
    if (text == kOperationNames[i]) return static_cast<ComputeOperation>(i);
  map.fail(key, "unknown operation '" + text +
                    "' (expected attention-module, routed-experts or dense-gemm)");
}

double cell(const input::ScalarRow& row, std::size_t column) {
  double value = 0;
  if (!input::parse_finite_number(row.cells.at(column), value) || !(value > 0))
    throw input::InputError(row.where + ": expected a positive number in column " +
                            std::to_string(column + 1) + ", got '" + row.cells.at(column) + "'");
  return value;
}
bool empty_cell(const input::ScalarRow& row, std::size_t column) {
  return row.cells.at(column).empty();
}

std::size_t gpu_index(const ComputeData& data, const input::Mapping& at, std::string_view key,
                      const std::string& name) {
  for (std::size_t i = 0; i < data.gpus.size(); ++i)
    if (data.gpus[i].key == name) return i;
  at.fail(key, "GPU '" + name + "' is not in the generations file");
}

std::size_t column_of(const input::Mapping& table, const std::vector<std::string>& columns,
                      const std::string& name) {
  const auto found = std::find(columns.begin(), columns.end(), name);
  if (found == columns.end()) table.fail("columns", "missing column '" + name + "'");
  return static_cast<std::size_t>(found - columns.begin());
}

// ---- the power-law busiest rank (reconstruction of the aiconfigurator collector) ----
//
// n = tokens_per_rank x EP tokens, 8 n copies; 256 expert loads x_i drawn i.i.d. from a power law
// pdf ~ x^-alpha on [1, 0.8 n] (on [0.01, 2] when copies <= 256) by inverse CDF, scaled to the
// copies and rounded (the remainder to the largest experts), capped at n; EP ranks own 256 / EP
// consecutive experts; the benchmarked rank is the one with the most copies. Returns one tokens-
// per-slot vector of the busiest rank per draw.
std::vector<std::vector<std::uint32_t>> power_law_busiest(std::uint32_t ep, std::uint32_t per_rank,
                                                          std::uint32_t experts,
                                                          std::uint32_t top_k, double alpha,
                                                          std::uint32_t draws) {
  sim::RandomStream random(1, "power-law-" + std::to_string(ep) + "-" + std::to_string(per_rank));
  const double tokens = static_cast<double>(ep) * per_rank;
  const double copies = tokens * top_k;
  const bool few = copies <= experts;
  const double low = few ? 0.01 : 1.0, high = few ? 2.0 : 0.8 * tokens;
  const double a1 = 1 - alpha;
  std::vector<std::vector<std::uint32_t>> result;
  std::vector<double> x(experts);
  std::vector<std::int64_t> count(experts);
  std::vector<std::size_t> order(experts);
  for (std::uint32_t draw = 0; draw < draws; ++draw) {
    double sum = 0;
    for (double& v : x) {
      v = std::pow((std::pow(high, a1) - std::pow(low, a1)) * random.uniform() + std::pow(low, a1),
                   1 / a1);
      sum += v;
    }
    std::int64_t total = 0;
    for (std::size_t i = 0; i < experts; ++i) {
      count[i] = std::llround(x[i] / sum * copies);
      total += count[i];
    }
    for (std::size_t i = 0; i < experts; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return count[a] > count[b]; });
    std::int64_t delta = static_cast<std::int64_t>(copies) - total;
    for (std::size_t i = 0; delta != 0; ++i) {
      std::int64_t& c = count[order[i % experts]];
      if (delta > 0) {
        ++c;
        --delta;
      } else if (c > 0) {
        --c;
        ++delta;
      }
    }
    const std::uint32_t per = experts / ep;
    std::size_t busiest = 0;
    std::int64_t most = -1;
    for (std::uint32_t r = 0; r < ep; ++r) {
      std::int64_t load = 0;
      for (std::uint32_t e = r * per; e < (r + 1) * per; ++e)
        load += std::min<std::int64_t>(count[e], static_cast<std::int64_t>(tokens));
      if (load > most) {
        most = load;
        busiest = r;
      }
    }
    std::vector<std::uint32_t> slots(per);
    for (std::uint32_t e = 0; e < per; ++e)
      slots[e] = static_cast<std::uint32_t>(
          std::min<std::int64_t>(count[busiest * per + e], static_cast<std::int64_t>(tokens)));
    result.push_back(std::move(slots));
  }
  return result;
}

void read_attention(const input::Mapping& table, const workloads::ModelSpec& model,
                    ComputeData& data) {
  table.expect_only({"id", "source", "verification", "setting", "notes", "gpu", "columns", "rows"});
  const std::string id = table.string("id");
  const std::size_t g = gpu_index(data, table, "gpu", table.string("gpu"));
  const std::vector<std::string> columns = table.strings("columns");
  const std::size_t batch = column_of(table, columns, "batch");
  const std::size_t kv = column_of(table, columns, "kv_len");
  const std::array<std::pair<std::string, double>, 2> caches{
      {{"bf16kv_us", 2.0}, {"fp8kv_us", 1.0}}};
  for (const input::ScalarRow& row : table.rows("rows", columns.size())) {
    for (const auto& [name, element_bytes] : caches) {
      const std::size_t c = column_of(table, columns, name);
      if (empty_cell(row, c)) continue;
      workloads::ModelSpec shape = model;
      shape.kv_cache_bytes_per_element = element_bytes;
      const workloads::GpuSpec& gpu = data.gpus[g].spec;
      const workloads::ComputeModel compute(shape, gpu, 1.0);
      ComputePoint point;
      point.data_id = id;
      point.operation = ComputeOperation::AttentionModule;
      point.gpu = g;
      const auto b = static_cast<std::uint32_t>(cell(row, batch));
      const auto s = static_cast<std::uint64_t>(cell(row, kv));
      point.work = compute.attention(model.dense_layers, b, 1, s);
      point.projection_peak = gpu.peak_flops_for_weight_bytes(model.weight_bytes_per_parameter);
      point.measured_seconds = cell(row, c) * 1e-6;
      point.label = "batch " + std::to_string(b) + ", KV " + std::to_string(s) + ", " +
                    (element_bytes == 2.0 ? "BF16" : "FP8") + " KV";
      data.points.push_back(std::move(point));
    }
  }
}

void read_experts(const input::Mapping& table, const workloads::ModelSpec& model,
                  ComputeData& data) {
  table.expect_only({"id", "source", "verification", "setting", "notes", "routing",
                     "power_law_alpha", "columns", "rows"});
  const std::string id = table.string("id");
  const std::string routing = table.string("routing");
  if (routing != "uniform" && routing != "power-law")
    table.fail("routing", "expected uniform or power-law");
  const double alpha = routing == "power-law" ? table.number("power_law_alpha") : 0;
  if (routing == "power-law" && !(alpha > 1)) table.fail("power_law_alpha", "must be > 1");
  const std::vector<std::string> columns = table.strings("columns");
  const std::size_t ep_column = column_of(table, columns, "ep");
  const std::size_t tokens_column = column_of(table, columns, "tokens_per_rank");
  const std::uint32_t experts = model.routed_expert_count, top_k = model.experts_per_token_count;
  for (const input::ScalarRow& row : table.rows("rows", columns.size())) {
    const auto ep = static_cast<std::uint32_t>(cell(row, ep_column));
    const auto per_rank = static_cast<std::uint32_t>(cell(row, tokens_column));
    if (ep == 0 || experts % ep != 0)
      throw input::InputError(row.where + ": EP " + std::to_string(ep) + " must divide the " +
                              std::to_string(experts) + " experts");
    const std::uint32_t local = experts / ep;
    // The busiest rank's tokens per slot: the collector's uniform rule, or power-law draws.
    std::vector<std::vector<std::uint32_t>> draws;
    if (routing == "uniform") {
      // Every local expert gets per_rank x top_k x EP / experts tokens; below 1, per_rank x top_k
      // local experts get 1 token each.
      const std::uint64_t copies = std::uint64_t{per_rank} * top_k * ep;
      std::vector<std::uint32_t> slots(local, 0);
      if (copies >= experts) {
        std::fill(slots.begin(), slots.end(), static_cast<std::uint32_t>(copies / experts));
      } else {
        for (std::uint32_t e = 0;
             e < std::min<std::uint64_t>(local, std::uint64_t{per_rank} * top_k); ++e)
          slots[e] = 1;
      }
      draws.push_back(std::move(slots));
    } else {
      draws = power_law_busiest(ep, per_rank, experts, top_k, alpha, 400);
    }
    for (std::size_t g = 0; g < data.gpus.size(); ++g) {
      const auto found = std::find(columns.begin(), columns.end(), data.gpus[g].key + "_us");
      if (found == columns.end()) continue;
      const auto c = static_cast<std::size_t>(found - columns.begin());
      if (empty_cell(row, c)) continue;
      const workloads::GpuSpec& gpu = data.gpus[g].spec;
      workloads::ComputeCosts tiles;
      tiles.experts.tile_rows = kExpertTileRows;
      const workloads::ComputeModel compute(model, gpu, 1.0, &tiles);
      // Features averaged over the draws (one draw for uniform routing).
      ComputePoint point;
      point.work = compute.routed_experts(draws.front());
      point.work.active_slots = point.work.padded_tokens = 0;
      for (const auto& slots : draws) {
        const workloads::KernelWork work = compute.routed_experts(slots);
        point.work.active_slots += work.active_slots / static_cast<double>(draws.size());
        point.work.padded_tokens += work.padded_tokens / static_cast<double>(draws.size());
      }
      point.data_id = id;
      point.operation = ComputeOperation::RoutedExperts;
      point.gpu = g;
      point.expert_peak = gpu.peak_flops_for_weight_bytes(model.expert_weight_bytes_per_parameter);
      point.measured_seconds = cell(row, c) * 1e-6;
      point.label = "EP" + std::to_string(ep) + ", " + std::to_string(per_rank) +
                    " tokens per GPU, " + routing;
      data.points.push_back(std::move(point));
    }
  }
}

void read_gemms(const input::Mapping& table, ComputeData& data) {
  table.expect_only(
      {"id", "source", "verification", "setting", "notes", "shapes", "columns", "rows"});
  const std::string id = table.string("id");
  const std::vector<std::string> columns = table.strings("columns");
  const std::size_t system = column_of(table, columns, "system");
  const std::size_t m_column = column_of(table, columns, "m");
  const input::Mapping shapes = table.map("shapes");
  for (const input::ScalarRow& row : table.rows("rows", columns.size())) {
    const std::size_t g = gpu_index(data, table, "rows", row.cells.at(system));
    for (const std::string& name : shapes.keys()) {
      const input::Mapping shape = shapes.map(name);
      shape.expect_only({"n", "k", "weight_bytes"});
      const std::size_t c = column_of(table, columns, name);
      if (empty_cell(row, c)) continue;
      ComputePoint point;
      point.data_id = id;
      point.operation = ComputeOperation::DenseGemm;
      point.gpu = g;
      point.gemm = {cell(row, m_column), shape.number("n"), shape.number("k"),
                    shape.number("weight_bytes")};
      point.measured_seconds = cell(row, c) * 1e-6;
      char label[96];
      std::snprintf(label, sizeof label, "%.0fx%.0f, m %.0f", point.gemm.n, point.gemm.k,
                    point.gemm.m);
      point.label = label;
      data.points.push_back(std::move(point));
    }
  }
}

// ---- fitting ----

// Parameters as fitted (time constants in us / ns, inverse fractions), to and from costs.
std::vector<double> to_vector(ComputeOperation op, const workloads::ComputeCosts& c) {
  switch (op) {
    case ComputeOperation::AttentionModule:
      return {c.attention.fixed_seconds * 1e6, 1 / c.attention.projection_flops_fraction,
              1 / c.attention.kv_bandwidth_fraction, 1 / c.attention.attention_flops_fraction,
              c.attention.seconds_per_context_token * 1e9};
    case ComputeOperation::RoutedExperts:
      return {c.experts.fixed_seconds * 1e6, 1 / c.experts.bandwidth_fraction,
              1 / c.experts.flops_fraction, c.experts.seconds_per_local_expert * 1e6,
              c.experts.norm_exponent};
    case ComputeOperation::DenseGemm:
      return {c.gemm.fixed_seconds * 1e6, c.gemm.seconds_per_reduction_element * 1e9,
              1 / c.gemm.bandwidth_fraction, 1 / c.gemm.flops_fraction};
  }
  return {};
}

bool from_vector(ComputeOperation op, const std::vector<double>& x, workloads::ComputeCosts& c) {
  for (double v : x)
    if (!(v >= 0) || !std::isfinite(v)) return false;
  switch (op) {
    case ComputeOperation::AttentionModule:
      if (x[1] <= 0 || x[2] <= 0 || x[3] <= 0) return false;
      c.attention = {x[0] * 1e-6, 1 / x[1], 1 / x[2], 1 / x[3], x[4] * 1e-9};
      return true;
    case ComputeOperation::RoutedExperts:
      if (x[1] <= 0 || x[2] <= 0 || x[4] < 1 || x[4] > 50) return false;
      c.experts = {x[0] * 1e-6, x[3] * 1e-6, 1 / x[1], 1 / x[2], x[4], kExpertTileRows};
      return true;
    case ComputeOperation::DenseGemm:
      if (x[2] <= 0 || x[3] <= 0) return false;
      c.gemm = {x[0] * 1e-6, x[1] * 1e-9, 1 / x[2], 1 / x[3]};
      return true;
  }
  return false;
}

workloads::ComputeCosts start_costs(ComputeOperation op) {
  workloads::ComputeCosts c;
  switch (op) {
    case ComputeOperation::AttentionModule:
      c.attention = {60e-6, 0.4, 0.75, 0.75, 1e-9};
      break;
    case ComputeOperation::RoutedExperts:
      c.experts = {20e-6, 0.5e-6, 0.8, 0.6, 2.0, kExpertTileRows};
      break;
    case ComputeOperation::DenseGemm:
      c.gemm = {5e-6, 0.5e-9, 1.0, 0.55};
      break;
  }
  return c;
}

// Fits one operation's parameters on `members` (the generation's flag per point's GPU applies).
workloads::ComputeCosts fit_operation(const ComputeData& data, ComputeOperation op,
                                      const std::vector<std::size_t>& members) {
  workloads::ComputeCosts costs = start_costs(op);
  auto objective = [&](const std::vector<double>& x) {
    workloads::ComputeCosts trial = costs;
    if (!from_vector(op, x, trial)) return std::numeric_limits<double>::infinity();
    double sum = 0;
    for (std::size_t i : members) {
      const ComputePoint& point = data.points[i];
      trial.fp8_kv_attention_at_fp8_peak =
          data.fp8_kv_attention_at_fp8_peak.at(data.gpus[point.gpu].generation);
      const double error =
          (predict_seconds(point, data, trial) - point.measured_seconds) / point.measured_seconds;
      sum += error * error;
    }
    return sum;
  };
  const std::vector<double> x0 = to_vector(op, costs);
  Minimum best{{}, std::numeric_limits<double>::infinity()};
  for (double scale : {1.0, 0.7, 1.4}) {
    std::vector<double> start = x0;
    for (std::size_t i = 1; i < start.size(); ++i) start[i] *= scale;
    Minimum found = minimize(objective, start);
    if (found.value < best.value) best = std::move(found);
  }
  from_vector(op, best.x, costs);
  return costs;
}

std::string format_us(double seconds) {
  char text[48];
  std::snprintf(text, sizeof text, "%.4f us", seconds * 1e6);
  return text;
}
std::string format_ns(double seconds) {
  char text[48];
  std::snprintf(text, sizeof text, "%.5f ns", seconds * 1e9);
  return text;
}
std::string format_number(double value) {
  char text[48];
  std::snprintf(text, sizeof text, "%.5f", value);
  return text;
}

}  // namespace

std::string_view to_string(ComputeOperation operation) {
  return kOperationNames.at(static_cast<std::size_t>(operation));
}

ComputeData load_compute_data(const std::string& generations_file,
                              std::span<const std::string> table_files) {
  ComputeData data;
  data.input_files.push_back(generations_file);
  const input::Mapping root = input::Mapping::load_file(generations_file);
  root.expect_only({"source", "notes", "shared_across_generations", "generations"});
  root.string("source");
  for (const std::string& name : root.strings("shared_across_generations")) {
    bool known = false;
    for (std::size_t i = 0; i < kOperationNames.size(); ++i)
      if (name == kOperationNames[i]) {
        data.shared[i] = true;
        known = true;
      }
    if (!known) root.fail("shared_across_generations", "unknown operation '" + name + "'");
  }
  const input::Mapping generations = root.map("generations");
  for (const std::string& generation : generations.keys()) {
    const input::Mapping entry = generations.map(generation);
    entry.expect_only({"fp8_kv_attention_at_fp8_peak", "gpus"});
    data.generations.push_back(generation);
    data.fp8_kv_attention_at_fp8_peak[generation] = entry.boolean("fp8_kv_attention_at_fp8_peak");
    const input::Mapping gpus = entry.map("gpus");
    for (const std::string& key : gpus.keys()) {
      const std::string file = input::resolve_relative(generations_file, gpus.string(key));
      std::error_code error;
      if (!std::filesystem::is_regular_file(file, error))
        gpus.fail(key, "cannot open '" + file + "'");
      data.input_files.push_back(file);
      data.gpus.push_back({key, generation, workloads::load_gpu_file(file), false});
    }
  }
  for (const std::string& file : table_files) {
    data.input_files.push_back(file);
    const input::Mapping table_root = input::Mapping::load_file(file);
    table_root.expect_only({"source", "notes", "operation", "model", "measurements"});
    table_root.string("source");
    const ComputeOperation op = operation_named(table_root, "operation");
    std::optional<workloads::ModelSpec> model;
    if (op != ComputeOperation::DenseGemm) {
      const std::string model_file = input::resolve_relative(file, table_root.string("model"));
      std::error_code error;
      if (!std::filesystem::is_regular_file(model_file, error))
        table_root.fail("model", "cannot open '" + model_file + "'");
      data.input_files.push_back(model_file);
      model = workloads::load_model_file(model_file);
    }
    for (const input::Mapping& table : table_root.maps("measurements")) {
      switch (op) {
        case ComputeOperation::AttentionModule:
          read_attention(table, *model, data);
          break;
        case ComputeOperation::RoutedExperts:
          read_experts(table, *model, data);
          break;
        case ComputeOperation::DenseGemm:
          read_gemms(table, data);
          break;
      }
    }
  }
  for (const ComputePoint& point : data.points) data.gpus[point.gpu].measured = true;
  return data;
}

std::vector<std::string> default_compute_files(const std::string& configs_dir) {
  const std::string directory = configs_dir + "/validation/compute";
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error))
    throw input::InputError(directory + ": no such directory (is '" + configs_dir +
                            "' a moesim configs/ directory?)");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  if (error) throw input::InputError(directory + ": " + error.message());
  std::sort(files.begin(), files.end());
  return files;
}

double predict_seconds(const ComputePoint& point, const ComputeData& data,
                       const workloads::ComputeCosts& costs) {
  const workloads::GpuSpec& gpu = data.gpus[point.gpu].spec;
  switch (point.operation) {
    case ComputeOperation::AttentionModule:
      return workloads::attention_seconds(point.work, gpu, point.projection_peak, costs);
    case ComputeOperation::RoutedExperts:
      return workloads::routed_expert_seconds(point.work, gpu, point.expert_peak, costs.experts);
    case ComputeOperation::DenseGemm:
      return workloads::gemm_seconds(point.gemm, gpu, costs.gemm);
  }
  return 0;
}

ComputeFit fit_compute(const ComputeData& data, const std::string& leave_out) {
  ComputeFit fit;
  for (const std::string& generation : data.generations) {
    ComputeGeneration entry;
    entry.costs.generation = generation;
    entry.costs.fp8_kv_attention_at_fp8_peak = data.fp8_kv_attention_at_fp8_peak.at(generation);
    for (const ComputeGpu& gpu : data.gpus)
      if (gpu.generation == generation)
        entry.gpus.push_back({gpu.spec.name, gpu.spec.hbm_bandwidth_bytes_per_second,
                              gpu.spec.bf16_flops_per_second});
    fit.generations.push_back(std::move(entry));
  }
  for (std::size_t o = 0; o < kComputeOperationCount; ++o) {
    const auto op = static_cast<ComputeOperation>(o);
    auto members_of = [&](const std::string& generation) {
      std::vector<std::size_t> members;
      for (std::size_t i = 0; i < data.points.size(); ++i) {
        const ComputePoint& point = data.points[i];
        const ComputeGpu& gpu = data.gpus[point.gpu];
        if (point.operation == op && gpu.key != leave_out &&
            (generation.empty() || gpu.generation == generation))
          members.push_back(i);
      }
      return members;
    };
    auto apply = [&](ComputeGeneration& generation, const workloads::ComputeCosts& costs) {
      switch (op) {
        case ComputeOperation::AttentionModule:
          generation.costs.attention = costs.attention;
          break;
        case ComputeOperation::RoutedExperts:
          generation.costs.experts = costs.experts;
          break;
        case ComputeOperation::DenseGemm:
          generation.costs.gemm = costs.gemm;
          break;
      }
    };
    if (data.shared[o]) {
      const std::vector<std::size_t> members = members_of({});
      if (members.empty()) continue;
      const workloads::ComputeCosts costs = fit_operation(data, op, members);
      for (ComputeGeneration& generation : fit.generations) apply(generation, costs);
      continue;
    }
    // Per generation; a generation without points (left out) takes the closest generation's
    // set: the first one fitted.
    std::optional<workloads::ComputeCosts> first;
    std::vector<ComputeGeneration*> unfitted;
    for (ComputeGeneration& generation : fit.generations) {
      const std::vector<std::size_t> members = members_of(generation.costs.generation);
      if (members.empty()) {
        unfitted.push_back(&generation);
        continue;
      }
      const workloads::ComputeCosts costs = fit_operation(data, op, members);
      apply(generation, costs);
      if (!first) first = costs;
    }
    if (first)
      for (ComputeGeneration* generation : unfitted) apply(*generation, *first);
  }
  return fit;
}

const ComputeGeneration& find_generation(const ComputeFit& fit, const std::string& name) {
  for (const ComputeGeneration& generation : fit.generations)
    if (generation.costs.generation == name) return generation;
  throw std::out_of_range("no fitted compute generation '" + name + "'");
}

ComputeChoice choose_compute_costs(const ComputeFit& fit, const workloads::GpuSpec& gpu) {
  for (const ComputeGeneration& generation : fit.generations)
    for (const ComputeGeneration::Member& member : generation.gpus)
      if (member.name == gpu.name) return {generation.costs, {}};
  const ComputeGeneration* closest = nullptr;
  double best = std::numeric_limits<double>::infinity();
  for (const ComputeGeneration& generation : fit.generations)
    for (const ComputeGeneration::Member& member : generation.gpus) {
      const double bw =
          std::log(gpu.hbm_bandwidth_bytes_per_second / member.hbm_bandwidth_bytes_per_second);
      const double peak = std::log(gpu.bf16_flops_per_second / member.bf16_flops_per_second);
      const double distance = bw * bw + peak * peak;
      if (distance < best) {
        best = distance;
        closest = &generation;
      }
    }
  if (!closest) throw std::out_of_range("no fitted compute generation");
  return {closest->costs, "using " + closest->costs.generation + " measurements for " + gpu.name};
}

ComputeCalibrationFile load_compute_calibration_file(const std::string& path) {
  const input::Mapping root = input::Mapping::load_file(path);
  root.expect_only({"source", "notes", "inputs_hash", "generations"});
  root.string("source");
  ComputeCalibrationFile file;
  const std::string hash = root.string("inputs_hash");
  try {
    std::size_t used = 0;
    file.inputs_hash = std::stoull(hash, &used, 16);
    if (used != hash.size()) throw std::invalid_argument(hash);
  } catch (const std::exception&) {
    root.fail("inputs_hash", "expected 16 hexadecimal digits, got '" + hash + "'");
  }
  for (const input::Mapping& entry : root.maps("generations")) {
    entry.expect_only(
        {"name", "fp8_kv_attention_at_fp8_peak", "gpus", "attention", "gemm", "experts"});
    ComputeGeneration generation;
    generation.costs.generation = entry.string("name");
    generation.costs.fp8_kv_attention_at_fp8_peak = entry.boolean("fp8_kv_attention_at_fp8_peak");
    for (const input::Mapping& gpu : entry.maps("gpus")) {
      gpu.expect_only({"name", "hbm_bandwidth", "bf16_dense"});
      generation.gpus.push_back({gpu.string("name"),
                                 gpu.quantity("hbm_bandwidth", sim::Quantity::BytesPerSecond),
                                 gpu.quantity("bf16_dense", sim::Quantity::FlopsPerSecond)});
      if (!(generation.gpus.back().hbm_bandwidth_bytes_per_second > 0))
        gpu.fail("hbm_bandwidth", "must be > 0");
      if (!(generation.gpus.back().bf16_flops_per_second > 0))
        gpu.fail("bf16_dense", "must be > 0");
    }
    auto fraction = [](const input::Mapping& map, std::string_view key) {
      const double value = map.number(key);
      if (!(value > 0)) map.fail(key, "must be > 0");
      return value;
    };
    const input::Mapping a = entry.map("attention");
    a.expect_only({"fixed", "projection_flops_fraction", "kv_bandwidth_fraction",
                   "attention_flops_fraction", "per_context_token"});
    generation.costs.attention = {
        a.quantity("fixed", sim::Quantity::Seconds), fraction(a, "projection_flops_fraction"),
        fraction(a, "kv_bandwidth_fraction"), fraction(a, "attention_flops_fraction"),
        a.quantity("per_context_token", sim::Quantity::Seconds)};
    const input::Mapping g = entry.map("gemm");
    g.expect_only({"fixed", "per_reduction_element", "bandwidth_fraction", "flops_fraction"});
    generation.costs.gemm = {g.quantity("fixed", sim::Quantity::Seconds),
                             g.quantity("per_reduction_element", sim::Quantity::Seconds),
                             fraction(g, "bandwidth_fraction"), fraction(g, "flops_fraction")};
    const input::Mapping e = entry.map("experts");
    e.expect_only({"fixed", "per_local_expert", "bandwidth_fraction", "flops_fraction",
                   "norm_exponent", "tile_rows"});
    const double exponent = e.number("norm_exponent");
    if (!(exponent >= 1)) e.fail("norm_exponent", "must be >= 1");
    const std::int64_t tile = e.integer("tile_rows");
    if (tile < 1 || tile > 4096) e.fail("tile_rows", "must be from 1 to 4096");
    generation.costs.experts = {e.quantity("fixed", sim::Quantity::Seconds),
                                e.quantity("per_local_expert", sim::Quantity::Seconds),
                                fraction(e, "bandwidth_fraction"),
                                fraction(e, "flops_fraction"),
                                exponent,
                                static_cast<std::uint32_t>(tile)};
    file.fit.generations.push_back(std::move(generation));
  }
  if (file.fit.generations.empty()) root.fail("generations", "must list at least one generation");
  return file;
}

void write_compute_calibration_file(const std::string& path, const ComputeCalibrationFile& file,
                                    const std::string& source_note) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  out << "# Fitted compute costs per GPU generation (workloads/compute.h, "
         "calibration/compute_fit.h). "
         "Generated:\n# re-run the command in 'source' after changing any compute table, the "
         "generations file, a hardware\n# file it names or the model; the tests re-fit and fail if "
         "these values are stale.\n";
  out << "source: \"" << source_note << "\"\n";
  out << "notes: >-\n"
         "  attention module = fixed + W/BW + Fp/(f_p P_w) + max(KV/(f_kv BW), Fa/(f_att P_att), "
         "k_s ctx); routed\n"
         "  experts = fixed + k_L L + ((E Wexp/(f_bw BW))^p + (2 Pexp Npad/(f_fl P_exp))^p)^(1/p); "
         "each dense GEMM =\n"
         "  fixed + k_K K + max(bytes/(f_bw BW), flops/(f_fl P)). Least squares on relative error; "
         "`gpus` lists the\n"
         "  generation's GPUs (by hardware-file name) with the specs used to find the closest "
         "generation for others.\n";
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(file.inputs_hash));
  out << "inputs_hash: \"" << hash
      << "\"  # FNV-1a 64 of the compute tables, the generations, hardware and model files\n";
  out << "generations:\n";
  for (const ComputeGeneration& generation : file.fit.generations) {
    const workloads::ComputeCosts& c = generation.costs;
    out << "  - name: " << c.generation << '\n';
    out << "    fp8_kv_attention_at_fp8_peak: "
        << (c.fp8_kv_attention_at_fp8_peak ? "true" : "false") << '\n';
    out << "    gpus:\n";
    for (const ComputeGeneration::Member& member : generation.gpus) {
      char line[256];
      std::snprintf(line, sizeof line,
                    "      - {name: \"%s\", hbm_bandwidth: \"%.6g TB/s\", bf16_dense: \"%.6g "
                    "TFLOP/s\"}\n",
                    member.name.c_str(), member.hbm_bandwidth_bytes_per_second / 1e12,
                    member.bf16_flops_per_second / 1e12);
      out << line;
    }
    out << "    attention:\n"
        << "      fixed: \"" << format_us(c.attention.fixed_seconds) << "\"\n"
        << "      projection_flops_fraction: "
        << format_number(c.attention.projection_flops_fraction) << '\n'
        << "      kv_bandwidth_fraction: " << format_number(c.attention.kv_bandwidth_fraction)
        << '\n'
        << "      attention_flops_fraction: " << format_number(c.attention.attention_flops_fraction)
        << '\n'
        << "      per_context_token: \"" << format_ns(c.attention.seconds_per_context_token)
        << "\"\n";
    out << "    gemm:\n"
        << "      fixed: \"" << format_us(c.gemm.fixed_seconds) << "\"\n"
        << "      per_reduction_element: \"" << format_ns(c.gemm.seconds_per_reduction_element)
        << "\"\n"
        << "      bandwidth_fraction: " << format_number(c.gemm.bandwidth_fraction) << '\n'
        << "      flops_fraction: " << format_number(c.gemm.flops_fraction) << '\n';
    out << "    experts:\n"
        << "      fixed: \"" << format_us(c.experts.fixed_seconds) << "\"\n"
        << "      per_local_expert: \"" << format_us(c.experts.seconds_per_local_expert) << "\"\n"
        << "      bandwidth_fraction: " << format_number(c.experts.bandwidth_fraction) << '\n'
        << "      flops_fraction: " << format_number(c.experts.flops_fraction) << '\n'
        << "      norm_exponent: " << format_number(c.experts.norm_exponent) << '\n'
        << "      tile_rows: " << c.experts.tile_rows << '\n';
  }
  out.close();
  if (!out) throw std::runtime_error(path + ": write failed");
}

}  // namespace moesim::calibration
