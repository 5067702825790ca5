#pragma once
// Kernel calibration: real all-to-all kernels are not ideal fluids. moesim's flow model gives the
// ideal max-min time of a phase; a kernel adds a few named costs on top, fitted to published
// measurements (configs/validation/):
//
//   phase_time = fixed[phase] + max over messages m of (offset_m + transfer_m / fraction[class_m])
//
// offset_m is the message's fixed overhead + route latency (the flow model's own,
// Fabric::message_overhead); transfer_m its ideal max-min transfer time from a FlowNetwork run at
// full link bandwidth.
//
// fraction[c] is the achieved fraction of link bandwidth for the message's class c: scale-up (its
// route stays on scale-up links) or scale-out (it leaves its scale-up domain: highest tier
// ScaleOut or Core; the NIC is what limits such a message). Dividing the transfer time by it
// equals a run with every link of the class slowed to fraction x bandwidth whenever the two
// classes use disjoint links and start together (true on every calibration fabric: NVLink
// messages never touch a NIC link). It absorbs protocol headers, SM-limited copy rates and
// per-token work that grows with the bytes.
//
// fixed[phase] is the per-phase cost: kernel launch, grid synchronisation and the notification
// handshake.
//
// One parameter set per (kernel mode, system): e.g. "deepep-low-latency" on "h800-ib". No knob per
// data point. Fitting minimises the sum of squared *relative* errors (the targets are relative):
// for fixed fractions the optimal fixed costs are a weighted linear least-squares solution in
// closed form, and the fractions are found by a deterministic grid search refined to 1e-4.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "calibration/measurements.h"
#include "calibration/phases.h"
#include "workloads/decode_config.h"

namespace moesim::calibration {

// One fitted parameter set; to_decode_calibration() turns it into the decode step's
// KernelCalibration (workloads/decode_config.h), which applies the same costs (fraction as bytes /
// fraction, fixed cost per phase).
struct FittedKernel {
  std::string kernel;                                   // kernel mode, e.g. "deepep-low-latency"
  std::string system;                                   // e.g. "h800-ib"
  std::array<double, kCommPhaseCount> fixed_seconds{};  // per phase
  double scale_up_fraction = 1.0;                       // in (0, 1]
  double scale_out_fraction = 1.0;                      // in (0, 1]
  std::array<bool, kCommPhaseCount> phase_fitted{};     // which phases the data constrain
  bool scale_up_fitted = false;                         // which classes the data constrain
  bool scale_out_fitted = false;
};

// scale-up fraction -> tier ScaleUp; scale-out fraction -> tiers ScaleOut and Core;
// dispatch/combine fixed costs -> the phase overheads. Per-message extra overheads stay zero (not
// fitted: the fabric's own overhead is used).
workloads::KernelCalibration to_decode_calibration(const FittedKernel& fitted);

// The calibrated phase time in seconds (formula above). An empty phase costs only its fixed cost.
double calibrated_phase_seconds(const FittedKernel& calibration, CommPhase phase,
                                std::span<const MessageTiming> timings);

struct FitReport {
  std::vector<FittedKernel> calibrations;
  std::size_t fitted_points = 0;
  double mean_abs_relative_error = 0;
  double max_abs_relative_error = 0;
};

// Least-squares fit of one FittedKernel per (kernel, system) over the non-excluded points.
FitReport fit_calibrations(std::span<const CalibrationPoint> points,
                           std::span<const std::vector<MessageTiming>> timings);

const FittedKernel& find_calibration(std::span<const FittedKernel> calibrations,
                                     const std::string& kernel,
                                     const std::string& system);  // throws std::out_of_range

struct PointResult {
  const CalibrationPoint* point = nullptr;
  double ideal_seconds = 0;       // the flow model alone (fractions 1, no fixed cost)
  double calibrated_seconds = 0;  // with the fitted kernel costs
  double relative_error = 0;      // (calibrated - measured) / measured
};
std::vector<PointResult> evaluate_points(std::span<const CalibrationPoint> points,
                                         std::span<const std::vector<MessageTiming>> timings,
                                         std::span<const FittedKernel> calibrations);

}  // namespace moesim::calibration
