#include "calibration/kernel_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace moesim::calibration {

using topology::LinkTier;

namespace {

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

}  // namespace

workloads::KernelCalibration to_decode_calibration(const FittedKernel& fitted) {
  workloads::KernelCalibration calibration;
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

}  // namespace moesim::calibration
