#include "workloads/hardware.h"

#include "input/mapping.h"

namespace moesim::workloads {

double GpuSpec::peak_flops_for_weight_bytes(double bytes_per_parameter) const {
  if (bytes_per_parameter <= 0.5 && fp4_flops_per_second > 0) return fp4_flops_per_second;
  if (bytes_per_parameter <= 1.0 && fp8_flops_per_second > 0) return fp8_flops_per_second;
  return bf16_flops_per_second;
}

GpuSpec load_gpu(const input::Mapping& map) {
  map.expect_only({"name", "source", "notes", "hbm_capacity", "hbm_bandwidth", "bf16_dense",
                   "fp8_dense", "fp4_dense", "power"});
  GpuSpec gpu;
  gpu.name = map.string("name");
  gpu.source = map.string("source");
  gpu.hbm_bytes = map.quantity("hbm_capacity", sim::Quantity::Bytes);
  gpu.hbm_bandwidth_bytes_per_second = map.quantity("hbm_bandwidth", sim::Quantity::BytesPerSecond);
  gpu.bf16_flops_per_second = map.quantity("bf16_dense", sim::Quantity::FlopsPerSecond);
  gpu.fp8_flops_per_second = map.quantity_or("fp8_dense", sim::Quantity::FlopsPerSecond, 0);
  gpu.fp4_flops_per_second = map.quantity_or("fp4_dense", sim::Quantity::FlopsPerSecond, 0);
  gpu.power_watts = map.quantity_or("power", sim::Quantity::Watts, 0);
  if (!(gpu.hbm_bytes > 0)) map.fail("hbm_capacity", "must be > 0");
  if (!(gpu.hbm_bandwidth_bytes_per_second > 0)) map.fail("hbm_bandwidth", "must be > 0");
  if (!(gpu.bf16_flops_per_second > 0)) map.fail("bf16_dense", "must be > 0");
  if (gpu.fp8_flops_per_second < 0) map.fail("fp8_dense", "must be >= 0");
  if (gpu.fp4_flops_per_second < 0) map.fail("fp4_dense", "must be >= 0");
  return gpu;
}

GpuSpec load_gpu_file(const std::string& path) {
  return load_gpu(input::Mapping::load_file(path));
}

}  // namespace moesim::workloads
