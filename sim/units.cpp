#include "sim/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace moesim::sim {

namespace {

struct Unit {
  std::string_view spelling;
  double scale;
};

constexpr std::array kByteUnits{Unit{"B", 1.0},
                                Unit{"KB", 1e3},
                                Unit{"MB", 1e6},
                                Unit{"GB", 1e9},
                                Unit{"TB", 1e12},
                                Unit{"PB", 1e15},
                                Unit{"KiB", 1024.0},
                                Unit{"MiB", 1048576.0},
                                Unit{"GiB", 1073741824.0},
                                Unit{"TiB", 1099511627776.0}};
constexpr std::array kBandwidthUnits{
    Unit{"B/s", 1.0},       Unit{"KB/s", 1e3},          Unit{"MB/s", 1e6},
    Unit{"GB/s", 1e9},      Unit{"TB/s", 1e12},         Unit{"b/s", 0.125},
    Unit{"Kb/s", 1e3 / 8},  Unit{"Mb/s", 1e6 / 8},      Unit{"Gb/s", 1e9 / 8},
    Unit{"Tb/s", 1e12 / 8}, Unit{"GiB/s", 1073741824.0}};
constexpr std::array kTimeUnits{Unit{"s", 1.0},   Unit{"ms", 1e-3}, Unit{"us", 1e-6},
                                Unit{"µs", 1e-6}, Unit{"ns", 1e-9}, Unit{"ps", 1e-12}};
constexpr std::array kFlopUnits{Unit{"FLOP/s", 1.0}, Unit{"GFLOP/s", 1e9}, Unit{"TFLOP/s", 1e12},
                                Unit{"PFLOP/s", 1e15}};
constexpr std::array kPowerUnits{Unit{"W", 1.0}, Unit{"kW", 1e3}, Unit{"MW", 1e6}};

template <std::size_t N>
std::string join(const std::array<Unit, N>& units) {
  std::string out;
  for (const Unit& unit : units) {
    if (!out.empty()) out += ", ";
    out += unit.spelling;
  }
  return out;
}

template <std::size_t N>
const Unit* find(const std::array<Unit, N>& units, std::string_view spelling) {
  for (const Unit& unit : units)
    if (unit.spelling == spelling) return &unit;
  return nullptr;
}

const Unit* find_unit(Quantity kind, std::string_view spelling) {
  switch (kind) {
    case Quantity::Bytes:
      return find(kByteUnits, spelling);
    case Quantity::BytesPerSecond:
      return find(kBandwidthUnits, spelling);
    case Quantity::Seconds:
      return find(kTimeUnits, spelling);
    case Quantity::FlopsPerSecond:
      return find(kFlopUnits, spelling);
    case Quantity::Watts:
      return find(kPowerUnits, spelling);
  }
  return nullptr;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string accepted_units(Quantity kind) {
  switch (kind) {
    case Quantity::Bytes:
      return join(kByteUnits);
    case Quantity::BytesPerSecond:
      return join(kBandwidthUnits);
    case Quantity::Seconds:
      return join(kTimeUnits);
    case Quantity::FlopsPerSecond:
      return join(kFlopUnits);
    case Quantity::Watts:
      return join(kPowerUnits);
  }
  return {};
}

double parse_quantity(std::string_view text, Quantity kind) {
  const std::string_view trimmed = trim(text);
  double value = 0.0;
  const auto [end, error] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), value);
  if (error != std::errc{} || end == trimmed.data())
    throw std::invalid_argument("expected a number with a unit, got '" + std::string(text) +
                                "' (units: " + accepted_units(kind) + ")");
  if (!std::isfinite(value))
    throw std::invalid_argument("expected a finite number with a unit, got '" + std::string(text) +
                                "'");
  if (value < 0.0) throw std::invalid_argument("negative quantity '" + std::string(text) + "'");
  const std::string_view unit_text =
      trim(trimmed.substr(static_cast<std::size_t>(end - trimmed.data())));
  if (unit_text.empty())
    throw std::invalid_argument("missing unit in '" + std::string(text) +
                                "' (units: " + accepted_units(kind) + ")");
  const Unit* unit = find_unit(kind, unit_text);
  if (unit == nullptr)
    throw std::invalid_argument("unknown unit '" + std::string(unit_text) + "' in '" +
                                std::string(text) + "' (units: " + accepted_units(kind) + ")");
  const double scaled = value * unit->scale;
  if (!std::isfinite(scaled))
    throw std::invalid_argument("quantity '" + std::string(text) + "' is out of range");
  return scaled;
}

Picoseconds parse_duration(std::string_view text) {
  const double seconds = parse_quantity(text, Quantity::Seconds);
  try {
    return from_seconds(seconds);
  } catch (const TimeOutOfRange&) {
    throw std::invalid_argument("duration '" + std::string(text) + "' is too large: at most " +
                                std::to_string(static_cast<long long>(kLongestDuration.seconds())) +
                                " s (int64 picoseconds)");
  }
}

}  // namespace moesim::sim
