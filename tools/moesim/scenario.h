#pragma once
// Scenario files: one decode configuration to simulate (docs/scenarios.md is the reference).
//
//   source: "..."                        required in every file: where the numbers come from
//   name: EP72 on nine HGX H200 servers  optional label
//   include: [base.yaml]                 optional: files whose keys this one overrides
//   model: ../models/deepseek-v3.yaml    a catalogue file (relative to this file) or a mapping
//   gpu: ../hardware/h200-sxm.yaml       idem
//   fabric: ../fabrics/hgx-h200x9.yaml   idem
//   decode: {ep_size: 72, batch_per_gpu: 64, context_tokens: 4096, routing: group-limited, ...,
//            calibration: {kernel: deepep-low-latency, system: h800-ib}}   (or none: ideal fluid)
//   memory: {reserve_fraction: 0.10}     HBM kept free for activations, CUDA graphs, fragmentation
//   cost: {usd_per_gpu_hour: 2.0, basis: "assumption: ..."}   optional, for `compare`
//
// Precedence, highest first: command-line overrides (--set / sweep --vary), the file itself, then
// its includes with later entries overriding earlier ones (each include's own includes rank just
// below it). `model`, `gpu` and `fabric` are taken whole from the highest layer that names them;
// `decode`, `memory` and `cost` merge key by key; so do the keys of decode.calibration, down to the
// highest layer that says `calibration: none`. Every value is read through config::ConfigMap
// from the file that supplied it, so an error names that file, the line and the key.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "topology/fabric.h"
#include "workloads/decode.h"
#include "workloads/hardware.h"
#include "workloads/model.h"

namespace moesim::cli {

// One command-line override "section.key=value", e.g. "decode.batch_per_gpu=32" or
// "fabric=configs/fabrics/x.yaml". A bare decode key ("batch_per_gpu=32") means decode.<key>.
struct ScenarioOverride {
  std::string key;
  std::string value;
};
ScenarioOverride parse_override(const std::string& text);  // throws UsageError

struct CostAssumption {
  double usd_per_gpu_hour = 0;
  std::string basis;  // what the price is based on (always an assumption; printed with the result)
};

// Which fitted kernel calibration a scenario applies (decode.calibration); absent = the ideal
// fluid.
struct CalibrationChoice {
  std::string kernel;  // e.g. "deepep-low-latency"
  std::string system;  // the measured system it was fitted on, e.g. "h800-ib"
  std::string file;    // the fitted-parameter file it was read from
};

struct Scenario {
  std::string file;
  std::string name;
  std::string source;
  std::string model_origin, gpu_origin, fabric_origin;  // file paths, or "inline in FILE"
  workloads::ModelSpec model;
  workloads::GpuSpec gpu;
  std::shared_ptr<const topology::Fabric> fabric;
  workloads::DecodeConfig decode;  // decode.calibration holds the applied kernel costs
  std::optional<CalibrationChoice> calibration;
  double memory_reserve_fraction = 0;
  std::optional<CostAssumption> cost;
  // "file:line" of decode.ep_size and decode.batch_per_gpu, for errors found after loading.
  std::string ep_size_location, batch_location;
};

// Loads, merges and validates a scenario; throws config::ConfigError (file:line: key 'k': message)
// for unknown keys, bad values or units, and impossible layouts: EP size above the fabric's GPU
// count, more GPUs than expert slots, and a model whose weights plus KV cache do not fit in one
// GPU's memory.
Scenario load_scenario(const std::string& file, std::span<const ScenarioOverride> overrides = {});

// Memory of one GPU for a decode layout (weights by the EP layout, KV cache by batch x context).
struct MemoryPerGpu {
  double weight_bytes = 0;
  double kv_cache_bytes = 0;
  double capacity_bytes = 0;  // HBM
  double reserved_bytes = 0;  // reserve_fraction x HBM
  double free_bytes() const {
    return capacity_bytes - reserved_bytes - weight_bytes - kv_cache_bytes;
  }
};
// Weights: trunk (replicated) + slots_per_gpu routed experts per MoE layer, slots_per_gpu = ceil(E
// / N) + redundant (the ExpertLayout rule). KV: batch x (context x kv bytes per token + per-request
// state).
MemoryPerGpu memory_per_gpu(const workloads::ModelSpec& model, const workloads::GpuSpec& gpu,
                            const workloads::DecodeConfig& decode, double reserve_fraction);
// The largest batch per GPU whose KV cache fits next to the weights at `context_tokens` (0 if
// none).
std::uint32_t largest_batch_per_gpu(const workloads::ModelSpec& model,
                                    const workloads::GpuSpec& gpu, workloads::DecodeConfig decode,
                                    double reserve_fraction);

std::string_view to_string(workloads::RoutingKind kind);
std::string_view to_string(workloads::DispatchMode mode);
std::string_view to_string(workloads::NetworkKind kind);
// "none" for the ideal fluid, else "KERNEL@SYSTEM" (the CSV/JSON value).
std::string calibration_label(const std::optional<CalibrationChoice>& calibration);

}  // namespace moesim::cli
