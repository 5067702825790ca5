#include "scenario/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "calibration/calibration.h"
#include "input/mapping.h"
#include "topology/builders.h"

namespace moesim::scenario {

namespace {

namespace fs = std::filesystem;
using input::Mapping;

constexpr std::string_view kCommandLine = "command line";

// The keys of each section (also what --set / --vary may name).
const std::initializer_list<std::string_view> kDecodeKeys{"ep_size",
                                                          "batch_per_gpu",
                                                          "context_tokens",
                                                          "gating",
                                                          "routing",
                                                          "zipf_exponent",
                                                          "max_groups_per_token",
                                                          "dispatch_mode",
                                                          "dispatch_bytes_per_element",
                                                          "dispatch_scale_factors",
                                                          "combine_bytes_per_element",
                                                          "redundant_slots_per_gpu",
                                                          "two_micro_batch_overlap",
                                                          "mtp_draft_tokens",
                                                          "mtp_acceptance",
                                                          "compute_efficiency",
                                                          "compute",
                                                          "compute_generation",
                                                          "layer_overhead",
                                                          "sampling",
                                                          "step_gap",
                                                          "dispatch_prepare",
                                                          "network",
                                                          "fast_epoch_fraction",
                                                          "steps",
                                                          "sampled_moe_layers",
                                                          "seed",
                                                          "calibration"};
// decode.calibration's keys; on the command line: calibration.KEY (or decode.calibration.KEY).
const std::initializer_list<std::string_view> kCalibrationKeys{"kernel", "system", "file"};
// The fitted-parameter file used when decode.calibration names no `file`.
constexpr std::string_view kDefaultCalibrationFile = "validation/kernel-calibration.yaml";
// The fitted compute costs used by `decode.compute: calibrated`.
constexpr std::string_view kDefaultComputeCalibrationFile = "validation/compute-calibration.yaml";
const std::initializer_list<std::string_view> kMemoryKeys{"reserve_fraction", "basis"};
const std::initializer_list<std::string_view> kCostKeys{"usd_per_gpu_hour", "basis"};
const std::initializer_list<std::string_view> kOverridableTopLevel{"name", "model", "gpu",
                                                                   "fabric"};
constexpr int kMaxIncludeDepth = 16;

// Layers in increasing precedence: includes (recursively, each below its includer), the file,
// overrides.
using Layers = std::vector<Mapping>;

void collect_layers(const std::string& file, Layers& layers, std::vector<std::string>& chain) {
  const Mapping map = Mapping::load_file(file);
  map.expect_only(
      {"source", "notes", "name", "include", "model", "gpu", "fabric", "decode", "memory", "cost"});
  map.string("source");  // required in every file
  if (map.has("include")) {
    std::vector<std::string> includes;
    if (map.is_scalar("include"))
      includes.push_back(map.string("include"));
    else
      includes = map.strings("include");
    for (const std::string& written : includes) {
      const std::string included = input::resolve_relative(file, written);
      std::error_code error;
      if (!fs::is_regular_file(included, error))
        map.fail("include", fmt::format("cannot open '{}'", included));
      const std::string canonical = fs::weakly_canonical(included).string();
      if (std::find(chain.begin(), chain.end(), canonical) != chain.end())
        map.fail("include", fmt::format("'{}' includes itself (directly or indirectly)", written));
      if (chain.size() >= kMaxIncludeDepth) map.fail("include", "includes nested too deeply");
      chain.push_back(canonical);
      collect_layers(included, layers, chain);
      chain.pop_back();
    }
  }
  layers.push_back(map);
}

Mapping override_layer(std::span<const ScenarioOverride> overrides) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (const ScenarioOverride& override : overrides)
    entries.emplace_back(override.key, override.value);
  Mapping map = Mapping::from_entries(entries, std::string(kCommandLine));
  map.expect_only({"name", "model", "gpu", "fabric", "decode", "memory", "cost"});
  return map;
}

// The layer that supplies a whole top-level key (highest precedence first), or nullptr.
const Mapping* top_level(const Layers& layers, std::string_view key) {
  for (auto layer = layers.rbegin(); layer != layers.rend(); ++layer)
    if (layer->has(key)) return &*layer;
  return nullptr;
}

// One section (decode, memory, cost) merged key by key: lookups return the highest layer that sets
// the key.
class Section {
 public:
  Section(const Layers& layers, std::string_view name,
          std::initializer_list<std::string_view> allowed) {
    for (const Mapping& layer : layers) {
      if (!layer.has(name)) continue;
      maps_.push_back(layer.map(name));
      maps_.back().expect_only(allowed);
    }
  }
  bool present() const { return !maps_.empty(); }
  const Mapping* find(std::string_view key) const {
    for (auto map = maps_.rbegin(); map != maps_.rend(); ++map)
      if (map->has(key)) return &*map;
    return nullptr;
  }
  // Every layer's map that sets `key`, highest precedence first.
  std::vector<const Mapping*> all_with(std::string_view key) const {
    std::vector<const Mapping*> found;
    for (auto map = maps_.rbegin(); map != maps_.rend(); ++map)
      if (map->has(key)) found.push_back(&*map);
    return found;
  }
  // The map to read `key` from; if no layer sets it, the highest one (so "missing required key"
  // points there).
  const Mapping& at(std::string_view key) const {
    const Mapping* found = find(key);
    return found ? *found : maps_.back();
  }

