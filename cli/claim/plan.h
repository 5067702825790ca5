#pragma once
// Capacity planning: how large an MoE model fits on N GPUs, and with how much KV cache.
//
// Memory-fit rule. Split the P parameters into a shared trunk (fraction d: embeddings, attention,
// router, shared experts, dense layers, output head), which every GPU of an expert-parallel group
// holds whole, and routed experts (fraction 1 - d), which are spread evenly over the N GPUs. One
// GPU then holds
//     b (d P + (1 - d) P / N)   bytes   (b = bytes per parameter: FP8 = 1, FP4 = 0.5).
// Setting that equal to the memory M of one GPU gives the largest model:
//     P_max = M / (b (d + (1 - d) / N)).
// As N grows P_max approaches M / (b d): the trunk, not the expert count, caps the model. Keeping a
// fraction r of memory for KV cache and activations leaves P_reserved = (1 - r) P_max.
#include <optional>
#include <string>
#include <vector>

namespace moesim::input {
class Mapping;
}

namespace moesim::cli {

double max_parameters(double memory_bytes_per_gpu, double bytes_per_parameter,
                      double trunk_fraction, double gpus);

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
