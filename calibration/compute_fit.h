#pragma once
// Compute calibration: the calibrated forms of workloads/compute.h fitted to the measured points of
// calibration/compute_data.h per GPU generation; and the choice of a fitted set for any GPU (its
// generation, or the closest one by specs). Fit: least squares on relative error, Nelder-Mead
// (calibration/minimize.h); attention and dense GEMMs one set over every generation's data, routed
// experts one set per generation (which operations are shared is the generations file's
// `shared_across_generations`).
#include <map>
#include <string>
#include <vector>

#include "calibration/compute_data.h"
#include "workloads/compute.h"
#include "workloads/hardware.h"

namespace moesim::calibration {
// One generation's fitted set with what a GPU needs to find it.
struct ComputeGeneration {
  workloads::ComputeCosts costs;  // costs.generation = the name
  struct Member {
    std::string name;  // GpuSpec::name
    double hbm_bandwidth_bytes_per_second = 0;
    double bf16_flops_per_second = 0;
  };
  std::vector<Member> gpus;
};

struct ComputeFit {
  std::vector<ComputeGeneration> generations;
};

// Fits every operation (shared or per generation) on all points, or only on the points whose GPU
// is not `leave_out` (a GPU key).
ComputeFit fit_compute(const ComputeData& data, const std::string& leave_out = {});

// Predicted seconds for a point with a generation's costs.
double predict_seconds(const ComputePoint& point, const ComputeData& data,
                       const workloads::ComputeCosts& costs);

// The set for `gpu`: its generation's if listed there (by GpuSpec::name), else the closest
// generation's; `notice` is set to "using <generation> measurements for <gpu>" in that case.
struct ComputeChoice {
  workloads::ComputeCosts costs;
  std::string notice;  // empty when the GPU is a listed member
};
ComputeChoice choose_compute_costs(const ComputeFit& fit, const workloads::GpuSpec& gpu);
const ComputeGeneration& find_generation(const ComputeFit& fit,
                                         const std::string& name);  // throws std::out_of_range

}  // namespace moesim::calibration