 private:
  std::vector<Mapping> maps_;
};

std::string base_file(const Mapping& layer) {
  return layer.file() == kCommandLine ? "" : layer.file();
}

// A catalogue reference: a file path (relative to the file that names it) or an inline mapping.
template <typename Load, typename LoadFile>
auto load_reference(const Layers& layers, std::string_view key, std::string& origin, Load load,
                    LoadFile load_file) {
  const Mapping* layer = top_level(layers, key);
  if (!layer) layers.back().fail(key, "missing required key (a file path or an inline mapping)");
  if (layer->is_mapping(key)) {
    origin = fmt::format("inline in {}", layer->file());
    return load(layer->map(key));
  }
  const std::string path = input::resolve_relative(base_file(*layer), layer->string(key));
  std::error_code error;
  if (!fs::is_regular_file(path, error)) layer->fail(key, fmt::format("cannot open '{}'", path));
  origin = path;
  return load_file(path);
}

// The DecodeConfig fields a layer may set, by the name InvalidDecodeConfig::key() uses.
void note_location(Scenario& scenario, const Section& section, std::string_view key,
                   std::string_view field) {
  if (const Mapping* map = section.find(key))
    scenario.key_locations[std::string(field)] =
        fmt::format("{}: key '{}'", map->location(key),
                    map->path().empty() ? std::string(key) : map->path() + "." + std::string(key));
}

std::uint32_t unsigned_integer(const Mapping& map, std::string_view key) {
  const std::int64_t value = map.integer(key);
  if (value < 0 || value > std::numeric_limits<std::uint32_t>::max())
    map.fail(key, fmt::format("must be an integer from 0 to {}",
                              std::numeric_limits<std::uint32_t>::max()));
  return static_cast<std::uint32_t>(value);
}

template <typename Enum>
Enum choice(const Mapping& map, std::string_view key,
            std::initializer_list<std::pair<std::string_view, Enum>> choices) {
  const std::string text = map.string(key);
  std::string names;
  for (const auto& [name, value] : choices) {
    if (text == name) return value;
    names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
  }
  map.fail(key, fmt::format("unknown value '{}' (expected one of: {})", text, names));
}

// Reads the decode section's values (types, units, choices); what values are possible is
// workloads::validate_decode_config's to say, once, after loading.
workloads::DecodeConfig load_decode(const Section& decode, Scenario& scenario) {
  using workloads::DispatchMode;
  using workloads::GatingKind;
  using workloads::NetworkKind;
  workloads::DecodeConfig config;
  for (std::string_view required : {"ep_size", "batch_per_gpu", "context_tokens"})
    if (!decode.find(required)) decode.at(required).fail(required, "missing required key");
  auto read = [&](std::string_view key, auto apply) {
    if (const Mapping* map = decode.find(key)) apply(*map);
  };
  read("ep_size", [&](const Mapping& m) { config.ep_size = unsigned_integer(m, "ep_size"); });
  read("batch_per_gpu",
       [&](const Mapping& m) { config.batch_per_gpu = unsigned_integer(m, "batch_per_gpu"); });
  read("context_tokens",
       [&](const Mapping& m) { config.context_tokens = unsigned_integer(m, "context_tokens"); });
  const std::initializer_list<std::pair<std::string_view, GatingKind>> gatings{
      {"uniform", GatingKind::Uniform},
      {"zipf", GatingKind::Zipf},
      {"group-limited", GatingKind::GroupLimited}};
  // `routing` is the older name of `gating`; `gating` wins where both are set.
  for (std::string_view key : {"routing", "gating"})
    read(key, [&](const Mapping& m) { config.gating = choice(m, key, gatings); });
  read("zipf_exponent",
       [&](const Mapping& m) { config.zipf_exponent = m.number("zipf_exponent"); });
  read("max_groups_per_token", [&](const Mapping& m) {
    config.max_groups_per_token = unsigned_integer(m, "max_groups_per_token");
  });
  read("dispatch_mode", [&](const Mapping& m) {
    config.dispatch_mode = choice<DispatchMode>(
        m, "dispatch_mode",
        {{"direct", DispatchMode::Direct}, {"node-dedup", DispatchMode::NodeDedup}});
  });
  read("dispatch_bytes_per_element", [&](const Mapping& m) {
    config.dispatch_bytes_per_element = m.number("dispatch_bytes_per_element");
  });
  read("dispatch_scale_factors", [&](const Mapping& m) {
    config.dispatch_scale_factors = m.boolean("dispatch_scale_factors");
  });
  read("combine_bytes_per_element", [&](const Mapping& m) {
    config.combine_bytes_per_element = m.number("combine_bytes_per_element");
  });
  read("redundant_slots_per_gpu", [&](const Mapping& m) {
    config.redundant_slots_per_gpu = unsigned_integer(m, "redundant_slots_per_gpu");
  });
  read("two_micro_batch_overlap", [&](const Mapping& m) {
    config.two_micro_batch_overlap = m.boolean("two_micro_batch_overlap");
  });
  read("mtp_draft_tokens", [&](const Mapping& m) {
    config.mtp_draft_tokens = unsigned_integer(m, "mtp_draft_tokens");
  });
  read("mtp_acceptance",
       [&](const Mapping& m) { config.mtp_acceptance = m.number("mtp_acceptance"); });
  read("compute_efficiency",
       [&](const Mapping& m) { config.compute_efficiency = m.number("compute_efficiency"); });
  read("compute", [&](const Mapping& m) {
    config.compute =
        choice<workloads::ComputeKind>(m, "compute",
                                       {{"roofline", workloads::ComputeKind::Roofline},
                                        {"calibrated", workloads::ComputeKind::Calibrated}});
  });
  read("layer_overhead",
       [&](const Mapping& m) { config.step_costs.per_layer = m.duration("layer_overhead"); });
  read("sampling", [&](const Mapping& m) { config.step_costs.sampling = m.duration("sampling"); });
  read("step_gap",
       [&](const Mapping& m) { config.step_costs.between_steps = m.duration("step_gap"); });
  read("network", [&](const Mapping& m) {
    config.network = choice<NetworkKind>(m, "network",
                                         {{"flow", NetworkKind::Flow},
                                          {"analytic", NetworkKind::Analytic},
                                          {"fast", NetworkKind::Fast}});
  });
  read("fast_epoch_fraction", [&](const Mapping& m) {
    if (m.is_scalar("fast_epoch_fraction") && m.string("fast_epoch_fraction") == "auto")
      config.fast_epoch_fraction.reset();
    else
      config.fast_epoch_fraction = m.number("fast_epoch_fraction");
  });
  read("steps", [&](const Mapping& m) { config.steps = unsigned_integer(m, "steps"); });
  read("sampled_moe_layers", [&](const Mapping& m) {
    config.sampled_moe_layers = unsigned_integer(m, "sampled_moe_layers");
  });
  read("seed", [&](const Mapping& m) {
    const std::int64_t seed = m.integer("seed");
    if (seed < 0) m.fail("seed", "must be >= 0");
    config.seed = static_cast<std::uint64_t>(seed);
  });
  note_location(scenario, decode, "routing", "gating");
  for (std::string_view key : kDecodeKeys)
    if (key != "routing") note_location(scenario, decode, key, key);
  return config;
}

// The default fitted-parameter file for a calibration written in `written_in`: the first
// <dir>/validation/kernel-calibration.yaml or <dir>/configs/validation/kernel-calibration.yaml
// walking up from that file's directory (the command line: the current directory), then
// $MOESIM_CONFIGS and the source tree moesim was built from. Empty if none exists.
std::string default_calibration_file(const std::string& written_in,
                                     std::string_view name = kDefaultCalibrationFile) {
  std::error_code error;
  std::vector<fs::path> candidates;
  fs::path directory =
      fs::absolute(written_in.empty() ? fs::path(".") : fs::path(written_in).parent_path(), error);
  for (; !directory.empty(); directory = directory.parent_path()) {
    candidates.push_back(directory / name);
    candidates.push_back(directory / "configs" / name);
    if (directory == directory.root_path()) break;
  }
  if (const char* configured = std::getenv("MOESIM_CONFIGS"))
    candidates.push_back(fs::path(configured) / name);
#ifdef MOESIM_SOURCE_DIR
  candidates.push_back(fs::path(MOESIM_SOURCE_DIR) / "configs" / name);
#endif
  for (const fs::path& candidate : candidates) {
    if (!fs::is_regular_file(candidate, error)) continue;
    // Relative to the current directory when below it (shorter in reports), else absolute.
    const fs::path relative = candidate.lexically_normal().lexically_proximate(fs::current_path());
    const bool below = !relative.empty() && *relative.begin() != "..";
    return (below ? relative : candidate.lexically_normal()).string();
  }
  return {};
}

// decode.calibration: `none` (or absent) = the ideal fluid; a mapping {kernel, system, file}
// merged key by key over the layers above the highest `none`. Sets scenario.calibration and
// scenario.decode.calibration.
void load_calibration(const Section& decode, Scenario& scenario) {
  std::vector<Mapping> parts;  // the calibration mappings, highest precedence first
  for (const Mapping* layer : decode.all_with("calibration")) {
    if (layer->is_mapping("calibration")) {
      parts.push_back(layer->map("calibration"));
      parts.back().expect_only(kCalibrationKeys);
      continue;
    }
    if (!layer->is_scalar("calibration") || layer->string("calibration") != "none")
      layer->fail("calibration",
                  "expected 'none' (ideal fluid) or a mapping {kernel: K, system: S[, file: F]}");
    break;  // `none`: lower layers do not apply
  }
  if (parts.empty()) return;
  auto supplier = [&](std::string_view key) -> const Mapping* {
    for (const Mapping& part : parts)
      if (part.has(key)) return &part;
    return nullptr;
  };
  const Mapping* kernel_map = supplier("kernel");
  if (!kernel_map) parts.front().fail("kernel", "missing required key");
  const Mapping* system_map = supplier("system");
  if (!system_map) parts.front().fail("system", "missing required key");
  CalibrationChoice choice{kernel_map->string("kernel"), system_map->string("system"), {}, {}};
  std::error_code error;
  if (const Mapping* file_map = supplier("file")) {
    choice.file = input::resolve_relative(base_file(*file_map), file_map->string("file"));
    if (!fs::is_regular_file(choice.file, error))
      file_map->fail("file", fmt::format("cannot open '{}'", choice.file));
  } else {
    choice.file = default_calibration_file(base_file(*kernel_map));
    if (choice.file.empty())
      kernel_map->fail("kernel", fmt::format("cannot find {} (looked above {}, in "
                                             "$MOESIM_CONFIGS and the source tree); name it with "
                                             "calibration.file",
                                             kDefaultCalibrationFile, kernel_map->file()));
  }
  const calibration::CalibrationFile fitted = calibration::load_calibration_file(choice.file);
  std::string available;
  bool kernel_known = false;
  for (const calibration::FittedKernel& set : fitted.calibrations) {
    kernel_known = kernel_known || set.kernel == choice.kernel;
    available += fmt::format("{}{} on {}", available.empty() ? "" : ", ", set.kernel, set.system);
  }
  const calibration::FittedKernel* found = nullptr;
  try {
    found = &calibration::find_calibration(fitted.calibrations, choice.kernel, choice.system);
  } catch (const std::out_of_range&) {
    const Mapping& at = kernel_known ? *system_map : *kernel_map;
    at.fail(
        kernel_known ? "system" : "kernel",
        fmt::format("no fitted calibration for kernel '{}' on system '{}' in {} (available: {})",
                    choice.kernel, choice.system, choice.file, available));
  }
  // A set fitted on one even all-to-all (NCCL) has no dispatch/combine costs the decode step
  // could apply; using it would silently drop its fixed cost.
  using calibration::CommPhase;
  if (!found->phase_fitted[static_cast<std::size_t>(CommPhase::Dispatch)] ||
      !found->phase_fitted[static_cast<std::size_t>(CommPhase::Combine)])
    kernel_map->fail("kernel",
                     fmt::format("'{}' on '{}' was not fitted as dispatch and combine "
                                 "phases (only {}), so the decode step cannot apply it",
                                 choice.kernel, choice.system,
                                 found->phase_fitted[static_cast<std::size_t>(CommPhase::AllToAll)]
                                     ? "an even all-to-all"
                                     : "no phase"));
  scenario.decode.calibration = calibration::to_decode_calibration(*found, scenario.decode.ep_size);
  choice.measured_systems = found->measured_systems;
  scenario.calibration = std::move(choice);
}

// decode.compute: calibrated: the fitted compute costs of the GPU's generation (or of
// decode.compute_generation), from <configs>/validation/compute-calibration.yaml. A GPU that is not
// a member of the generation used gets a notice.
void load_compute(const Section& decode, Scenario& scenario) {
  const Mapping* generation_map = decode.find("compute_generation");
  if (scenario.decode.compute != workloads::ComputeKind::Calibrated) {
    if (generation_map)
      generation_map->fail("compute_generation", "needs decode.compute: calibrated");
    return;
  }
  const Mapping& at = decode.at("compute");
  ComputeSelection selection;
  selection.file = default_calibration_file(base_file(at), kDefaultComputeCalibrationFile);
  if (selection.file.empty())
    at.fail("compute", fmt::format("cannot find {} (looked above {}, in $MOESIM_CONFIGS and the "
                                   "source tree)",
                                   kDefaultComputeCalibrationFile, at.file()));
  const calibration::ComputeCalibrationFile file =
      calibration::load_compute_calibration_file(selection.file);
  if (generation_map) {
    const std::string name = generation_map->string("compute_generation");
    const calibration::ComputeGeneration* found = nullptr;
    std::string available;
    for (const calibration::ComputeGeneration& generation : file.fit.generations) {
      available += (available.empty() ? "" : ", ") + generation.costs.generation;
      if (generation.costs.generation == name) found = &generation;
    }
    if (!found)
      generation_map->fail(
          "compute_generation",
          fmt::format("no generation '{}' in {} (available: {})", name, selection.file, available));
    scenario.decode.compute_costs = found->costs;
    bool member = false;
    for (const auto& gpu : found->gpus) member = member || gpu.name == scenario.gpu.name;
    if (!member)
      selection.notice = fmt::format("using {} measurements for {} (decode.compute_generation)",
                                     name, scenario.gpu.name);
  } else {
    const calibration::ComputeChoice choice =
        calibration::choose_compute_costs(file.fit, scenario.gpu);
    scenario.decode.compute_costs = choice.costs;
    selection.notice = choice.notice;
  }
  selection.generation = scenario.decode.compute_costs.generation;
  scenario.compute = std::move(selection);
}

// The files the layers read or name (see scenario_input_files).
std::vector<std::string> files_of(const Layers& layers) {
  std::vector<std::string> files;
  for (const Mapping& layer : layers) {
    if (layer.file() != kCommandLine) files.push_back(layer.file());
    for (std::string_view key : {"model", "gpu", "fabric"})
      if (layer.is_scalar(key))
        files.push_back(input::resolve_relative(base_file(layer), layer.string(key)));
    if (!layer.is_mapping("decode")) continue;
    const Mapping decode = layer.map("decode");
    if (decode.is_scalar("compute") && decode.string("compute") == "calibrated")
      files.push_back(default_calibration_file(base_file(layer), kDefaultComputeCalibrationFile));
    if (!decode.is_mapping("calibration")) continue;
    const Mapping calibration = decode.map("calibration");
    if (calibration.is_scalar("file"))
      files.push_back(input::resolve_relative(base_file(layer), calibration.string("file")));
    else if (calibration.has("kernel"))
      files.push_back(default_calibration_file(base_file(layer)));
  }
  std::erase(files, std::string());
  return files;
}

std::string where(const Scenario& scenario, const std::string& field) {
  const auto found = scenario.key_locations.find(field);
  if (found != scenario.key_locations.end()) return found->second;
  return fmt::format("{}: key 'decode.{}'", scenario.file, field);
}

}  // namespace

