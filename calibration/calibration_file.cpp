#include "calibration/calibration_file.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "input/mapping.h"

namespace moesim::calibration {

namespace {

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

workloads::KernelCalibration load_kernel_calibration(const std::string& calibration_file,
                                                     const std::string& kernel,
                                                     const std::string& system,
                                                     std::uint32_t ep_size) {
  const CalibrationFile file = load_calibration_file(calibration_file);
  return to_decode_calibration(find_calibration(file.calibrations, kernel, system), ep_size);
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
  const input::Mapping root = input::Mapping::load_file(path);
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
  for (const input::Mapping& entry : root.maps("calibrations")) {
    entry.expect_only({"kernel", "system", "measured_systems", "dispatch_fixed", "combine_fixed",
                       "alltoall_fixed", "scale_up_bandwidth_fraction",
                       "combine_scale_up_bandwidth_fraction", "scale_out_bandwidth_fraction",
                       "scale_out_message_cost", "per_peer_cost"});
    FittedKernel calibration;
    calibration.kernel = entry.string("kernel");
    calibration.system = entry.string("system");
    if (entry.has("measured_systems"))
      calibration.measured_systems = entry.strings("measured_systems");
    for (std::size_t p = 0; p < kCommPhaseCount; ++p) {
      const std::string key = std::string(to_string(static_cast<CommPhase>(p))) + "_fixed";
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
    auto cost = [&](std::string_view key, KernelTerm term) {
      calibration.terms[static_cast<std::size_t>(term)] = entry.has(key);
      if (!entry.has(key)) return 0.0;
      const double value = entry.quantity(key, sim::Quantity::Seconds);
      if (!(value >= 0)) entry.fail(key, "a cost must be >= 0");
      return value;
    };
    calibration.scale_up_fraction =
        fraction("scale_up_bandwidth_fraction", calibration.scale_up_fitted);
    bool per_phase = false;
    calibration.combine_scale_up_fraction =
        fraction("combine_scale_up_bandwidth_fraction", per_phase);
    if (!per_phase) calibration.combine_scale_up_fraction = calibration.scale_up_fraction;
    calibration.terms[static_cast<std::size_t>(KernelTerm::PerPhaseScaleUpFraction)] = per_phase;
    calibration.scale_out_fraction =
        fraction("scale_out_bandwidth_fraction", calibration.scale_out_fitted);
    calibration.scale_out_message_seconds =
        cost("scale_out_message_cost", KernelTerm::ScaleOutMessageCost);
    calibration.per_peer_seconds = cost("per_peer_cost", KernelTerm::PerPeerCost);
    file.calibrations.push_back(std::move(calibration));
  }
  return file;
}

void write_calibration_file(const std::string& path, const CalibrationFile& file,
                            const std::string& source_note) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  out << "# Fitted kernel costs (calibration/kernel_fit.h). Generated: re-run the command in "
         "'source' after changing\n"
         "# any measurement, system or kernel-set file; the tests re-fit and fail if these values "
         "are stale.\n";
  out << "source: \"" << source_note << "\"\n";
  out << "notes: >-\n  phase time = <phase>_fixed + per_peer_cost x (EP - 1) + max over messages "
         "(overhead + latency\n"
         "  [+ scale_out_message_cost for a scale-out message] + ideal max-min transfer time / "
         "bandwidth fraction\n"
         "  of the message's class and phase). Least squares on relative error, one parameter set "
         "per kernel set\n"
         "  (configs/validation/kernel-sets.yaml); points listed as outliers or not counted in the "
         "measurement\n  files are not fitted.\n";
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(file.inputs_hash));
  out << "inputs_hash: \"" << hash
      << "\"  # FNV-1a 64 of the measurement files, systems.yaml and kernel-sets.yaml\n";
  out << "calibrations:\n";
  for (const FittedKernel& calibration : file.calibrations) {
    out << "  - kernel: " << calibration.kernel << "\n    system: " << calibration.system << '\n';
    if (!calibration.measured_systems.empty()) {
      out << "    measured_systems: [";
      for (std::size_t i = 0; i < calibration.measured_systems.size(); ++i)
        out << (i ? ", " : "") << calibration.measured_systems[i];
      out << "]\n";
    }
    for (std::size_t p = 0; p < kCommPhaseCount; ++p)
      if (calibration.phase_fitted[p])
        out << "    " << to_string(static_cast<CommPhase>(p)) << "_fixed: \""
            << format_fixed(calibration.fixed_seconds[p]) << "\"\n";
    if (calibration.scale_up_fitted) {
      out << "    scale_up_bandwidth_fraction: " << format_fraction(calibration.scale_up_fraction)
          << '\n';
      if (calibration.has(KernelTerm::PerPhaseScaleUpFraction))
        out << "    combine_scale_up_bandwidth_fraction: "
            << format_fraction(calibration.combine_scale_up_fraction) << '\n';
    }
    if (calibration.scale_out_fitted)
      out << "    scale_out_bandwidth_fraction: " << format_fraction(calibration.scale_out_fraction)
          << '\n';
    if (calibration.has(KernelTerm::ScaleOutMessageCost))
      out << "    scale_out_message_cost: \"" << format_fixed(calibration.scale_out_message_seconds)
          << "\"\n";
    if (calibration.has(KernelTerm::PerPeerCost))
      out << "    per_peer_cost: \"" << format_fixed(calibration.per_peer_seconds) << "\"\n";
  }
  out.close();
  if (!out) throw std::runtime_error(path + ": write failed");
}

}  // namespace moesim::calibration
