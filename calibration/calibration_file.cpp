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
                                                     const std::string& system) {
  const CalibrationFile file = load_calibration_file(calibration_file);
  return to_decode_calibration(find_calibration(file.calibrations, kernel, system));
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
    entry.expect_only({"kernel", "system", "dispatch_fixed", "combine_fixed", "alltoall_fixed",
                       "scale_up_bandwidth_fraction", "scale_out_bandwidth_fraction"});
    FittedKernel calibration;
    calibration.kernel = entry.string("kernel");
    calibration.system = entry.string("system");
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
        out << "    " << to_string(static_cast<CommPhase>(p)) << "_fixed: \""
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

}  // namespace moesim::calibration