ScenarioOverride parse_override(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0)
    throw OverrideError(fmt::format("expected KEY=VALUE, got '{}'", text));
  std::string key = text.substr(0, equals);
  auto listed = [](const std::initializer_list<std::string_view>& keys, std::string_view name) {
    return std::find(keys.begin(), keys.end(), name) != keys.end();
  };
  if ((key.find('.') == std::string::npos && !listed(kOverridableTopLevel, key)) ||
      key.starts_with("calibration."))
    key = fmt::format("decode.{}", key);
  const auto dot = key.find('.');
  const std::string section = dot == std::string::npos ? key : key.substr(0, dot);
  const std::string name = dot == std::string::npos ? "" : key.substr(dot + 1);
  const bool known = dot == std::string::npos ? listed(kOverridableTopLevel, key)
                     : section == "decode"
                         ? listed(kDecodeKeys, name) || (name.starts_with("calibration.") &&
                                                         listed(kCalibrationKeys, name.substr(12)))
                     : section == "memory" ? listed(kMemoryKeys, name)
                     : section == "cost"   ? listed(kCostKeys, name)
                                           : false;
  if (!known)
    throw OverrideError(fmt::format(
        "unknown scenario key '{}' (a bare key means decode.KEY; see docs/scenarios.md)", key));
  return {key, text.substr(equals + 1)};
}

