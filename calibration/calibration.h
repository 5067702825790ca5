#pragma once
// Public API of moesim's calibration against published measurements (library target
// `moesim_calibration`). Depends on sim/, input/, topology/, network/ and workloads/.
//   CalibrationPoint, load_calibration_data     — measurement tables as points (measurements.h)
//   SystemCatalogue                             — the measured systems as fabrics (systems.h)
//   phase_messages, simulate_points             — each point's ideal flow timing (phases.h)
//   FittedKernel, fit_calibrations,
//   evaluate_points, to_decode_calibration      — kernel costs fitted to the points (kernel_fit.h)
//   CalibrationFile, load/write_calibration_file,
//   load_kernel_calibration                     — the fitted-parameter file (calibration_file.h)
#include "calibration/calibration_file.h"
#include "calibration/compute_fit.h"
#include "calibration/kernel_fit.h"
#include "calibration/measurements.h"
#include "calibration/phases.h"
#include "calibration/systems.h"
