#pragma once
// Measured compute points (configs/validation/compute/*.yaml, per GPU generation as listed in
// configs/validation/gpu-generations.yaml): one point per measured kernel time, with the features
// the calibrated forms of workloads/compute.h need, computed by moesim's own ComputeModel (the
// model file named by the table, e.g. DeepSeek-V3) exactly as the decode step computes them,
// except for the power-law expert table, whose busiest rank is reconstructed by sampling
// (docs/validation.md).
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "workloads/compute.h"
#include "workloads/hardware.h"

namespace moesim::calibration {

// DeepGEMM's masked grouped GEMM works in M tiles of 64 rows: a slot's tokens are padded to whole
// tiles (docs/validation.md "Compute": padding lowers the power-law table's error).
inline constexpr std::uint32_t kExpertTileRows = 64;

enum class ComputeOperation : std::uint8_t { AttentionModule, RoutedExperts, DenseGemm };
inline constexpr std::size_t kComputeOperationCount = 3;
std::string_view to_string(ComputeOperation operation);  // "attention-module", ...

struct ComputeGpu {
  std::string key;         // "H100": the label of the measurement tables
  std::string generation;  // "hopper"
  workloads::GpuSpec spec;
  bool measured = false;  // has points
};

struct ComputePoint {
  std::string data_id;
  std::string label;  // e.g. "batch 64, KV 4096, bf16 KV"
  ComputeOperation operation = ComputeOperation::AttentionModule;
  std::size_t gpu = 0;         // index into ComputeData::gpus
  workloads::KernelWork work;  // attention / routed-expert features
  workloads::GemmShape gemm;   // dense GEMM
  double projection_peak = 0;  // attention: the weights' peak on this GPU
  double expert_peak = 0;      // routed experts: the experts' peak on this GPU
  double measured_seconds = 0;
};

struct ComputeData {
  std::vector<ComputeGpu> gpus;
  std::map<std::string, bool> fp8_kv_attention_at_fp8_peak;  // per generation
  std::vector<std::string> generations;                      // in file order
  std::array<bool, kComputeOperationCount> shared{};         // one set across generations
  std::vector<ComputePoint> points;
  std::vector<std::string> input_files;  // every file read (for the inputs hash)
};

// Reads the generations file and every compute table (throws input::InputError).
ComputeData load_compute_data(const std::string& generations_file,
                              std::span<const std::string> table_files);
// <configs_dir>/validation/compute/*.yaml, sorted.
std::vector<std::string> default_compute_files(const std::string& configs_dir);

}  // namespace moesim::calibration
