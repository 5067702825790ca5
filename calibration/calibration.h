#pragma once
// Public API of moesim's calibration against published measurements (library target
// `moesim_calibration`). Depends on sim/, input/, topology/, network/ and workloads/.
//   CalibrationPoint, load_calibration_data     — measurement tables as points (measurements.h)
//   SystemCatalogue                             — the measured systems as fabrics (systems.h)
//   phase_messages, simulate_points             — each point's ideal flow timing (phases.h)
//   FittedKernel, fit_calibrations,
//   evaluate_points, to_decode_calibration      — kernel costs fitted to the points (kernel_fit.h)
//   CalibrationFile, load/write_calibration_file,
//   load_kernel_calibration                     — the fitted kernel-cost file (calibration_file.h)
//   ComputeData, load_compute_data              — measured compute points (compute_data.h)
//   fit_compute, choose_compute_costs           — compute costs per GPU generation (compute_fit.h)
//   load/write_compute_calibration_file         — the fitted compute file
//                                                 (compute_calibration_file.h)
#include "calibration/calibration_file.h"
#include "calibration/compute_calibration_file.h"
#include "calibration/compute_data.h"
#include "calibration/compute_fit.h"
#include "calibration/kernel_fit.h"
#include "calibration/measurements.h"
#include "calibration/phases.h"
#include "calibration/systems.h"
