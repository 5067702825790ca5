#pragma once
// Kernel calibration: real all-to-all kernels are not ideal fluids. moesim's flow model gives the
// ideal max-min time of a phase; a kernel adds a few named costs on top, fitted to published
// measurements (configs/validation/):
//
//   phase_time = fixed[phase] + max over messages m of ( offset_m + transfer_m / fraction[class_m]
//   )
//
//   offset_m      the message's fixed overhead + route latency (the flow model's own,
//   Fabric::message_overhead) transfer_m    its ideal max-min transfer time from a FlowNetwork run
//   at full link bandwidth fraction[c]   achieved fraction of link bandwidth for the message's
//   class c: scale-up (its route stays on
//                 scale-up links) or scale-out (it leaves its scale-up domain: highest tier
//                 ScaleOut or Core; the NIC is what limits such a message). Dividing the transfer
//                 time by it equals a run with every link of the class slowed to fraction x
//                 bandwidth whenever the two classes use disjoint links and start together (true on
//                 every calibration fabric: NVLink messages never touch a NIC link). It absorbs
//                 protocol headers, SM-limited copy rates and per-token work that grows with the
//                 bytes
//   fixed[phase]  per-phase cost: kernel launch, grid synchronisation and the notification
//   handshake
//
// One parameter set per (kernel mode, system): e.g. "deepep-low-latency" on "h800-ib". No knob per
// data point. Fitting minimises the sum of squared *relative* errors (the targets are relative):
// for fixed fractions the optimal fixed costs are a weighted linear least-squares solution in
// closed form, and the fractions are found by a deterministic grid search refined to 1e-4.
#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sim/time.h"
#include "topology/fabric.h"
#include "topology/network.h"
#include "workloads/decode.h"

namespace moesim::workloads {

enum class CommPhase : std::uint8_t { Dispatch = 0, Combine = 1, AllToAll = 2 };
inline constexpr std::size_t kCommPhaseCount = 3;
std::string_view to_string(CommPhase phase);  // "dispatch", "combine", "alltoall"

// One fitted parameter set; to_decode_calibration() turns it into the decode step's
// KernelCalibration (workloads/decode.h), which applies the same costs (fraction as bytes /
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
KernelCalibration to_decode_calibration(const FittedKernel& fitted);

// The fitted set for (kernel, system) from a calibration file, for the decode step and the CLI.
KernelCalibration load_kernel_calibration(
    const std::string& calibration_file, const std::string& kernel,
    const std::string& system);  // throws config::ConfigError / out_of_range

// One message of a phase in the ideal flow model, relative to the phase start.
struct MessageTiming {
  double offset_seconds = 0;    // overhead + route latency (no bandwidth used)
  double transfer_seconds = 0;  // delivery - offset, at full link bandwidth with max-min sharing
  bool scale_out = false;       // the route leaves the scale-up domain
};

// Runs `messages` (all released at their own release times, phase start = 0) through a FlowNetwork
// on `fabric`.
std::vector<MessageTiming> simulate_phase(const topology::Fabric& fabric,
                                          std::span<const topology::Message> messages);

// The calibrated phase time in seconds (formula above). An empty phase costs only its fixed cost.
double calibrated_phase_seconds(const FittedKernel& calibration, CommPhase phase,
                                std::span<const MessageTiming> timings);

// ---- Calibration data (configs/validation/*.yaml) expanded into points ----

enum class TrafficPattern : std::uint8_t {
  DirectTokens,  // every (token, expert) copy goes point to point; copies spread evenly over the EP
                 // ranks
  EvenAllToAll,  // nccl-tests alltoall: every rank sends an equal chunk to every other rank
};

struct CalibrationPoint {
  std::string data_id;  // reference id of the measurement table
  std::string label;    // e.g. "EP16 nvlink-allowed dispatch"
  std::string kernel;
  std::string system;
  bool rdma_only = false;  // intra-server copies also go through the NIC (DeepEP's pure-RDMA mode)
  TrafficPattern pattern = TrafficPattern::DirectTokens;
  CommPhase phase = CommPhase::Dispatch;
  std::uint32_t gpus = 0;               // EP size / ranks
  std::uint32_t tokens_per_gpu = 0;     // DirectTokens
  std::uint32_t experts_per_token = 0;  // DirectTokens
  std::uint64_t bytes_per_copy =
      0;  // DirectTokens: per token copy; EvenAllToAll: per (rank, peer) chunk
  double measured_seconds = 0;
  bool excluded = false;  // shown, but not fitted nor counted in the targets
  std::string exclusion_reason;
};

// Every measurement file expanded into points (schema: docs/validation.md). Tables marked
// `evaluated: false` are listed with their reason instead.
struct CalibrationData {
  std::vector<CalibrationPoint> points;
  std::vector<std::pair<std::string, std::string>> unevaluated_tables;  // (id, why)
};
CalibrationData load_calibration_data(std::span<const std::string> measurement_files);
// <configs_dir>/validation/measurements/*.yaml, sorted by name.
std::vector<std::string> default_measurement_files(const std::string& configs_dir);

// The messages of a point's phase (dispatch: token copies to their ranks; combine: the same copies
// back).
std::vector<topology::Message> phase_messages(const CalibrationPoint& point);

// Builds the fabric a point runs on from the systems file (configs/validation/systems.yaml).
class SystemCatalogue {
 public:
  explicit SystemCatalogue(std::string systems_file);
  topology::Fabric fabric(const std::string& system, bool rdma_only, std::uint32_t gpus) const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// Ideal flow timings for every point (cached by identical simulation inputs).
std::vector<std::vector<MessageTiming>> simulate_points(const SystemCatalogue& systems,
                                                        std::span<const CalibrationPoint> points);

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

// ---- The fitted parameter file (configs/validation/kernel-calibration.yaml) ----

// FNV-1a 64 of the files' bytes, in order: the measurements and the systems, so a stale fit is
// detectable.
std::uint64_t hash_files(std::span<const std::string> files);

struct CalibrationFile {
  std::uint64_t inputs_hash = 0;
  std::vector<FittedKernel> calibrations;
};
CalibrationFile load_calibration_file(const std::string& path);  // throws config::ConfigError
void write_calibration_file(const std::string& path, const CalibrationFile& file,
                            const std::string& source_note);

}  // namespace moesim::workloads