std::vector<std::string> scenario_input_files(const std::string& file,
                                              std::span<const ScenarioOverride> overrides) {
  Layers layers;
  std::vector<std::string> chain{fs::weakly_canonical(file).string()};
  collect_layers(file, layers, chain);
  if (!overrides.empty()) layers.push_back(override_layer(overrides));
  return files_of(layers);
}

Scenario read_scenario(const std::string& file, std::span<const ScenarioOverride> overrides) {
  Layers layers;
  std::vector<std::string> chain{fs::weakly_canonical(file).string()};
  collect_layers(file, layers, chain);
  if (!overrides.empty()) layers.push_back(override_layer(overrides));

  Scenario scenario;
  scenario.file = file;
  scenario.input_files = files_of(layers);
  scenario.source = top_level(layers, "source")->string("source");
  const Mapping* named = top_level(layers, "name");
  scenario.name = named ? named->string("name") : fs::path(file).stem().string();
  scenario.model = load_reference(layers, "model", scenario.model_origin, workloads::load_model,
                                  workloads::load_model_file);
  scenario.gpu = load_reference(layers, "gpu", scenario.gpu_origin, workloads::load_gpu,
                                workloads::load_gpu_file);
  scenario.fabric = std::make_shared<const topology::Fabric>(load_reference(
      layers, "fabric", scenario.fabric_origin, topology::load_fabric, topology::load_fabric_file));
  // Limits that depend on the fabric as a whole (workloads/decode_work.h) point at its key.
  for (std::string_view key : {"model", "gpu", "fabric"})
    if (const Mapping* layer = top_level(layers, key))
      scenario.key_locations[std::string(key)] =
          fmt::format("{}: key '{}'", layer->location(key), key);

  const Section decode(layers, "decode", kDecodeKeys);
  if (!decode.present()) layers.back().fail("decode", "missing required key");
  scenario.decode = load_decode(decode, scenario);
  load_calibration(decode, scenario);
  load_compute(decode, scenario);
  // A kernel's separate preparation step before each dispatch that its measured phase times do not
  // include (TensorRT-LLM MNNVL's alltoall_prepare): added to the dispatch's fixed cost.
  if (const Mapping* prepare = decode.find("dispatch_prepare")) {
    scenario.dispatch_prepare = prepare->duration("dispatch_prepare");
    if (scenario.dispatch_prepare > topology::kMaxLinkLatency)
      prepare->fail("dispatch_prepare", "must be at most 1 s (a kernel step takes microseconds)");
    scenario.decode.calibration.dispatch_phase_overhead += scenario.dispatch_prepare;
  }
  if (scenario.calibration) scenario.input_files.push_back(scenario.calibration->file);
  if (scenario.compute) scenario.input_files.push_back(scenario.compute->file);

  const Section memory(layers, "memory", kMemoryKeys);
  if (!memory.present())
    layers.back().fail("memory", "missing required key (memory.reserve_fraction)");
  const Mapping& reserve = memory.at("reserve_fraction");
  scenario.decode.memory_reserve_fraction = reserve.number("reserve_fraction");
  note_location(scenario, memory, "reserve_fraction", "memory_reserve_fraction");

  const Section cost(layers, "cost", kCostKeys);
  if (cost.present()) {
    CostAssumption assumption;
    const Mapping& price = cost.at("usd_per_gpu_hour");
    assumption.usd_per_gpu_hour = price.number("usd_per_gpu_hour");
    if (!(assumption.usd_per_gpu_hour > 0)) price.fail("usd_per_gpu_hour", "must be positive");
    assumption.basis = cost.at("basis").string("basis");
    scenario.cost = assumption;
  }
  return scenario;
}

