#pragma once
// Scenario files: one decode configuration to simulate (docs/scenarios.md is the reference).
// Library target `moesim_scenario`: loading, merging and validating scenarios (this header) and
// running one or many (scenario/run.h).
//
//   source: "..."                        required in every file: where the numbers come from
//   name: EP72 on nine HGX H200 servers  optional label
//   include: [base.yaml]                 optional: files whose keys this one overrides
//   model: ../models/deepseek-v3.yaml    a catalogue file (relative to this file) or a mapping
//   gpu: ../hardware/h200-sxm.yaml       idem
//   fabric: ../fabrics/hgx-h200x9.yaml   idem
//   decode: {ep_size: 72, batch_per_gpu: 64, context_tokens: 4096, gating: group-limited, ...,
//            calibration: {kernel: deepep-low-latency, system: hopper}}   (or none: ideal fluid)
//            compute: calibrated (fitted per GPU generation) | roofline (compute_efficiency)
//            layer_overhead / sampling / step_gap: costs outside the measured kernels
//   memory: {reserve_fraction: 0.10}     HBM kept free for CUDA graphs, workspaces, fragmentation
//   cost: {usd_per_gpu_hour: 2.0, basis: "assumption: ..."}   optional, for `compare`
//
// Precedence, highest first: command-line overrides (--set / sweep --vary), the file itself, then
// its includes with later entries overriding earlier ones (each include's own includes rank just
// below it). `model`, `gpu` and `fabric` are taken whole from the highest layer that names them;
// `decode`, `memory` and `cost` merge key by key; so do the keys of decode.calibration, down to the
// highest layer that says `calibration: none`. Every value is read through input::Mapping
// from the file that supplied it, so an error names that file, the line and the key.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "topology/fabric.h"
#include "workloads/decode_config.h"
#include "workloads/hardware.h"
#include "workloads/model.h"

namespace moesim::scenario {

// One command-line override "section.key=value", e.g. "decode.batch_per_gpu=32" or
// "fabric=configs/fabrics/x.yaml". A bare decode key ("batch_per_gpu=32") means decode.<key>.
struct ScenarioOverride {
  std::string key;
  std::string value;
};
// A malformed override or one naming an unknown key (the CLI reports it as a usage error).
class OverrideError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
ScenarioOverride parse_override(const std::string& text);  // throws OverrideError

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
  std::vector<std::string> measured_systems;  // the systems the set was fitted on
};

// The fitted compute costs a scenario applies (decode.compute: calibrated); absent = roofline.
struct ComputeSelection {
  std::string generation;  // e.g. "hopper"
  std::string file;        // the fitted-parameter file
  std::string notice;      // "using hopper measurements for H800 SXM", or empty
};

struct Scenario {
  std::string file;
  std::string name;
  std::string source;
  std::string model_origin, gpu_origin, fabric_origin;  // file paths, or "inline in FILE"
  workloads::ModelSpec model;
  workloads::GpuSpec gpu;
  std::shared_ptr<const topology::Fabric> fabric;
  // decode.calibration holds the applied kernel costs; decode.memory_reserve_fraction is
  // memory.reserve_fraction.
  workloads::DecodeConfig decode;
  std::optional<CalibrationChoice> calibration;
  std::optional<ComputeSelection> compute;
  // decode.dispatch_prepare, already included in decode.calibration.dispatch_phase_overhead.
  sim::Picoseconds dispatch_prepare{};
  std::optional<CostAssumption> cost;
  // "file:line: key 'decode.KEY'" for every DecodeConfig field a layer set (by field name, as
  // workloads::InvalidDecodeConfig::key() names them), so errors found after loading (a changed
  // batch) still point at the line.
  std::map<std::string, std::string, std::less<>> key_locations;
  // Every file the scenario was read from (the file, its includes, the model, GPU, fabric and
  // calibration files): what a command must never write over.
  std::vector<std::string> input_files;
};

// Loads, merges and validates a scenario (workloads::validate_decode_config, including the memory
// fit); throws input::InputError (file:line: key 'k': message) for unknown keys, bad values or
// units, and impossible layouts.
Scenario load_scenario(const std::string& file, std::span<const ScenarioOverride> overrides = {});
// load_scenario without the final validate_decode_config: every file, key, value and unit is
// still checked, but a layout that is impossible (or does not fit in memory) is returned rather
// than refused, for callers that classify configurations (`moesim search`). simulate() revalidates.
Scenario read_scenario(const std::string& file, std::span<const ScenarioOverride> overrides = {});

// The files load_scenario would read for `file`: the file, its includes and the model, GPU, fabric
// and calibration files they name, as far as they can be found (no value is validated). For
// checking output paths before a command that loads scenarios lazily (sweep) writes anything.
std::vector<std::string> scenario_input_files(const std::string& file,
                                              std::span<const ScenarioOverride> overrides = {});

// Validates the scenario's decode configuration again (after a caller changed it) and turns an
// InvalidDecodeConfig into an input::InputError at the key's location.
void revalidate(const Scenario& scenario);

std::string_view to_string(workloads::GatingKind kind);
std::string_view to_string(workloads::DispatchMode mode);
std::string_view to_string(workloads::NetworkKind kind);
// "none" for the ideal fluid, else "KERNEL@SYSTEM" (the CSV/JSON value).
std::string calibration_label(const std::optional<CalibrationChoice>& calibration);

}  // namespace moesim::scenario
