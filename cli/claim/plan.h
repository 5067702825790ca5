#pragma once
// The article's memory-fit table (configs/scenarios/plan-memory-fit.yaml): each row's P_max by the
// memory rule of workloads/memory.h (max_parameters, with its derivation), checked against the
// figure the article prints. `moesim plan` renders it.
#include <optional>
#include <string>
#include <vector>

namespace moesim::input {
class Mapping;
}

namespace moesim::cli {

// A figure as the article prints it ("836B", "≈0.6T", "3,048B", "about 1,400B"): its value in
// parameters and half a unit of its last printed digit (the rounding it allows).
struct StatedFigure {
  std::string text;
  double parameters = 0;
  double tolerance = 0;
};
StatedFigure parse_stated_figure(const std::string& text);  // throws std::invalid_argument

struct MemoryFitRow {
  std::string name;
  std::string source;         // where the hardware figures come from
  bool from_article = false;  // a row the article prints (else: an extension, marked)
  double memory_bytes_per_gpu = 0;
  double gpus = 0;
  double bytes_per_parameter = 0;
  double trunk_fraction = 0;
  std::optional<StatedFigure> stated_raw, stated_reserved;
};

struct MemoryFitTable {
  std::string source;
  double trunk_fraction = 0;    // the article's d = 5 %
  double reserve_fraction = 0;  // the reserve that reproduces the article's rows (30 %)
  double stated_reserve_low = 0,
         stated_reserve_high = 0;  // what the article says it reserves (40-50 %)
  std::vector<MemoryFitRow> rows;
};
MemoryFitTable load_memory_fit_table(const input::Mapping& file);

struct MemoryFitResult {
  double raw_parameters = 0;
  double reserved_parameters = 0;  // at the table's reserve fraction
  // Against the stated figures, within their rounding.
  std::optional<bool> raw_matches, reserved_matches;
  std::optional<double> implied_reserve_fraction;  // 1 - stated_reserved / raw
  std::optional<double> implied_trunk_fraction;    // the d that makes the stated raw figure exact
};
MemoryFitResult evaluate_row(const MemoryFitRow& row, double reserve_fraction);

}  // namespace moesim::cli
