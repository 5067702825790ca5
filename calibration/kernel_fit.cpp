#include "calibration/kernel_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "calibration/minimize.h"
#include "input/mapping.h"

namespace moesim::calibration {

using topology::LinkTier;

namespace {

constexpr std::array<std::string_view, kKernelTermCount> kTermNames{
    "per_phase_scale_up_fraction", "scale_out_message_cost", "per_peer_cost"};

// For each point, per class (0 = scale-up, 1 = scale-out), the Pareto set of (offset, transfer)
// pairs: the only messages that can be last for some fraction and message cost.
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

  double ideal_time(double scale_up_fraction, double scale_out_fraction,
                    double scale_out_message_seconds) const {
    double slowest = 0;
    for (const auto& [offset, transfer] : lines[0])
      slowest = std::max(slowest, offset + transfer / scale_up_fraction);
    for (const auto& [offset, transfer] : lines[1])
      slowest =
          std::max(slowest, offset + scale_out_message_seconds + transfer / scale_out_fraction);
    return slowest;
  }
};

// Solves the small symmetric system A u = b (Gaussian elimination, partial pivoting); false if
// singular.
bool solve(std::vector<std::vector<double>> a, std::vector<double> b, std::vector<double>& u) {
  const std::size_t n = b.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    if (std::abs(a[pivot][c]) < 1e-300) return false;
    std::swap(a[c], a[pivot]);
    std::swap(b[c], b[pivot]);
    for (std::size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  u.resize(n);
  for (std::size_t i = 0; i < n; ++i) u[i] = b[i] / a[i][i];
  return true;
}

// The fit of one set: the points, their envelopes and which parameters are free.
struct SetFit {
  std::span<const CalibrationPoint> points;
  std::vector<std::size_t> members;  // indices into points
  std::vector<Envelope> envelopes;   // per member
  KernelTerms terms{};
  std::array<bool, kCommPhaseCount> phases{};
  bool up = false, out = false;

  bool per_phase_up() const {
    return up && terms[0] && phases[static_cast<std::size_t>(CommPhase::Dispatch)] &&
           phases[static_cast<std::size_t>(CommPhase::Combine)];
  }
  bool message_cost() const { return out && terms[1]; }
  bool per_peer() const { return terms[2]; }

  struct Nonlinear {
    double up_dispatch = 1, up_combine = 1, out = 1, message = 0;
  };
  // x: [1/f_up (dispatch)] [1/f_up (combine)] [1/f_out] [message cost in us]
  std::optional<Nonlinear> decode(const std::vector<double>& x) const {
    Nonlinear n;
    std::size_t i = 0;
    if (up) n.up_dispatch = n.up_combine = 1.0 / x[i++];
    if (per_phase_up()) n.up_combine = 1.0 / x[i++];
    if (out) n.out = 1.0 / x[i++];
    if (message_cost()) n.message = x[i++] * 1e-6;
    for (double fraction : {n.up_dispatch, n.up_combine, n.out})
      if (!(fraction > 0 && fraction <= 1)) return std::nullopt;
    if (n.message < 0) return std::nullopt;
    return n;
  }

  // Linear unknowns: a fixed cost per fitted phase, then the per-peer cost. Solved for the given
  // nonlinear parameters (weighted least squares, non-negative); returns the sum of squared
  // relative errors.
  double linear(const Nonlinear& n, std::array<double, kCommPhaseCount>& fixed,
                double& peer_cost) const {
    std::vector<int> unknown_kind;  // phase index, or -1 for the per-peer cost
    for (std::size_t p = 0; p < kCommPhaseCount; ++p)
      if (phases[p]) unknown_kind.push_back(static_cast<int>(p));
    if (per_peer()) unknown_kind.push_back(-1);
    std::vector<double> ideal(members.size());
    for (std::size_t k = 0; k < members.size(); ++k) {
      const CommPhase phase = points[members[k]].phase;
      ideal[k] = envelopes[k].ideal_time(phase == CommPhase::Combine ? n.up_combine : n.up_dispatch,
                                         n.out, n.message);
    }
    std::vector<bool> active(unknown_kind.size(), true);
    std::vector<double> value(unknown_kind.size(), 0.0);
    for (std::size_t round = 0; round <= unknown_kind.size(); ++round) {
      std::vector<std::size_t> free;
      for (std::size_t j = 0; j < active.size(); ++j)
        if (active[j]) free.push_back(j);
      std::fill(value.begin(), value.end(), 0.0);
      if (free.empty()) break;
      std::vector<std::vector<double>> a(free.size(), std::vector<double>(free.size(), 0.0));
      std::vector<double> b(free.size(), 0.0);
      for (std::size_t k = 0; k < members.size(); ++k) {
        const CalibrationPoint& point = points[members[k]];
        const double m = point.measured_seconds;
        const double w = 1.0 / (m * m);
        std::vector<double> phi(free.size(), 0.0);
        for (std::size_t f = 0; f < free.size(); ++f) {
          const int kind = unknown_kind[free[f]];
          phi[f] = kind < 0 ? static_cast<double>(point.gpus - 1)
                            : (kind == static_cast<int>(point.phase) ? 1.0 : 0.0);
        }
        for (std::size_t r = 0; r < free.size(); ++r) {
          b[r] += w * phi[r] * (m - ideal[k]);
          for (std::size_t c = 0; c < free.size(); ++c) a[r][c] += w * phi[r] * phi[c];
        }
      }
      std::vector<double> u;
      if (!solve(a, b, u)) {
        // An unknown no point constrains (e.g. a per-peer cost on one EP size): drop it.
        active[free.back()] = false;
        continue;
      }
      bool negative = false;
      for (std::size_t f = 0; f < free.size(); ++f) {
        value[free[f]] = u[f];
        if (u[f] < 0) {
          active[free[f]] = false;
          negative = true;
        }
      }
      if (!negative) break;
    }
    fixed.fill(0.0);
    peer_cost = 0;
    for (std::size_t j = 0; j < unknown_kind.size(); ++j) {
      const double v = active[j] ? std::max(0.0, value[j]) : 0.0;
      if (unknown_kind[j] < 0)
        peer_cost = v;
      else
        fixed[static_cast<std::size_t>(unknown_kind[j])] = v;
    }
    double sum = 0;
    for (std::size_t k = 0; k < members.size(); ++k) {
      const CalibrationPoint& point = points[members[k]];
      const double predicted = fixed[static_cast<std::size_t>(point.phase)] +
                               peer_cost * static_cast<double>(point.gpus - 1) + ideal[k];
      const double error = (predicted - point.measured_seconds) / point.measured_seconds;
      sum += error * error;
    }
    return sum;
  }
};

}  // namespace

std::string_view to_string(KernelTerm term) {
  return kTermNames.at(static_cast<std::size_t>(term));
}

workloads::KernelCalibration to_decode_calibration(const FittedKernel& fitted,
                                                   std::uint32_t ep_size) {
  workloads::KernelCalibration calibration;
  const auto up = static_cast<std::size_t>(LinkTier::ScaleUp);
  calibration.bandwidth_fraction[up] = fitted.scale_up_fraction;
  calibration.combine_bandwidth_fraction[up] = fitted.combine_scale_up_fraction;
  const sim::Picoseconds message = sim::from_seconds(fitted.scale_out_message_seconds);
  for (LinkTier tier : {LinkTier::ScaleOut, LinkTier::Core}) {
    const auto t = static_cast<std::size_t>(tier);
    calibration.bandwidth_fraction[t] = fitted.scale_out_fraction;
    calibration.combine_bandwidth_fraction[t] = fitted.scale_out_fraction;
    calibration.message_overhead[t] = message;
  }
  const double peers = fitted.per_peer_seconds * static_cast<double>(ep_size > 0 ? ep_size - 1 : 0);
  calibration.dispatch_phase_overhead = sim::from_seconds(
      fitted.fixed_seconds[static_cast<std::size_t>(CommPhase::Dispatch)] + peers);
  calibration.combine_phase_overhead =
      sim::from_seconds(fitted.fixed_seconds[static_cast<std::size_t>(CommPhase::Combine)] + peers);
  return calibration;
}

double calibrated_phase_seconds(const FittedKernel& calibration, CommPhase phase,
                                std::uint32_t gpus, std::span<const MessageTiming> timings) {
  double slowest = 0;
  for (const MessageTiming& timing : timings) {
    const double arrival =
        timing.scale_out ? timing.offset_seconds + calibration.scale_out_message_seconds +
                               timing.transfer_seconds / calibration.scale_out_fraction
                         : timing.offset_seconds +
                               timing.transfer_seconds / calibration.scale_up_fraction_of(phase);
    slowest = std::max(slowest, arrival);
  }
  return calibration.fixed_seconds[static_cast<std::size_t>(phase)] +
         calibration.per_peer_seconds * static_cast<double>(gpus > 0 ? gpus - 1 : 0) + slowest;
}

std::vector<KernelSetSpec> load_kernel_sets(const std::string& path) {
  const input::Mapping root = input::Mapping::load_file(path);
  root.expect_only({"source", "notes", "sets"});
  root.string("source");
  std::vector<KernelSetSpec> specs;
  std::set<std::pair<std::string, std::string>> claimed;
  for (const input::Mapping& entry : root.maps("sets")) {
    entry.expect_only({"kernel", "name", "systems", "terms"});
    KernelSetSpec spec;
    spec.kernel = entry.string("kernel");
    spec.name = entry.string("name");
    spec.systems = entry.strings("systems");
    if (spec.systems.empty()) entry.fail("systems", "must list at least one system");
    for (const std::string& system : spec.systems)
      if (!claimed.emplace(spec.kernel, system).second)
        entry.fail("systems", "system '" + system + "' is already in another set of kernel '" +
                                  spec.kernel + "'");
    for (const std::string& term : entry.strings("terms")) {
      const auto found = std::find(kTermNames.begin(), kTermNames.end(), term);
      if (found == kTermNames.end())
        entry.fail("terms", "unknown term '" + term +
                                "' (expected per_phase_scale_up_fraction, scale_out_message_cost "
                                "or per_peer_cost)");
      spec.terms[static_cast<std::size_t>(found - kTermNames.begin())] = true;
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

KernelSetSpec set_of(std::span<const KernelSetSpec> specs, const CalibrationPoint& point) {
  for (const KernelSetSpec& spec : specs)
    if (spec.kernel == point.kernel &&
        std::find(spec.systems.begin(), spec.systems.end(), point.system) != spec.systems.end())
      return spec;
  return {point.kernel, point.system, {point.system}, {}};
}

std::optional<FittedKernel> fit_kernel_set(const KernelSetSpec& spec, const KernelTerms& terms,
                                           std::span<const CalibrationPoint> points,
                                           std::span<const std::vector<MessageTiming>> timings,
                                           std::span<const std::size_t> indices) {
  SetFit fit;
  fit.points = points;
  fit.terms = terms;
  for (std::size_t i : indices) {
    if (points[i].excluded) continue;
    fit.members.push_back(i);
    fit.envelopes.emplace_back(timings[i]);
    fit.phases[static_cast<std::size_t>(points[i].phase)] = true;
    fit.up = fit.up || !fit.envelopes.back().lines[0].empty();
    fit.out = fit.out || !fit.envelopes.back().lines[1].empty();
  }
  if (fit.members.empty()) return std::nullopt;

  std::array<double, kCommPhaseCount> fixed{};
  double per_peer = 0;
  auto objective = [&](const std::vector<double>& x) {
    const auto n = fit.decode(x);
    if (!n) return std::numeric_limits<double>::infinity();
    return fit.linear(*n, fixed, per_peer);
  };
  // Starting points: every fraction at 0.5, 0.7 and 0.9; the message cost at 5 us.
  Minimum best{{}, std::numeric_limits<double>::infinity()};
  for (double start : {0.5, 0.7, 0.9}) {
    std::vector<double> x0;
    if (fit.up) x0.push_back(1.0 / start);
    if (fit.per_phase_up()) x0.push_back(1.0 / start);
    if (fit.out) x0.push_back(1.0 / start);
    if (fit.message_cost()) x0.push_back(5.0);
    Minimum found = minimize(objective, x0);
    if (found.value < best.value) best = std::move(found);
  }
  const SetFit::Nonlinear n = *fit.decode(best.x);
  fit.linear(n, fixed, per_peer);

  FittedKernel calibration;
  calibration.kernel = spec.kernel;
  calibration.system = spec.name;
  std::set<std::string> systems;
  for (std::size_t i : fit.members) systems.insert(points[i].system);
  for (const std::string& system : spec.systems)
    if (systems.count(system)) calibration.measured_systems.push_back(system);
  calibration.terms = terms;
  calibration.terms[0] = fit.per_phase_up();
  calibration.terms[1] = fit.message_cost();
  calibration.phase_fitted = fit.phases;
  calibration.scale_up_fitted = fit.up;
  calibration.scale_out_fitted = fit.out;
  calibration.scale_up_fraction = n.up_dispatch;
  calibration.combine_scale_up_fraction = n.up_combine;
  calibration.scale_out_fraction = n.out;
  calibration.scale_out_message_seconds = n.message;
  calibration.per_peer_seconds = fit.per_peer() ? per_peer : 0.0;
  for (std::size_t p = 0; p < kCommPhaseCount; ++p)
    calibration.fixed_seconds[p] = fit.phases[p] ? fixed[p] : 0.0;
  return calibration;
}

FitReport fit_calibrations(std::span<const CalibrationPoint> points,
                           std::span<const std::vector<MessageTiming>> timings,
                           std::span<const KernelSetSpec> specs) {
  if (points.size() != timings.size())
    throw std::invalid_argument("fit_calibrations: one timing set per point");
  std::map<std::pair<std::string, std::string>, std::pair<KernelSetSpec, std::vector<std::size_t>>>
      groups;
  for (std::size_t i = 0; i < points.size(); ++i) {
    KernelSetSpec spec = set_of(specs, points[i]);
    auto& group = groups[{spec.kernel, spec.name}];
    group.first = std::move(spec);
    group.second.push_back(i);
  }
  FitReport report;
  for (const auto& [key, group] : groups)
    if (auto fitted = fit_kernel_set(group.first, group.first.terms, points, timings, group.second))
      report.calibrations.push_back(std::move(*fitted));
  for (const PointResult& result : evaluate_points(points, timings, report.calibrations, specs)) {
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

namespace {

PointResult evaluate(const CalibrationPoint& point, std::span<const MessageTiming> timings,
                     const FittedKernel& calibration) {
  PointResult result;
  result.point = &point;
  result.set = calibration.system;
  const FittedKernel ideal{};
  result.ideal_seconds = calibrated_phase_seconds(ideal, point.phase, point.gpus, timings);
  result.calibrated_seconds =
      calibrated_phase_seconds(calibration, point.phase, point.gpus, timings);
  result.relative_error =
      (result.calibrated_seconds - point.measured_seconds) / point.measured_seconds;
  return result;
}

}  // namespace

std::vector<PointResult> evaluate_points(std::span<const CalibrationPoint> points,
                                         std::span<const std::vector<MessageTiming>> timings,
                                         std::span<const FittedKernel> calibrations,
                                         std::span<const KernelSetSpec> specs,
                                         const std::string& apply_set) {
  std::vector<PointResult> results;
  results.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::string set = set_of(specs, points[i]).name;
    if (!apply_set.empty()) {
      for (const FittedKernel& calibration : calibrations)
        if (calibration.kernel == points[i].kernel && calibration.system == apply_set)
          set = apply_set;
    }
    results.push_back(
        evaluate(points[i], timings[i], find_calibration(calibrations, points[i].kernel, set)));
  }
  return results;
}

std::vector<HeldAsideResult> leave_one_system_out(
    std::span<const CalibrationPoint> points, std::span<const std::vector<MessageTiming>> timings,
    std::span<const FittedKernel> calibrations, std::span<const KernelSetSpec> specs) {
  // Counted points per (set, system), in the order the systems first appear.
  std::map<std::pair<std::string, std::string>, KernelSetSpec> sets;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> systems_of_set;
  std::vector<std::pair<std::pair<std::string, std::string>, std::string>> order;
  for (const CalibrationPoint& point : points) {
    if (point.excluded) continue;
    const KernelSetSpec spec = set_of(specs, point);
    const std::pair key{spec.kernel, spec.name};
    sets.emplace(key, spec);
    auto& systems = systems_of_set[key];
    if (std::find(systems.begin(), systems.end(), point.system) == systems.end()) {
      systems.push_back(point.system);
      order.emplace_back(key, point.system);
    }
  }
  std::vector<HeldAsideResult> results;
  for (const auto& [key, held_system] : order) {
    // A copy: C++20 lambdas may not capture a structured binding (clang rejects it).
    const auto& system = held_system;
    const KernelSetSpec& spec = sets.at(key);
    std::vector<std::size_t> of_system;
    std::vector<std::size_t> others;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const KernelSetSpec point_set = set_of(specs, points[i]);
      if (point_set.kernel != spec.kernel || point_set.name != spec.name) continue;
      (points[i].system == system ? of_system : others).push_back(i);
    }
    auto predict = [&](const FittedKernel& calibration, std::string predictor) {
      HeldAsideResult held{system, std::move(predictor), {}};
      for (std::size_t i : of_system)
        held.points.push_back(evaluate(points[i], timings[i], calibration));
      results.push_back(std::move(held));
    };
    if (systems_of_set.at(key).size() > 1) {
      if (auto refit = fit_kernel_set(spec, spec.terms, points, timings, others))
        predict(*refit, spec.name + " without " + system);
      continue;
    }
    for (const FittedKernel& calibration : calibrations)
      if (calibration.kernel == spec.kernel && calibration.system != spec.name)
        predict(calibration, calibration.system);
  }
  return results;
}

}  // namespace moesim::calibration
