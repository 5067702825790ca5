#include "cli/claim/plan.h"

#include <cmath>
#include <stdexcept>

#include "input/mapping.h"
#include "workloads/memory.h"

namespace moesim::cli {

StatedFigure parse_stated_figure(const std::string& text) {
  std::string digits;
  char unit = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c >= '0' && c <= '9') || c == '.')
      digits += c;
    else if (c == 'B' || c == 'T')
      unit = c;
  }
  if (digits.empty() || unit == 0)
    throw std::invalid_argument("expected a parameter count such as '836B' or '0.6T', got '" +
                                text + "'");
  const double scale = unit == 'T' ? 1e12 : 1e9;
  const auto point = digits.find('.');
  const int decimals = point == std::string::npos ? 0 : static_cast<int>(digits.size() - point - 1);
  return StatedFigure{text, std::stod(digits) * scale, 0.5 * std::pow(10.0, -decimals) * scale};
}

namespace {

StatedFigure stated(const input::Mapping& map, std::string_view key) {
  StatedFigure figure;
  try {
    figure = parse_stated_figure(map.string(key));
  } catch (const std::invalid_argument& error) {
    map.fail(key, error.what());
  } catch (const std::out_of_range&) {
    map.fail(key, "'" + map.string(key) + "' is out of range");
  }
  if (!(figure.parameters > 0 && std::isfinite(figure.parameters)))
    map.fail(key, "must be a positive parameter count");
  return figure;
}

// A fraction in [0, 1] (or [0, 1) when `below_one`); false for NaN.
void fraction(const input::Mapping& map, std::string_view key, double value,
              bool below_one = false) {
  if (!(value >= 0 && (below_one ? value < 1 : value <= 1)))
    map.fail(key, below_one ? "must be a fraction in [0, 1)" : "must be a fraction in [0, 1]");
}

}  // namespace

MemoryFitTable load_memory_fit_table(const input::Mapping& file) {
  file.expect_only(
      {"source", "notes", "trunk_fraction", "reserve_fraction", "stated_reserve", "rows"});
  MemoryFitTable table;
  table.source = file.string("source");
  table.trunk_fraction = file.number("trunk_fraction");
  fraction(file, "trunk_fraction", table.trunk_fraction);
  table.reserve_fraction = file.number("reserve_fraction");
  fraction(file, "reserve_fraction", table.reserve_fraction, true);
  const std::vector<double> stated_reserve = file.numbers("stated_reserve");
  if (stated_reserve.size() != 2) file.fail("stated_reserve", "expected [low, high]");
  for (double value : stated_reserve) fraction(file, "stated_reserve", value);
  table.stated_reserve_low = stated_reserve[0];
  table.stated_reserve_high = stated_reserve[1];
  for (const input::Mapping& entry : file.maps("rows")) {
    entry.expect_only({"name", "source", "from_article", "hbm", "gpus", "bytes_per_parameter",
                       "trunk_fraction", "stated_raw", "stated_reserved"});
    MemoryFitRow row;
    row.name = entry.string("name");
    row.source = entry.string("source");
    row.from_article = entry.boolean("from_article");
    row.memory_bytes_per_gpu = entry.quantity("hbm", sim::Quantity::Bytes);
    if (!(row.memory_bytes_per_gpu > 0)) entry.fail("hbm", "must be > 0");
    row.gpus = static_cast<double>(entry.integer("gpus"));
    if (row.gpus < 1) entry.fail("gpus", "must be at least 1");
    row.bytes_per_parameter = entry.number("bytes_per_parameter");
    if (row.bytes_per_parameter <= 0) entry.fail("bytes_per_parameter", "must be positive");
    row.trunk_fraction = entry.number_or("trunk_fraction", table.trunk_fraction);
    fraction(entry, "trunk_fraction", row.trunk_fraction);
    if (entry.has("stated_raw")) row.stated_raw = stated(entry, "stated_raw");
    if (entry.has("stated_reserved")) row.stated_reserved = stated(entry, "stated_reserved");
    table.rows.push_back(std::move(row));
  }
  return table;
}

MemoryFitResult evaluate_row(const MemoryFitRow& row, double reserve_fraction) {
  MemoryFitResult result;
  result.raw_parameters =
      workloads::max_parameters(row.memory_bytes_per_gpu, row.bytes_per_parameter,
                                row.bytes_per_parameter, row.trunk_fraction, row.gpus);
  result.reserved_parameters = (1 - reserve_fraction) * result.raw_parameters;
  if (row.stated_raw) {
    result.raw_matches =
        std::fabs(result.raw_parameters - row.stated_raw->parameters) <= row.stated_raw->tolerance;
    // Solve M / (b (d + (1 - d) / N)) = P for d: d (1 - 1/N) = M / (b P) - 1/N. With one GPU
    // every d gives the same P, so there is none to imply.
    const double n = row.gpus;
    if (n > 1)
      result.implied_trunk_fraction =
          (row.memory_bytes_per_gpu / (row.bytes_per_parameter * row.stated_raw->parameters) -
           1 / n) /
          (1 - 1 / n);
  }
  if (row.stated_reserved) {
    result.reserved_matches =
        std::fabs(result.reserved_parameters - row.stated_reserved->parameters) <=
        row.stated_reserved->tolerance;
    result.implied_reserve_fraction = 1 - row.stated_reserved->parameters / result.raw_parameters;
  }
  return result;
}

}  // namespace moesim::cli
