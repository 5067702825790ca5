#pragma once
// Kernel calibration: real all-to-all kernels are not ideal fluids. moesim's flow model gives the
// ideal max-min time of a phase; a kernel adds a few named costs on top, fitted to published
// measurements (configs/validation/):
//
//   phase_time = fixed[phase] + per_peer x (EP - 1)
//                + max over messages m of (offset_m + [m scale-out] x message_cost
//                                          + transfer_m / fraction[class_m, phase])
//
// offset_m is the message's fixed overhead + route latency (the flow model's own,
// Fabric::message_overhead); transfer_m its ideal max-min transfer time from a FlowNetwork run at
// full link bandwidth.
//
// fraction[c, phase] is the achieved fraction of link bandwidth for the message's class c:
// scale-up (its route stays on scale-up links) or scale-out (it leaves its scale-up domain:
// highest tier ScaleOut or Core; the NIC is what limits such a message). The scale-up fraction may
// differ per phase (per_phase_scale_up_fraction). Dividing the transfer time by it equals a run
// with every link of the class slowed to fraction x bandwidth whenever the two classes use
// disjoint links and start together (true on every calibration fabric: NVLink messages never
// touch a NIC link). It absorbs protocol headers, SM-limited copy rates and per-token work.
//
// fixed[phase] is the per-phase cost: kernel launch, grid synchronisation and the notification
// handshake; message_cost a fixed cost per scale-out (RDMA) message (scale_out_message_cost);
// per_peer the handshake's cost per other rank of the EP group (per_peer_cost).
//
// One parameter set per kernel set of configs/validation/kernel-sets.yaml (several measured
// systems may share one; a (kernel, system) not listed there is a set of its own with the base
// terms). No knob per data point. Fitting minimises the sum of squared *relative* errors: for
// given fractions and message cost the fixed and per-peer costs are a weighted linear
// least-squares solution (non-negative), and the others come from a deterministic Nelder-Mead
// search (calibration/minimize.h).
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "calibration/measurements.h"
#include "calibration/phases.h"
#include "workloads/decode_config.h"

namespace moesim::calibration {

// The cost terms a set may add to the base model.
enum class KernelTerm : std::uint8_t {
  PerPhaseScaleUpFraction,  // "per_phase_scale_up_fraction"
  ScaleOutMessageCost,      // "scale_out_message_cost"
  PerPeerCost,              // "per_peer_cost"
};
inline constexpr std::size_t kKernelTermCount = 3;
std::string_view to_string(KernelTerm term);
using KernelTerms = std::array<bool, kKernelTermCount>;

// One fitted parameter set; to_decode_calibration() turns it into the decode step's
// KernelCalibration (workloads/decode_config.h), which applies the same costs.
struct FittedKernel {
  std::string kernel;                                   // kernel mode, e.g. "deepep-low-latency"
  std::string system;                                   // the set's name, e.g. "hopper"
  std::vector<std::string> measured_systems;            // the systems it was fitted on
  std::array<double, kCommPhaseCount> fixed_seconds{};  // per phase
  double scale_up_fraction = 1.0;          // in (0, 1]; the dispatch's (and NCCL's) fraction
  double combine_scale_up_fraction = 1.0;  // = scale_up_fraction unless per_phase_scale_up
  double scale_out_fraction = 1.0;         // in (0, 1]
  double scale_out_message_seconds = 0;    // per scale-out message
  double per_peer_seconds = 0;             // per phase and GPU, x (EP - 1)
  KernelTerms terms{};                     // which optional terms the set has
  std::array<bool, kCommPhaseCount> phase_fitted{};  // which phases the data constrain
  bool scale_up_fitted = false;                      // which classes the data constrain
  bool scale_out_fitted = false;

  bool has(KernelTerm term) const { return terms[static_cast<std::size_t>(term)]; }
  double scale_up_fraction_of(CommPhase phase) const {
    return phase == CommPhase::Combine ? combine_scale_up_fraction : scale_up_fraction;
  }
};

// scale-up fractions -> tier ScaleUp (dispatch / combine); scale-out fraction -> tiers ScaleOut
// and Core; the per-message cost -> those tiers' message overheads; dispatch/combine fixed costs
// plus per_peer x (ep_size - 1) -> the phase overheads.
workloads::KernelCalibration to_decode_calibration(const FittedKernel& fitted,
                                                   std::uint32_t ep_size);

// The calibrated phase time in seconds (formula above) for a phase among `gpus` ranks. An empty
// phase costs only its fixed costs.
double calibrated_phase_seconds(const FittedKernel& calibration, CommPhase phase,
                                std::uint32_t gpus, std::span<const MessageTiming> timings);

// configs/validation/kernel-sets.yaml: which (kernel, system) pairs share a set, and its terms.
struct KernelSetSpec {
  std::string kernel;
  std::string name;
  std::vector<std::string> systems;
  KernelTerms terms{};
};
std::vector<KernelSetSpec> load_kernel_sets(const std::string& path);  // throws input::InputError

// The set a point belongs to: the spec listing its (kernel, system), else its own (kernel,
// system) with the base terms.
KernelSetSpec set_of(std::span<const KernelSetSpec> specs, const CalibrationPoint& point);

struct FitReport {
  std::vector<FittedKernel> calibrations;
  std::size_t fitted_points = 0;
  double mean_abs_relative_error = 0;
  double max_abs_relative_error = 0;
};

// Least-squares fit of one FittedKernel per set over the non-excluded points.
FitReport fit_calibrations(std::span<const CalibrationPoint> points,
                           std::span<const std::vector<MessageTiming>> timings,
                           std::span<const KernelSetSpec> specs = {});

// One set fitted to the points whose indices are given (all of the same set), with `terms`.
// Returns nothing when none of the points can be fitted.
std::optional<FittedKernel> fit_kernel_set(const KernelSetSpec& spec, const KernelTerms& terms,
                                           std::span<const CalibrationPoint> points,
                                           std::span<const std::vector<MessageTiming>> timings,
                                           std::span<const std::size_t> indices);

const FittedKernel& find_calibration(std::span<const FittedKernel> calibrations,
                                     const std::string& kernel,
                                     const std::string& system);  // throws std::out_of_range

struct PointResult {
  const CalibrationPoint* point = nullptr;
  std::string set;                // the fitted set applied
  double ideal_seconds = 0;       // the flow model alone (fractions 1, no fixed cost)
  double calibrated_seconds = 0;  // with the fitted kernel costs
  double relative_error = 0;      // (calibrated - measured) / measured
};
// Every point with the set it belongs to (`specs`); with `apply_set`, the set of that name (of the
// point's kernel) instead, for every point whose kernel has one (--calibration-system).
std::vector<PointResult> evaluate_points(std::span<const CalibrationPoint> points,
                                         std::span<const std::vector<MessageTiming>> timings,
                                         std::span<const FittedKernel> calibrations,
                                         std::span<const KernelSetSpec> specs = {},
                                         const std::string& apply_set = {});

// Held-aside (leave-one-system-out) predictions: for every measured system of a set with other
// fitted systems, the set re-fitted without it; for a system alone in its set, every other set of
// the same kernel (fitted on all its data). One result per (point, predicting set).
struct HeldAsideResult {
  std::string system;     // the measured system left out
  std::string predictor;  // "hopper without h100-hgx", "hopper", ...
  std::vector<PointResult> points;
};
std::vector<HeldAsideResult> leave_one_system_out(
    std::span<const CalibrationPoint> points, std::span<const std::vector<MessageTiming>> timings,
    std::span<const FittedKernel> calibrations, std::span<const KernelSetSpec> specs);

}  // namespace moesim::calibration
