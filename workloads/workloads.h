#pragma once
// Public API of moesim's MoE workloads (library target `moesim_workloads`). Depends on sim/,
// input/, topology/ and network/; no yaml-cpp in these headers.
//   ModelSpec, load_model_file            — architectures, parameter and KV arithmetic (model.h)
//   GpuSpec, load_gpu_file                — HBM, bandwidth, dense TFLOP/s, power (hardware.h)
//   ExpertLayout, Gate, gate_layer        — EP placement with EPLB replicas, gating, traffic
//                                           (gating.h)
//   ComputeModel, ComputeCosts            — kernel times on one GPU: the roofline or the forms
//                                           fitted to measurements (compute.h)
//   GpuMemory, gpu_memory,
//   largest_batch_per_gpu, max_parameters — the memory rule (memory.h)
//   DecodeConfig, KernelCalibration,
//   validate_decode_config                — what a decode step is, what is possible
//                                           (decode_config.h)
//   DecodeMetrics                         — what a run reports (decode_metrics.h)
//   simulate_decode                       — the decode step (decode.h; its pieces: decode/)
#include "workloads/compute.h"
#include "workloads/decode.h"
#include "workloads/decode_config.h"
#include "workloads/decode_metrics.h"
#include "workloads/gating.h"
#include "workloads/hardware.h"
#include "workloads/memory.h"
#include "workloads/model.h"
