#pragma once
// Per-GPU hardware figures for the compute roofline and the memory planner
// (configs/hardware/*.yaml, every number cited there).
#include <string>

namespace moesim::input {
class Mapping;
}

namespace moesim::workloads {

struct GpuSpec {
  std::string name;    // "H200 SXM"
  std::string source;  // the file's top-level citation
  double hbm_bytes = 0;
  double hbm_bandwidth_bytes_per_second = 0;
  // Dense (not sparse) peak rates; 0 = the precision is not supported in hardware.
  double bf16_flops_per_second = 0;
  double fp8_flops_per_second = 0;
  double fp4_flops_per_second = 0;
  double power_watts = 0;  // 0 = not published

  // The peak for weights stored with `bytes_per_parameter` (0.5 = FP4, 1 = FP8, 2 = BF16): the
  // narrowest supported precision at least that wide (FP4 weights on a GPU without FP4 run at
  // FP8; FP8 weights on a GPU without FP8, such as Ascend 910C, run at BF16).
  double peak_flops_for_weight_bytes(double bytes_per_parameter) const;
};

GpuSpec load_gpu_file(const std::string& path);  // throws input::InputError
GpuSpec load_gpu(const input::Mapping& mapping);

}  // namespace moesim::workloads
