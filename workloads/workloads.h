#pragma once
// Public API of moesim's MoE workloads (library target `moesim_workloads`). Depends on sim/ and
// topology/ only; no yaml-cpp in these headers.
//   ModelSpec, load_model_file            — architectures, parameter and KV arithmetic (model.h)
//   GpuSpec, load_gpu_file                — HBM, bandwidth, dense TFLOP/s, power (hardware.h)
//   ExpertLayout, Gate, gate_layer       — EP placement with EPLB replicas, gating, traffic
//                                           (routing.h)
//   ComputeModel                          — roofline kernel times (roofline.h)
//   DecodeConfig, simulate_decode         — the decode step and its metrics (decode.h)
//   FittedKernel, load_kernel_calibration,
//   fit_calibrations                      — kernel costs fitted to measurements (calibration.h)
#include "calibration/calibration.h"
#include "workloads/decode.h"
#include "workloads/gating.h"
#include "workloads/hardware.h"
#include "workloads/model.h"
#include "workloads/roofline.h"
