#pragma once
// Compute calibration: the calibrated forms of workloads/compute.h fitted to measured kernel times
// (configs/validation/compute/*.yaml) per GPU generation (configs/validation/gpu-generations.yaml),
// written to configs/validation/compute-calibration.yaml; and the choice of a fitted set for any
// GPU (its generation, or the closest one by specs).
//
// Points: one per measured time. Their features come from moesim's own ComputeModel (the model
// file named by the table, e.g. DeepSeek-V3) exactly as the decode step computes them, except for
// the power-law expert table, whose busiest rank is reconstructed by sampling (docs/validation.md).
// Fit: least squares on relative error, Nelder-Mead (calibration/minimize.h); attention and dense
// GEMMs one set over every generation's data, routed experts one set per generation (which
// operations are shared is the generations file's `shared_across_generations`).
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

// The fitted-parameter file (configs/validation/compute-calibration.yaml).
struct ComputeCalibrationFile {
  std::uint64_t inputs_hash = 0;
  ComputeFit fit;
};
ComputeCalibrationFile load_compute_calibration_file(const std::string& path);
void write_compute_calibration_file(const std::string& path, const ComputeCalibrationFile& file,
                                    const std::string& source_note);

}  // namespace moesim::calibration
