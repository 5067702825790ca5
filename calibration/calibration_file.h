#pragma once
// The fitted parameter file (configs/validation/kernel-calibration.yaml): what `moesim validate
// --write` produces and scenarios' decode.calibration reads, with a hash of the inputs it was
// fitted on so a stale fit is detectable.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "calibration/kernel_fit.h"
#include "workloads/decode_config.h"

namespace moesim::calibration {

// FNV-1a 64 of the files' bytes, in order: the measurements and the systems, so a stale fit is
// detectable.
std::uint64_t hash_files(std::span<const std::string> files);

struct CalibrationFile {
  std::uint64_t inputs_hash = 0;
  std::vector<FittedKernel> calibrations;
};
CalibrationFile load_calibration_file(const std::string& path);  // throws input::InputError
void write_calibration_file(const std::string& path, const CalibrationFile& file,
                            const std::string& source_note);

// The fitted set for (kernel, system) from a calibration file, for the decode step and the CLI.
// `ep_size` scales the per-peer cost.
workloads::KernelCalibration load_kernel_calibration(
    const std::string& calibration_file, const std::string& kernel, const std::string& system,
    std::uint32_t ep_size);  // throws input::InputError / out_of_range

}  // namespace moesim::calibration