Scenario load_scenario(const std::string& file, std::span<const ScenarioOverride> overrides) {
  Scenario scenario = read_scenario(file, overrides);
  revalidate(scenario);
  return scenario;
}

void revalidate(const Scenario& scenario) {
  try {
    workloads::validate_decode_config(scenario.model, scenario.gpu, *scenario.fabric,
                                      scenario.decode);
  } catch (const workloads::InvalidDecodeConfig& error) {
    throw input::InputError(fmt::format("{}: {}", where(scenario, error.key()), error.what()));
  }
}

std::string_view to_string(workloads::GatingKind kind) {
  switch (kind) {
    case workloads::GatingKind::Uniform:
      return "uniform";
    case workloads::GatingKind::Zipf:
      return "zipf";
    case workloads::GatingKind::GroupLimited:
      return "group-limited";
  }
  return "?";
}

std::string_view to_string(workloads::DispatchMode mode) {
  return mode == workloads::DispatchMode::Direct ? "direct" : "node-dedup";
}

std::string_view to_string(workloads::NetworkKind kind) {
  switch (kind) {
    case workloads::NetworkKind::Flow:
      return "flow";
    case workloads::NetworkKind::Analytic:
      return "analytic";
    case workloads::NetworkKind::Fast:
      return "fast";
  }
  return "?";
}

std::string calibration_label(const std::optional<CalibrationChoice>& calibration) {
  return calibration ? fmt::format("{}@{}", calibration->kernel, calibration->system) : "none";
}

}  // namespace moesim::scenario
