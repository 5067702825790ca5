#pragma once
// The fitted compute parameters (configs/validation/compute-calibration.yaml), written by `moesim
// validate --write` with a hash of the inputs they were fitted on, read by scenarios.
#include <cstdint>
#include <string>

#include "calibration/compute_fit.h"

namespace moesim::calibration {
// The fitted-parameter file (configs/validation/compute-calibration.yaml).
struct ComputeCalibrationFile {
  std::uint64_t inputs_hash = 0;
  ComputeFit fit;
};
ComputeCalibrationFile load_compute_calibration_file(const std::string& path);
void write_compute_calibration_file(const std::string& path, const ComputeCalibrationFile& file,
                                    const std::string& source_note);

}  // namespace moesim::calibration
