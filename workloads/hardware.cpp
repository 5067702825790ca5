#include "workloads/hardware.h"

#include <string_view>

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
  // Physical ranges, far beyond any GPU's, that keep kernel times and memory sums in range.
  auto in_range = [&](std::string_view key, double value, double low, double high,
                      const char* range) {
    if (!(value >= low && value <= high))
      map.fail(key, "'" + map.string(key) + "' is out of range: must be " + range);
  };
  in_range("hbm_capacity", gpu.hbm_bytes, 1e6, 1e15, "from 1 MB to 1 PB");
  in_range("hbm_bandwidth", gpu.hbm_bandwidth_bytes_per_second, 1e6, 1e15, "from 1 MB/s to 1 PB/s");
  in_range("bf16_dense", gpu.bf16_flops_per_second, 1e6, 1e21, "from 1 MFLOP/s to 1e21 FLOP/s");
  if (map.has("fp8_dense"))
    in_range("fp8_dense", gpu.fp8_flops_per_second, 0, 1e21, "0 (none) to 1e21 FLOP/s");
  if (map.has("fp4_dense"))
    in_range("fp4_dense", gpu.fp4_flops_per_second, 0, 1e21, "0 (none) to 1e21 FLOP/s");
  if (map.has("power")) in_range("power", gpu.power_watts, 0, 1e6, "from 0 to 1 MW");
  return gpu;
}

GpuSpec load_gpu_file(const std::string& path) {
  return load_gpu(input::Mapping::load_file(path));
}

}  // namespace moesim::workloads
