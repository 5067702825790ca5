#include "calibration/measurements.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>

#include "input/mapping.h"
#include "workloads/gating.h"

namespace moesim::calibration {

namespace {

constexpr std::array<std::string_view, kCommPhaseCount> kPhaseNames{"dispatch", "combine",
                                                                    "alltoall"};

// The decode step's byte rule (workloads/gating.h, token_bytes): FP8 dispatch carries one byte per
// channel plus one FP32 scale per 128 channels; BF16 combine two bytes per channel.
std::uint64_t copy_bytes(CommPhase phase, std::uint32_t hidden) {
  return static_cast<std::uint64_t>(phase == CommPhase::Dispatch
                                        ? workloads::token_bytes(hidden, 1, true)
                                        : workloads::token_bytes(hidden, 2, false));
}

// ---- reading measurement tables ----

double cell_number(const input::ScalarRow& row, std::size_t column, std::string_view name) {
  double value = 0;
  if (!input::parse_finite_number(row.cells[column], value))
    throw input::InputError(row.where + ": column '" + std::string(name) +
                            "': expected a finite number, got '" + row.cells[column] + "'");
  return value;
}

// A count column (EP size, GPUs, tokens): a whole number from 1 to 1,000,000.
std::uint32_t cell_count(const input::ScalarRow& row, std::size_t column, std::string_view name) {
  const double value = cell_number(row, column, name);
  if (!(value >= 1 && value <= 1e6 && value == std::floor(value)))
    throw input::InputError(row.where + ": column '" + std::string(name) +
                            "': expected a whole number from 1 to 1000000, got '" +
                            row.cells[column] + "'");
  return static_cast<std::uint32_t>(value);
}

struct Exclusion {
  std::map<std::string, std::string> match;  // column -> value text
  std::string column;
  std::string why;
};

std::vector<Exclusion> read_exclusions(const input::Mapping& table) {
  std::vector<Exclusion> exclusions;
  if (!table.has("outliers")) return exclusions;
  for (const input::Mapping& entry : table.maps("outliers")) {
    Exclusion exclusion;
    for (const std::string& key : entry.keys()) {
      if (key == "column") {
        exclusion.column = entry.string(key);
      } else if (key == "why") {
        exclusion.why = entry.string(key);
      } else {
        exclusion.match[key] = entry.string(key);
      }
    }
    if (exclusion.column.empty() || exclusion.why.empty())
      entry.fail("an outlier needs 'column' and 'why'");
    exclusions.push_back(std::move(exclusion));
  }
  return exclusions;
}

void read_table(const input::Mapping& table, CalibrationData& data) {
  table.expect_only({"id",
                     "source",
                     "verification",
                     "kernel",
                     "system",
                     "system_names",
                     "transport",
                     "tokens_per_gpu",
                     "hidden",
                     "experts_per_token",
                     "routed_experts",
                     "max_groups_per_token",
                     "element_bytes",
                     "outliers",
                     "unit",
                     "columns",
                     "rows",
                     "evaluated",
                     "why_not_evaluated",
                     "not_counted"});
  const std::string id = table.string("id");
  if (!table.boolean_or("evaluated", true)) {
    data.unevaluated_tables.emplace_back(id, table.string("why_not_evaluated"));
    return;
  }
  const std::string kernel = table.string("kernel");
  const std::string transport = table.string_or("transport", "nvlink-allowed");
  if (transport != "nvlink-allowed" && transport != "rdma-only")
    table.fail("transport", "expected nvlink-allowed or rdma-only");
  const std::vector<std::string> columns = table.strings("columns");
  const std::vector<Exclusion> exclusions = read_exclusions(table);
  // A whole table shown with its errors but neither fitted nor counted (e.g. unverified hardware).
  const std::string not_counted = table.string_or("not_counted", "");
  auto column_index = [&](const std::string& column) {
    const auto found = std::find(columns.begin(), columns.end(), column);
    if (found == columns.end()) table.fail("columns", "missing column '" + column + "'");
    return static_cast<std::size_t>(found - columns.begin());
  };

  for (const input::ScalarRow& row : table.rows("rows", columns.size())) {
    std::map<std::string, std::string> text;
    for (std::size_t c = 0; c < columns.size(); ++c) text[columns[c]] = row.cells[c];
    auto number = [&](const std::string& column) {
      return cell_number(row, column_index(column), column);
    };
    auto count = [&](const std::string& column) {
      return cell_count(row, column_index(column), column);
    };
    auto has_column = [&](const std::string& column) { return text.count(column) != 0; };

    CalibrationPoint base;
    base.data_id = id;
    base.kernel = kernel;
    base.rdma_only = transport == "rdma-only";
    if (has_column("system")) {
      const input::Mapping names = table.map("system_names");
      if (!names.has(text["system"])) names.fail("no system name for '" + text["system"] + "'");
      base.system = names.string(text["system"]);
    } else {
      base.system = table.string("system");
    }
    std::vector<std::pair<std::string, CommPhase>> measured_columns;
    if (has_column("latency_us")) {
      base.pattern = TrafficPattern::EvenAllToAll;
      base.gpus = count("num_gpus");
      const double elements = number("message_elements");
      // nccl-tests' size is the per-rank buffer, split evenly over all ranks (itself included).
      base.bytes_per_copy =
          static_cast<std::uint64_t>(elements * table.number("element_bytes") / base.gpus);
      base.label = text["system"] + " " + std::to_string(base.gpus) + " GPUs " +
                   text["message_elements"] + " elem";
      measured_columns.emplace_back("latency_us", CommPhase::AllToAll);
    } else {
      base.pattern = TrafficPattern::DirectTokens;
      base.gpus = count("ep");
      base.tokens_per_gpu = has_column("tokens_per_gpu")
                                ? count("tokens_per_gpu")
                                : static_cast<std::uint32_t>(table.integer("tokens_per_gpu"));
      base.experts_per_token = static_cast<std::uint32_t>(table.integer("experts_per_token"));
      base.label = std::string("EP") + text["ep"] + " " + std::to_string(base.tokens_per_gpu) +
                   " tok " + transport;
      measured_columns.emplace_back("dispatch_us", CommPhase::Dispatch);
      measured_columns.emplace_back("combine_us", CommPhase::Combine);
    }
    const std::int64_t hidden = table.integer_or("hidden", 0);
    if (hidden < 0 || hidden > 1'000'000) table.fail("hidden", "must be from 0 to 1000000");
    for (const auto& [column, phase] : measured_columns) {
      CalibrationPoint point = base;
      point.phase = phase;
      point.label += ' ';
      point.label += kPhaseNames[static_cast<std::size_t>(phase)];
      point.measured_seconds = number(column) * 1e-6;
      if (phase != CommPhase::AllToAll)
        point.bytes_per_copy = copy_bytes(phase, static_cast<std::uint32_t>(hidden));
      if (!not_counted.empty()) {
        point.excluded = true;
        point.exclusion_reason = not_counted;
      }
      for (const Exclusion& exclusion : exclusions) {
        bool matches = exclusion.column == column;
        for (const auto& [key, value] : exclusion.match) matches = matches && text[key] == value;
        if (matches) {
          point.excluded = true;
          point.exclusion_reason = exclusion.why;
        }
      }
      data.points.push_back(std::move(point));
    }
  }
}

}  // namespace

std::string_view to_string(CommPhase phase) {
  return kPhaseNames.at(static_cast<std::size_t>(phase));
}

CalibrationData load_calibration_data(std::span<const std::string> measurement_files) {
  CalibrationData data;
  for (const std::string& file : measurement_files) {
    const input::Mapping root = input::Mapping::load_file(file);
    root.expect_only({"source", "notes", "measurements"});
    root.string("source");
    for (const input::Mapping& table : root.maps("measurements")) read_table(table, data);
  }
  return data;
}

std::vector<std::string> default_measurement_files(const std::string& configs_dir) {
  return input::yaml_files_in(configs_dir + "/validation/measurements",
                              "is '" + configs_dir + "' a moesim configs/ directory?");
}

}  // namespace moesim::calibration
