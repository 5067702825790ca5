#pragma once
// Internal to the search (cli/search.cpp): its configurations read back from the sweep file of
// the search pass, and the file written back with the front and the exact figures filled in.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/search.h"
#include "cli/sweep.h"
#include "scenario/scenario.h"

namespace moesim::cli::search_detail {

// The four figures of a row, from the columns named `prefix` + figure (prefix "" or "exact_").
SearchFigures figures_of(const SweepRow& row, std::string_view prefix);
// A row of the search pass as a configuration of `group`.
SearchPoint point_of(const SweepRow& row, std::size_t group);
// Where the front's exact re-simulation is written: FILE.csv -> FILE.exact.csv.
std::string exact_output_path(const std::string& output);
// Writes the rows back with the front and the exact figures filled in (atomically).
void rewrite_rows(const std::string& output, SweepFormat format, const std::vector<SweepAxis>& axes,
                  const SweepEvaluator& evaluator, const std::vector<SweepRow>& rows,
                  const std::vector<SearchPoint>& points,
                  const std::optional<SearchNetwork>& exact);
// Rows resumed from an earlier run must come from the same network: the sweep machinery checks
// the axes' values, this checks what they were simulated with (network, MoE layers, and on the
// fast network its epoch fraction as the point resolves it).
void check_network(const std::vector<SweepRow>& rows, const std::string& file,
                   const std::function<const scenario::Scenario&(const SweepRow&)>& expected);

}  // namespace moesim::cli::search_detail
