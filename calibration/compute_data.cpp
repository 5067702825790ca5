#include "calibration/compute_data.h"

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
  return input::yaml_files_in(configs_dir + "/validation/compute",
                              "is '" + configs_dir + "' a moesim configs/ directory?");
}

}  // namespace moesim::calibration
