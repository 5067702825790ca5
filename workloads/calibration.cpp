#include "workloads/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <tuple>

#include "sim/engine.h"
#include "topology/config.h"
#include "topology/export.h"

namespace moesim::workloads {

namespace {

using topology::LinkTier;

constexpr std::array<std::string_view, kCommPhaseCount> kPhaseNames{"dispatch", "combine",
                                                                    "alltoall"};

// Byte rules shared with the decode step (issue 4): FP8 dispatch carries one byte per channel plus
// one FP32 scale per 128 channels; BF16 combine two bytes per channel.
std::uint64_t fp8_dispatch_bytes_per_copy(std::uint64_t hidden) {
  return hidden + hidden / 128 * 4;
}
std::uint64_t bf16_combine_bytes_per_copy(std::uint64_t hidden) {
  return 2 * hidden;
}

class DeliveryRecorder final : public topology::MessageSink {
 public:
  explicit DeliveryRecorder(std::size_t messages) : delivered_(messages, sim::Picoseconds{-1}) {}
  void on_delivered(std::uint64_t tag, sim::Picoseconds delivered_at) override {
    delivered_.at(tag) = delivered_at;
  }
  const std::vector<sim::Picoseconds>& delivered() const { return delivered_; }

 private:
  std::vector<sim::Picoseconds> delivered_;
};

// ---- reading measurement tables ----

// (Appending instead of `numbered("gpu", n)` avoids a GCC 12 -Wrestrict false positive.)
std::string numbered(std::string prefix, std::uint64_t number) {
  prefix += std::to_string(number);
  return prefix;
}

std::string scalar_text(const YAML::Node& node) {
  return node.IsScalar() ? node.Scalar() : std::string{};
}

double scalar_number(const config::ConfigMap& table, const YAML::Node& node,
                     std::string_view column) {
  const std::string text = scalar_text(node);
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  table.fail("rows", "column '" + std::string(column) + "': expected a number, got '" + text + "'");
}

struct Exclusion {
  std::map<std::string, std::string> match;  // column -> value text
  std::string column;
  std::string why;
};

std::vector<Exclusion> read_exclusions(const config::ConfigMap& table) {
  std::vector<Exclusion> exclusions;
  if (!table.has("outliers")) return exclusions;
  for (const config::ConfigMap& entry : table.maps("outliers")) {
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

void read_table(const config::ConfigMap& table, CalibrationData& data) {
  table.expect_only({"id", "source", "verification", "kernel", "system", "system_names",
                     "transport", "tokens_per_gpu", "hidden", "experts_per_token", "routed_experts",
                     "max_groups_per_token", "element_bytes", "outliers", "unit", "columns", "rows",
                     "evaluated", "why_not_evaluated"});
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
  const YAML::Node rows = table.node()["rows"];
  if (!rows || !rows.IsSequence()) table.fail("rows", "expected a list of rows");

  for (const YAML::Node& row : rows) {
    if (!row.IsSequence() || row.size() != columns.size())
      table.fail("rows", "every row needs " + std::to_string(columns.size()) + " values");
    std::map<std::string, std::string> text;
    for (std::size_t c = 0; c < columns.size(); ++c) text[columns[c]] = scalar_text(row[c]);
    auto number = [&](const std::string& column) {
      for (std::size_t c = 0; c < columns.size(); ++c)
        if (columns[c] == column) return scalar_number(table, row[c], column);
      table.fail("columns", "missing column '" + column + "'");
    };
    auto has_column = [&](const std::string& column) { return text.count(column) != 0; };

    CalibrationPoint base;
    base.data_id = id;
    base.kernel = kernel;
    base.rdma_only = transport == "rdma-only";
    if (has_column("system")) {
      const config::ConfigMap names = table.map("system_names");
      if (!names.has(text["system"])) names.fail("no system name for '" + text["system"] + "'");
      base.system = names.string(text["system"]);
    } else {
      base.system = table.string("system");
    }
    std::vector<std::pair<std::string, CommPhase>> measured_columns;
    if (has_column("latency_us")) {
      base.pattern = TrafficPattern::EvenAllToAll;
      base.gpus = static_cast<std::uint32_t>(number("num_gpus"));
      const double elements = number("message_elements");
      // nccl-tests' size is the per-rank buffer, split evenly over all ranks (itself included).
      base.bytes_per_copy =
          static_cast<std::uint64_t>(elements * table.number("element_bytes") / base.gpus);
      base.label = text["system"] + " " + std::to_string(base.gpus) + " GPUs " +
                   text["message_elements"] + " elem";
      measured_columns.emplace_back("latency_us", CommPhase::AllToAll);
    } else {
      base.pattern = TrafficPattern::DirectTokens;
      base.gpus = static_cast<std::uint32_t>(number("ep"));
      base.tokens_per_gpu = static_cast<std::uint32_t>(has_column("tokens_per_gpu")
                                                           ? number("tokens_per_gpu")
                                                           : table.integer("tokens_per_gpu"));
      base.experts_per_token = static_cast<std::uint32_t>(table.integer("experts_per_token"));
      base.label = std::string("EP") + text["ep"] + " " + std::to_string(base.tokens_per_gpu) +
                   " tok " + transport;
      measured_columns.emplace_back("dispatch_us", CommPhase::Dispatch);
      measured_columns.emplace_back("combine_us", CommPhase::Combine);
    }
    const auto hidden = static_cast<std::uint64_t>(table.integer_or("hidden", 0));
    for (const auto& [column, phase] : measured_columns) {
      CalibrationPoint point = base;
      point.phase = phase;
      point.label += ' ';
      point.label += kPhaseNames[static_cast<std::size_t>(phase)];
      point.measured_seconds = number(column) * 1e-6;
      if (phase == CommPhase::Dispatch) point.bytes_per_copy = fp8_dispatch_bytes_per_copy(hidden);
      if (phase == CommPhase::Combine) point.bytes_per_copy = bf16_combine_bytes_per_copy(hidden);
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

// ---- fitting ----

// For each point, per class (0 = scale-up, 1 = scale-out), the Pareto set of (offset, transfer)
// pairs: the only messages that can be last for some fraction.
struct Envelope {
  std::array<std::vector<std::pair<double, double>>, 2> lines;

  explicit Envelope(std::span<const MessageTiming> timings) {
    for (const MessageTiming& timing : timings)
      lines[timing.scale_out ? 1 : 0].emplace_back(timing.offset_seconds, timing.transfer_seconds);
    for (auto& set : lines) {
      std::sort(set.begin(), set.end(), [](auto a, auto b) {
        return a.second > b.second || (a.second == b.second && a.first > b.first);
      });
      std::vector<std::pair<double, double>> pareto;
      double best_offset = -std::numeric_limits<double>::infinity();
      for (const auto& line : set)
        if (line.first > best_offset) {
          pareto.push_back(line);
          best_offset = line.first;
        }
      set = std::move(pareto);
    }
  }

  double ideal_time(double scale_up_fraction, double scale_out_fraction) const {
    double slowest = 0;
    const std::array<double, 2> fractions{scale_up_fraction, scale_out_fraction};
    for (std::size_t c = 0; c < 2; ++c)
      for (const auto& [offset, transfer] : lines[c])
        slowest = std::max(slowest, offset + transfer / fractions[c]);
    return slowest;
  }
};

struct Group {
  std::vector<std::size_t> points;  // indices into the point list
  FittedKernel calibration;
};

// Sum of squared relative errors for the group at these fractions, with the optimal fixed costs
// written back.
double group_objective(const Group& group, std::span<const CalibrationPoint> points,
                       std::span<const Envelope> envelopes, double up, double out,
                       std::array<double, kCommPhaseCount>& fixed) {
  std::array<double, kCommPhaseCount> numerator{}, denominator{};
  std::vector<double> ideal(group.points.size());
  for (std::size_t k = 0; k < group.points.size(); ++k) {
    const std::size_t i = group.points[k];
    ideal[k] = envelopes[i].ideal_time(up, out);
    const double m = points[i].measured_seconds;
    const auto p = static_cast<std::size_t>(points[i].phase);
    // d/dF sum ((F + g - m) / m)^2 = 0  =>  F = sum((m - g) / m^2) / sum(1 / m^2)
    numerator[p] += (m - ideal[k]) / (m * m);
    denominator[p] += 1 / (m * m);
  }
  for (std::size_t p = 0; p < kCommPhaseCount; ++p)
    fixed[p] = denominator[p] > 0 ? std::max(0.0, numerator[p] / denominator[p]) : 0.0;
  double sum = 0;
  for (std::size_t k = 0; k < group.points.size(); ++k) {
    const CalibrationPoint& point = points[group.points[k]];
    const double error =
        (fixed[static_cast<std::size_t>(point.phase)] + ideal[k] - point.measured_seconds) /
        point.measured_seconds;
    sum += error * error;
  }
  return sum;
}

void fit_group(Group& group, std::span<const CalibrationPoint> points,
               std::span<const Envelope> envelopes) {
  FittedKernel& calibration = group.calibration;
  for (std::size_t i : group.points) {
    calibration.phase_fitted[static_cast<std::size_t>(points[i].phase)] = true;
    calibration.scale_up_fitted = calibration.scale_up_fitted || !envelopes[i].lines[0].empty();
    calibration.scale_out_fitted = calibration.scale_out_fitted || !envelopes[i].lines[1].empty();
  }
  // Deterministic grid search over the fitted fractions, refined around the best point: 0.01, then
  // 0.001, 0.0001.
  double best_up = 1, best_out = 1;
  double best = std::numeric_limits<double>::infinity();
  std::array<double, kCommPhaseCount> fixed{};
  double low = 0.05, high = 1.0, step = 0.01;
  double up_low = low, up_high = high, out_low = low, out_high = high;
  for (int refinement = 0; refinement < 3; ++refinement) {
    const double up_begin = calibration.scale_up_fitted ? up_low : 1.0;
    const double up_end = calibration.scale_up_fitted ? up_high : 1.0;
    const double out_begin = calibration.scale_out_fitted ? out_low : 1.0;
    const double out_end = calibration.scale_out_fitted ? out_high : 1.0;
    for (double up = up_begin; up <= up_end + 1e-12; up += step) {
      for (double out = out_begin; out <= out_end + 1e-12; out += step) {
        const double objective = group_objective(group, points, envelopes, up, out, fixed);
        if (objective < best) {
          best = objective;
          best_up = up;
          best_out = out;
        }
      }
    }
    up_low = std::max(low, best_up - step);
    up_high = std::min(high, best_up + step);
    out_low = std::max(low, best_out - step);
    out_high = std::min(high, best_out + step);
    step /= 10;
  }
  group_objective(group, points, envelopes, best_up, best_out, fixed);
  calibration.scale_up_fraction = best_up;
  calibration.scale_out_fraction = best_out;
  for (std::size_t p = 0; p < kCommPhaseCount; ++p)
    calibration.fixed_seconds[p] = calibration.phase_fitted[p] ? fixed[p] : 0.0;
}

std::string format_fixed(double seconds) {
  char text[64];
  std::snprintf(text, sizeof text, "%.4f us", seconds * 1e6);
  return text;
}

std::string format_fraction(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", fraction);
  return text;
}

}  // namespace

KernelCalibration to_decode_calibration(const FittedKernel& fitted) {
  KernelCalibration calibration;
  calibration.bandwidth_fraction[static_cast<std::size_t>(LinkTier::ScaleUp)] =
      fitted.scale_up_fraction;
  calibration.bandwidth_fraction[static_cast<std::size_t>(LinkTier::ScaleOut)] =
      fitted.scale_out_fraction;
  calibration.bandwidth_fraction[static_cast<std::size_t>(LinkTier::Core)] =
      fitted.scale_out_fraction;
  calibration.dispatch_phase_overhead =
      sim::from_seconds(fitted.fixed_seconds[static_cast<std::size_t>(CommPhase::Dispatch)]);
  calibration.combine_phase_overhead =
      sim::from_seconds(fitted.fixed_seconds[static_cast<std::size_t>(CommPhase::Combine)]);
  return calibration;
}

KernelCalibration load_kernel_calibration(const std::string& calibration_file,
                                          const std::string& kernel, const std::string& system) {
  const CalibrationFile file = load_calibration_file(calibration_file);
  return to_decode_calibration(find_calibration(file.calibrations, kernel, system));
}

std::string_view to_string(CommPhase phase) {
  return kPhaseNames.at(static_cast<std::size_t>(phase));
}

std::vector<MessageTiming> simulate_phase(const topology::Fabric& fabric,
                                          std::span<const topology::Message> messages) {
  std::vector<topology::Message> tagged(messages.begin(), messages.end());
  for (std::size_t i = 0; i < tagged.size(); ++i) tagged[i].tag = i;  // the recorder indexes by tag
  sim::Engine engine;
  DeliveryRecorder recorder(tagged.size());
  topology::FlowNetwork network(engine, fabric, recorder);
  for (const topology::Message& message : tagged) network.submit(message);
  engine.run();
  const std::vector<topology::RoutedMessage> routed = topology::route_messages(fabric, tagged);
  std::vector<MessageTiming> timings(tagged.size());
  for (std::size_t i = 0; i < tagged.size(); ++i) {
    const sim::Picoseconds offset = tagged[i].release + routed[i].overhead + routed[i].latency;
    const sim::Picoseconds delivered = recorder.delivered()[i];
    if (delivered < offset) throw std::logic_error("simulate_phase: a message was not delivered");
    timings[i].offset_seconds = offset.seconds();
    timings[i].transfer_seconds = (delivered - offset).seconds();
    timings[i].scale_out = routed[i].highest_tier != LinkTier::ScaleUp;
  }
  return timings;
}

double calibrated_phase_seconds(const FittedKernel& calibration, CommPhase phase,
                                std::span<const MessageTiming> timings) {
  double slowest = 0;
  for (const MessageTiming& timing : timings) {
    const double fraction =
        timing.scale_out ? calibration.scale_out_fraction : calibration.scale_up_fraction;
    slowest = std::max(slowest, timing.offset_seconds + timing.transfer_seconds / fraction);
  }
  return calibration.fixed_seconds[static_cast<std::size_t>(phase)] + slowest;
}

CalibrationData load_calibration_data(std::span<const std::string> measurement_files) {
  CalibrationData data;
  for (const std::string& file : measurement_files) {
    const config::ConfigMap root = config::ConfigMap::load_file(file);
    root.expect_only({"source", "notes", "measurements"});
    root.string("source");
    for (const config::ConfigMap& table : root.maps("measurements")) read_table(table, data);
  }
  return data;
}

std::vector<std::string> default_measurement_files(const std::string& configs_dir) {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(configs_dir + "/validation/measurements"))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<topology::Message> phase_messages(const CalibrationPoint& point) {
  std::vector<topology::Message> messages;
  const std::uint32_t n = point.gpus;
  if (point.pattern == TrafficPattern::EvenAllToAll) {
    for (std::uint32_t source = 0; source < n; ++source)
      for (std::uint32_t destination = 0; destination < n; ++destination)
        if (source != destination)
          messages.push_back(
              {source, destination, point.bytes_per_copy, sim::Picoseconds{0}, messages.size()});
    return messages;
  }
  // Balanced routing: GPU s sends copy j (j = token x top-k + slot) to rank (s + j) mod n, so every
  // rank receives tokens x top-k / n copies (+-1) and no two slots of a token land on one rank
  // while top-k <= n. Copies to the sender itself stay local. Copies are aggregated into one
  // message per (source, destination): in a balanced all-to-all every pair carries the same count,
  // so max-min shares are unchanged by the aggregation.
  const std::uint64_t copies = std::uint64_t{point.tokens_per_gpu} * point.experts_per_token;
  for (std::uint32_t source = 0; source < n; ++source) {
    for (std::uint32_t offset = 1; offset < n; ++offset) {
      const std::uint32_t destination = (source + offset) % n;
      const std::uint64_t count = copies / n + (offset < copies % n ? 1 : 0);
      if (count == 0) continue;
      // Combine sends the same copies back: from the expert's GPU to the token's GPU.
      const bool back = point.phase == CommPhase::Combine;
      messages.push_back({back ? destination : source, back ? source : destination,
                          count * point.bytes_per_copy, sim::Picoseconds{0}, messages.size()});
    }
  }
  return messages;
}

SystemCatalogue::SystemCatalogue(std::string systems_file) : file_(std::move(systems_file)) {
  const config::ConfigMap root = config::ConfigMap::load_file(file_);
  root.expect_only({"source", "notes", "systems"});
  root.string("source");
  // Validate every system now, so a typo fails at load time with file:line rather than mid-run.
  const config::ConfigMap systems = root.map("systems");
  for (const std::string& name : systems.keys())
    fabric(name, false, systems.map(name).integer("gpus_per_domain"));
}

topology::Fabric SystemCatalogue::fabric(const std::string& system, bool rdma_only,
                                         std::uint32_t gpus) const {
  const config::ConfigMap systems = config::ConfigMap::load_file(file_).map("systems");
  if (!systems.has(system)) systems.fail("unknown system '" + system + "'");
  const config::ConfigMap spec = systems.map(system);
  spec.expect_only({"gpus_per_domain", "scale_up_bandwidth", "scale_up_hop_latency",
                    "nic_bandwidth", "scale_out_hop_latency", "core_hop_latency"});
  const auto per_domain = static_cast<std::uint32_t>(spec.integer("gpus_per_domain"));
  if (per_domain == 0) spec.fail("gpus_per_domain", "must be positive");
  const std::uint32_t domains = (gpus + per_domain - 1) / per_domain;
  const bool scale_out = spec.has("nic_bandwidth");
  if (domains > 1 && !scale_out)
    spec.fail("more GPUs than one scale-up domain and no nic_bandwidth");
  if (rdma_only && !scale_out) spec.fail("rdma-only transport needs nic_bandwidth");

  topology::FabricBuilder builder(system + (rdma_only ? "-rdma-only-" : "-") +
                                  std::to_string(gpus));
  for (std::uint32_t gpu = 0; gpu < gpus; ++gpu)
    builder.add_gpu(numbered("gpu", gpu), rdma_only ? gpu : gpu / per_domain);
  if (!rdma_only) {
    const double bandwidth = spec.quantity("scale_up_bandwidth", sim::Quantity::BytesPerSecond);
    const sim::Picoseconds latency = spec.duration("scale_up_hop_latency");
    for (std::uint32_t domain = 0; domain < domains; ++domain) {
      const topology::VertexId nvswitch =
          builder.add_vertex(topology::VertexKind::ScaleUpSwitch, numbered("nvswitch", domain));
      for (std::uint32_t gpu = domain * per_domain; gpu < std::min(gpus, (domain + 1) * per_domain);
           ++gpu)
        builder.add_duplex_link(gpu, nvswitch, bandwidth, latency, LinkTier::ScaleUp);
    }
  }
  if (scale_out && (domains > 1 || rdma_only)) {
    const double nic = spec.quantity("nic_bandwidth", sim::Quantity::BytesPerSecond);
    const sim::Picoseconds hop = spec.duration("scale_out_hop_latency");
    const sim::Picoseconds core_hop = spec.duration("core_hop_latency");
    const std::uint32_t rails = std::min(per_domain, gpus);
    std::vector<topology::VertexId> leaves;
    for (std::uint32_t rail = 0; rail < rails; ++rail)
      leaves.push_back(
          builder.add_vertex(topology::VertexKind::LeafSwitch, numbered("leaf", rail)));
    for (std::uint32_t gpu = 0; gpu < gpus; ++gpu) {
      const topology::VertexId nic_vertex =
          builder.add_vertex(topology::VertexKind::Nic, numbered("nic", gpu));
      builder.add_duplex_link(gpu, nic_vertex, nic, hop, LinkTier::ScaleOut);
      builder.add_duplex_link(nic_vertex, leaves[gpu % rails], nic, hop, LinkTier::ScaleOut);
    }
    if (rails > 1) {
      // A non-blocking core without ECMP collisions: one spine, and each leaf's uplink carries as
      // much as all the NICs on that leaf (InfiniBand's subnet manager routes per destination, not
      // by a random hash per flow).
      const double uplink = std::ceil(static_cast<double>(gpus) / rails) * nic;
      const topology::VertexId spine =
          builder.add_vertex(topology::VertexKind::SpineSwitch, "spine0");
      for (topology::VertexId leaf : leaves)
        builder.add_duplex_link(leaf, spine, uplink, core_hop, LinkTier::Core);
    }
  }
  return builder.build();
}

std::vector<std::vector<MessageTiming>> simulate_points(const SystemCatalogue& systems,
                                                        std::span<const CalibrationPoint> points) {
  using Key = std::tuple<std::string, bool, std::uint32_t, int, std::uint32_t, std::uint32_t,
                         std::uint64_t, int>;
  std::map<Key, std::vector<MessageTiming>> cache;
  std::vector<std::vector<MessageTiming>> timings;
  timings.reserve(points.size());
  for (const CalibrationPoint& point : points) {
    const Key key{point.system,         point.rdma_only,
                  point.gpus,           static_cast<int>(point.pattern),
                  point.tokens_per_gpu, point.experts_per_token,
                  point.bytes_per_copy, static_cast<int>(point.phase)};
    auto found = cache.find(key);
    if (found == cache.end()) {
      const topology::Fabric fabric = systems.fabric(point.system, point.rdma_only, point.gpus);
      found = cache.emplace(key, simulate_phase(fabric, phase_messages(point))).first;
    }
    timings.push_back(found->second);
  }
  return timings;
}

FitReport fit_calibrations(std::span<const CalibrationPoint> points,
                           std::span<const std::vector<MessageTiming>> timings) {
  if (points.size() != timings.size())
    throw std::invalid_argument("fit_calibrations: one timing set per point");
  std::vector<Envelope> envelopes;
  envelopes.reserve(points.size());
  for (const auto& timing : timings) envelopes.emplace_back(timing);
  std::map<std::pair<std::string, std::string>, Group> groups;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].excluded) continue;
    Group& group = groups[{points[i].kernel, points[i].system}];
    group.calibration.kernel = points[i].kernel;
    group.calibration.system = points[i].system;
    group.points.push_back(i);
  }
  FitReport report;
  for (auto& [key, group] : groups) {
    fit_group(group, points, envelopes);
    report.calibrations.push_back(group.calibration);
  }
  for (const PointResult& result : evaluate_points(points, timings, report.calibrations)) {
    if (result.point->excluded) continue;
    ++report.fitted_points;
    report.mean_abs_relative_error += std::abs(result.relative_error);
    report.max_abs_relative_error =
        std::max(report.max_abs_relative_error, std::abs(result.relative_error));
  }
  if (report.fitted_points > 0)
    report.mean_abs_relative_error /= static_cast<double>(report.fitted_points);
  return report;
}

const FittedKernel& find_calibration(std::span<const FittedKernel> calibrations,
                                     const std::string& kernel, const std::string& system) {
  for (const FittedKernel& calibration : calibrations)
    if (calibration.kernel == kernel && calibration.system == system) return calibration;
  throw std::out_of_range("no kernel calibration for " + kernel + " on " + system);
}

std::vector<PointResult> evaluate_points(std::span<const CalibrationPoint> points,
                                         std::span<const std::vector<MessageTiming>> timings,
                                         std::span<const FittedKernel> calibrations) {
  std::vector<PointResult> results;
  results.reserve(points.size());
  const FittedKernel ideal{};
  for (std::size_t i = 0; i < points.size(); ++i) {
    PointResult result;
    result.point = &points[i];
    result.ideal_seconds = calibrated_phase_seconds(ideal, points[i].phase, timings[i]);
    result.calibrated_seconds =
        calibrated_phase_seconds(find_calibration(calibrations, points[i].kernel, points[i].system),
                                 points[i].phase, timings[i]);
    result.relative_error =
        (result.calibrated_seconds - points[i].measured_seconds) / points[i].measured_seconds;
    results.push_back(result);
  }
  return results;
}

std::uint64_t hash_files(std::span<const std::string> files) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(file + ": cannot open");
    for (std::istreambuf_iterator<char> it(in), end; it != end; ++it) {
      hash ^= static_cast<unsigned char>(*it);
      hash *= 0x100000001b3ULL;
    }
  }
  return hash;
}

CalibrationFile load_calibration_file(const std::string& path) {
  const config::ConfigMap root = config::ConfigMap::load_file(path);
  root.expect_only({"source", "notes", "inputs_hash", "calibrations"});
  root.string("source");
  CalibrationFile file;
  const std::string hash = root.string("inputs_hash");
  try {
    std::size_t used = 0;
    file.inputs_hash = std::stoull(hash, &used, 16);
    if (used != hash.size()) throw std::invalid_argument(hash);
  } catch (const std::exception&) {
    root.fail("inputs_hash", "expected 16 hexadecimal digits, got '" + hash + "'");
  }
  for (const config::ConfigMap& entry : root.maps("calibrations")) {
    entry.expect_only({"kernel", "system", "dispatch_fixed", "combine_fixed", "alltoall_fixed",
                       "scale_up_bandwidth_fraction", "scale_out_bandwidth_fraction"});
    FittedKernel calibration;
    calibration.kernel = entry.string("kernel");
    calibration.system = entry.string("system");
    for (std::size_t p = 0; p < kCommPhaseCount; ++p) {
      const std::string key = std::string(kPhaseNames[p]) + "_fixed";
      calibration.phase_fitted[p] = entry.has(key);
      if (calibration.phase_fitted[p])
        calibration.fixed_seconds[p] = entry.quantity(key, sim::Quantity::Seconds);
    }
    auto fraction = [&](std::string_view key, bool& fitted) {
      fitted = entry.has(key);
      if (!fitted) return 1.0;
      const double value = entry.number(key);
      if (!(value > 0 && value <= 1)) entry.fail(key, "a bandwidth fraction must be in (0, 1]");
      return value;
    };
    calibration.scale_up_fraction =
        fraction("scale_up_bandwidth_fraction", calibration.scale_up_fitted);
    calibration.scale_out_fraction =
        fraction("scale_out_bandwidth_fraction", calibration.scale_out_fitted);
    file.calibrations.push_back(std::move(calibration));
  }
  return file;
}

void write_calibration_file(const std::string& path, const CalibrationFile& file,
                            const std::string& source_note) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  out << "# Fitted kernel costs (workloads/calibration.h). Generated: re-run the command in "
         "'source' after changing\n"
         "# any measurement or system file; the tests re-fit and fail if these values are stale.\n";
  out << "source: \"" << source_note << "\"\n";
  out << "notes: >-\n  phase time = <phase>_fixed + max over messages (overhead + latency + ideal "
         "max-min transfer time /"
         "\n  bandwidth fraction of the message's class). Least squares on relative error, one "
         "parameter set per\n"
         "  (kernel, system); points listed as outliers in the measurement files are not fitted.\n";
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(file.inputs_hash));
  out << "inputs_hash: \"" << hash << "\"  # FNV-1a 64 of the measurement files and systems.yaml\n";
  out << "calibrations:\n";
  for (const FittedKernel& calibration : file.calibrations) {
    out << "  - kernel: " << calibration.kernel << "\n    system: " << calibration.system << '\n';
    for (std::size_t p = 0; p < kCommPhaseCount; ++p)
      if (calibration.phase_fitted[p])
        out << "    " << kPhaseNames[p] << "_fixed: \""
            << format_fixed(calibration.fixed_seconds[p]) << "\"\n";
    if (calibration.scale_up_fitted)
      out << "    scale_up_bandwidth_fraction: " << format_fraction(calibration.scale_up_fraction)
          << '\n';
    if (calibration.scale_out_fitted)
      out << "    scale_out_bandwidth_fraction: " << format_fraction(calibration.scale_out_fraction)
          << '\n';
  }
  out.close();
  if (!out) throw std::runtime_error(path + ": write failed");
}

}  // namespace moesim::workloads
