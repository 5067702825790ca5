#include "tools/moesim/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "tools/moesim/cli.h"
#include "tools/moesim/paths.h"
#include "topology/builders.h"
#include "topology/config.h"
#include "workloads/calibration.h"

namespace moesim::cli {

namespace {

namespace fs = std::filesystem;
using config::ConfigMap;

constexpr std::string_view kCommandLine = "command line";

// The keys of each section (also what --set / --vary may name).
const std::initializer_list<std::string_view> kDecodeKeys{"ep_size",
                                                          "batch_per_gpu",
                                                          "context_tokens",
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
                                                          "network",
                                                          "steps",
                                                          "sampled_moe_layers",
                                                          "seed",
                                                          "calibration"};
// decode.calibration's keys; on the command line: calibration.KEY (or decode.calibration.KEY).
const std::initializer_list<std::string_view> kCalibrationKeys{"kernel", "system", "file"};
// The fitted-parameter file used when decode.calibration names no `file`.
constexpr std::string_view kDefaultCalibrationFile = "validation/kernel-calibration.yaml";
const std::initializer_list<std::string_view> kMemoryKeys{"reserve_fraction", "basis"};
const std::initializer_list<std::string_view> kCostKeys{"usd_per_gpu_hour", "basis"};
const std::initializer_list<std::string_view> kOverridableTopLevel{"name", "model", "gpu",
                                                                   "fabric"};
constexpr int kMaxIncludeDepth = 16;

// Layers in increasing precedence: includes (recursively, each below its includer), the file,
// overrides.
using Layers = std::vector<ConfigMap>;

void collect_layers(const std::string& file, Layers& layers, std::vector<std::string>& chain) {
  const ConfigMap map = ConfigMap::load_file(file);
  map.expect_only(
      {"source", "notes", "name", "include", "model", "gpu", "fabric", "decode", "memory", "cost"});
  map.string("source");  // required in every file
  if (map.has("include")) {
    std::vector<std::string> includes;
    if (map.node()["include"].IsScalar())
      includes.push_back(map.string("include"));
    else
      includes = map.strings("include");
    for (const std::string& written : includes) {
      const std::string included = resolve_relative(file, written);
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

ConfigMap override_layer(std::span<const ScenarioOverride> overrides) {
  YAML::Node root(YAML::NodeType::Map);
  for (const ScenarioOverride& override : overrides) {
    const auto dot = override.key.find('.');
    if (dot == std::string::npos) {
      root[override.key] = override.value;
      continue;
    }
    const std::string section = override.key.substr(0, dot);
    const std::string rest = override.key.substr(dot + 1);
    const auto nested = rest.find('.');  // decode.calibration.KEY
    if (nested == std::string::npos) {
      root[section][rest] = override.value;
      continue;
    }
    const std::string parent = rest.substr(0, nested);
    if (!root[section][parent].IsMap())  // a later KEY replaces an earlier "calibration=none"
      root[section][parent] = YAML::Node(YAML::NodeType::Map);
    root[section][parent][rest.substr(nested + 1)] = override.value;
  }
  ConfigMap map(root, std::string(kCommandLine));
  map.expect_only({"name", "model", "gpu", "fabric", "decode", "memory", "cost"});
  return map;
}

// The layer that supplies a whole top-level key (highest precedence first), or nullptr.
const ConfigMap* top_level(const Layers& layers, std::string_view key) {
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
    for (const ConfigMap& layer : layers) {
      if (!layer.has(name)) continue;
      maps_.push_back(layer.map(name));
      maps_.back().expect_only(allowed);
    }
  }
  bool present() const { return !maps_.empty(); }
  const ConfigMap* find(std::string_view key) const {
    for (auto map = maps_.rbegin(); map != maps_.rend(); ++map)
      if (map->has(key)) return &*map;
    return nullptr;
  }
  // Every layer's map that sets `key`, highest precedence first.
  std::vector<const ConfigMap*> all_with(std::string_view key) const {
    std::vector<const ConfigMap*> found;
    for (auto map = maps_.rbegin(); map != maps_.rend(); ++map)
      if (map->has(key)) found.push_back(&*map);
    return found;
  }
  // The map to read `key` from; if no layer sets it, the highest one (so "missing required key"
  // points there).
  const ConfigMap& at(std::string_view key) const {
    const ConfigMap* found = find(key);
    return found ? *found : maps_.back();
  }

 private:
  std::vector<ConfigMap> maps_;
};

std::string location_of(const ConfigMap& map, std::string_view key) {
  const int line = map.node()[std::string(key)].Mark().line;
  return line >= 0 ? fmt::format("{}:{}", map.file(), line + 1) : map.file();
}

std::string base_file(const ConfigMap& layer) {
  return layer.file() == kCommandLine ? "" : layer.file();
}

// A catalogue reference: a file path (relative to the file that names it) or an inline mapping.
template <typename Load, typename LoadFile>
auto load_reference(const Layers& layers, std::string_view key, std::string& origin, Load load,
                    LoadFile load_file) {
  const ConfigMap* layer = top_level(layers, key);
  if (!layer) layers.back().fail(key, "missing required key (a file path or an inline mapping)");
  if (layer->node()[std::string(key)].IsMap()) {
    origin = fmt::format("inline in {}", layer->file());
    return load(layer->map(key));
  }
  const std::string path = resolve_relative(base_file(*layer), layer->string(key));
  std::error_code error;
  if (!fs::is_regular_file(path, error)) layer->fail(key, fmt::format("cannot open '{}'", path));
  origin = path;
  return load_file(path);
}

std::uint32_t positive_integer(const Section& section, std::string_view key, std::int64_t minimum) {
  const ConfigMap& map = section.at(key);
  const std::int64_t value = map.integer(key);
  if (value < minimum || value > std::numeric_limits<std::uint32_t>::max())
    map.fail(key, fmt::format("must be an integer >= {}", minimum));
  return static_cast<std::uint32_t>(value);
}

template <typename Enum>
Enum choice(const Section& section, std::string_view key, Enum fallback,
            std::initializer_list<std::pair<std::string_view, Enum>> choices) {
  const ConfigMap* map = section.find(key);
  if (!map) return fallback;
  const std::string text = map->string(key);
  std::string names;
  for (const auto& [name, value] : choices) {
    if (text == name) return value;
    names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
  }
  map->fail(key, fmt::format("unknown value '{}' (expected one of: {})", text, names));
}

double fraction(const Section& section, std::string_view key, double fallback,
                bool allow_one = true) {
  const ConfigMap* map = section.find(key);
  if (!map) return fallback;
  const double value = map->number(key);
  if (value < 0 || value > 1 || (!allow_one && value == 1))
    map->fail(key, "must be a fraction between 0 and 1");
  return value;
}

workloads::DecodeConfig load_decode(const Section& decode, Scenario& scenario) {
  using workloads::DispatchMode;
  using workloads::NetworkKind;
  using workloads::RoutingKind;
  workloads::DecodeConfig config;
  config.ep_size = positive_integer(decode, "ep_size", 1);
  scenario.ep_size_location = location_of(decode.at("ep_size"), "ep_size");
  config.batch_per_gpu = positive_integer(decode, "batch_per_gpu", 1);
  scenario.batch_location = location_of(decode.at("batch_per_gpu"), "batch_per_gpu");
  config.context_tokens = positive_integer(decode, "context_tokens", 1);
  config.routing = choice(decode, "routing", config.routing,
                          {{"uniform", RoutingKind::Uniform},
                           {"zipf", RoutingKind::Zipf},
                           {"group-limited", RoutingKind::GroupLimited}});
  if (const ConfigMap* map = decode.find("zipf_exponent")) {
    config.zipf_exponent = map->number("zipf_exponent");
    if (config.zipf_exponent < 0) map->fail("zipf_exponent", "must be >= 0");
  }
  if (decode.find("max_groups_per_token"))
    config.max_groups_per_token = positive_integer(decode, "max_groups_per_token", 0);
  config.dispatch_mode =
      choice(decode, "dispatch_mode", config.dispatch_mode,
             {{"direct", DispatchMode::Direct}, {"node-dedup", DispatchMode::NodeDedup}});
  if (const ConfigMap* map = decode.find("dispatch_bytes_per_element")) {
    config.dispatch_bytes_per_element = map->number("dispatch_bytes_per_element");
    if (config.dispatch_bytes_per_element <= 0)
      map->fail("dispatch_bytes_per_element", "must be positive");
  }
  if (const ConfigMap* map = decode.find("dispatch_scale_factors"))
    config.dispatch_scale_factors = map->boolean("dispatch_scale_factors");
  if (const ConfigMap* map = decode.find("combine_bytes_per_element")) {
    config.combine_bytes_per_element = map->number("combine_bytes_per_element");
    if (config.combine_bytes_per_element <= 0)
      map->fail("combine_bytes_per_element", "must be positive");
  }
  if (decode.find("redundant_slots_per_gpu"))
    config.redundant_slots_per_gpu = positive_integer(decode, "redundant_slots_per_gpu", 0);
  if (const ConfigMap* map = decode.find("two_micro_batch_overlap"))
    config.two_micro_batch_overlap = map->boolean("two_micro_batch_overlap");
  if (decode.find("mtp_draft_tokens"))
    config.mtp_draft_tokens = positive_integer(decode, "mtp_draft_tokens", 0);
  config.mtp_acceptance = fraction(decode, "mtp_acceptance", config.mtp_acceptance);
  if (const ConfigMap* map = decode.find("compute_efficiency")) {
    config.compute_efficiency = map->number("compute_efficiency");
    if (config.compute_efficiency <= 0 || config.compute_efficiency > 1)
      map->fail("compute_efficiency", "must be in (0, 1]");
  }
  config.network = choice(decode, "network", config.network,
                          {{"flow", NetworkKind::Flow}, {"analytic", NetworkKind::Analytic}});
  if (decode.find("steps")) config.steps = positive_integer(decode, "steps", 1);
  if (const ConfigMap* map = decode.find("sampled_moe_layers")) {
    const std::int64_t sampled = map->integer("sampled_moe_layers");
    if (sampled < 0 || sampled == 1)
      map->fail("sampled_moe_layers", "must be 0 (simulate every MoE layer) or >= 2");
    config.sampled_moe_layers = static_cast<std::uint32_t>(sampled);
  }
  if (const ConfigMap* map = decode.find("seed")) {
    const std::int64_t seed = map->integer("seed");
    if (seed < 0) map->fail("seed", "must be >= 0");
    config.seed = static_cast<std::uint64_t>(seed);
  }
  return config;
}

// The default fitted-parameter file for a calibration written in `written_in`: the first
// <dir>/validation/kernel-calibration.yaml or <dir>/configs/validation/kernel-calibration.yaml
// walking up from that file's directory (the command line: the current directory), then
// $MOESIM_CONFIGS and the source tree moesim was built from. Empty if none exists.
std::string default_calibration_file(const std::string& written_in) {
  std::error_code error;
  std::vector<fs::path> candidates;
  fs::path directory =
      fs::absolute(written_in.empty() ? fs::path(".") : fs::path(written_in).parent_path(), error);
  for (; !directory.empty(); directory = directory.parent_path()) {
    candidates.push_back(directory / kDefaultCalibrationFile);
    candidates.push_back(directory / "configs" / kDefaultCalibrationFile);
    if (directory == directory.root_path()) break;
  }
  if (const char* configured = std::getenv("MOESIM_CONFIGS"))
    candidates.push_back(fs::path(configured) / kDefaultCalibrationFile);
#ifdef MOESIM_SOURCE_DIR
  candidates.push_back(fs::path(MOESIM_SOURCE_DIR) / "configs" / kDefaultCalibrationFile);
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
  std::vector<ConfigMap> parts;  // the calibration mappings, highest precedence first
  for (const ConfigMap* layer : decode.all_with("calibration")) {
    const YAML::Node node = layer->node()["calibration"];
    if (node.IsMap()) {
      parts.push_back(layer->map("calibration"));
      parts.back().expect_only(kCalibrationKeys);
      continue;
    }
    if (!node.IsScalar() || layer->string("calibration") != "none")
      layer->fail("calibration",
                  "expected 'none' (ideal fluid) or a mapping {kernel: K, system: S[, file: F]}");
    break;  // `none`: lower layers do not apply
  }
  if (parts.empty()) return;
  auto supplier = [&](std::string_view key) -> const ConfigMap* {
    for (const ConfigMap& part : parts)
      if (part.has(key)) return &part;
    return nullptr;
  };
  const ConfigMap* kernel_map = supplier("kernel");
  if (!kernel_map) parts.front().fail("kernel", "missing required key");
  const ConfigMap* system_map = supplier("system");
  if (!system_map) parts.front().fail("system", "missing required key");
  CalibrationChoice choice{kernel_map->string("kernel"), system_map->string("system"), {}};
  std::error_code error;
  if (const ConfigMap* file_map = supplier("file")) {
    choice.file = resolve_relative(base_file(*file_map), file_map->string("file"));
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
  const workloads::CalibrationFile fitted = workloads::load_calibration_file(choice.file);
  std::string available;
  bool kernel_known = false;
  for (const workloads::FittedKernel& set : fitted.calibrations) {
    kernel_known = kernel_known || set.kernel == choice.kernel;
    available += fmt::format("{}{} on {}", available.empty() ? "" : ", ", set.kernel, set.system);
  }
  const workloads::FittedKernel* found = nullptr;
  try {
    found = &workloads::find_calibration(fitted.calibrations, choice.kernel, choice.system);
  } catch (const std::out_of_range&) {
    const ConfigMap& at = kernel_known ? *system_map : *kernel_map;
    at.fail(
        kernel_known ? "system" : "kernel",
        fmt::format("no fitted calibration for kernel '{}' on system '{}' in {} (available: {})",
                    choice.kernel, choice.system, choice.file, available));
  }
  // A set fitted on one even all-to-all (NCCL) has no dispatch/combine costs the decode step
  // could apply; using it would silently drop its fixed cost.
  using workloads::CommPhase;
  if (!found->phase_fitted[static_cast<std::size_t>(CommPhase::Dispatch)] ||
      !found->phase_fitted[static_cast<std::size_t>(CommPhase::Combine)])
    kernel_map->fail("kernel",
                     fmt::format("'{}' on '{}' was not fitted as dispatch and combine "
                                 "phases (only {}), so the decode step cannot apply it",
                                 choice.kernel, choice.system,
                                 found->phase_fitted[static_cast<std::size_t>(CommPhase::AllToAll)]
                                     ? "an even all-to-all"
                                     : "no phase"));
  scenario.decode.calibration = workloads::to_decode_calibration(*found);
  scenario.calibration = std::move(choice);
}

std::string gigabytes(double bytes) {
  return fmt::format("{:.1f} GB", bytes / 1e9);
}

void validate_layout(const Scenario& scenario, const Section& decode) {
  const workloads::DecodeConfig& config = scenario.decode;
  const ConfigMap& ep_map = decode.at("ep_size");
  if (config.ep_size > scenario.fabric->gpu_count())
    ep_map.fail("ep_size", fmt::format("EP size {} exceeds the {} GPUs of fabric '{}' ({})",
                                       config.ep_size, scenario.fabric->gpu_count(),
                                       scenario.fabric->name(), scenario.fabric_origin));
  if (config.ep_size > scenario.model.routed_experts() && config.redundant_slots_per_gpu == 0)
    ep_map.fail(
        "ep_size",
        fmt::format("EP size {} exceeds the {} routed experts of {}: some GPUs would hold only "
                    "replicas; set decode.redundant_slots_per_gpu explicitly if that is intended",
                    config.ep_size, scenario.model.routed_experts(), scenario.model.name));
  const MemoryPerGpu memory =
      memory_per_gpu(scenario.model, scenario.gpu, config, scenario.memory_reserve_fraction);
  if (memory.free_bytes() < 0) {
    const ConfigMap& batch_map = decode.at("batch_per_gpu");
    batch_map.fail(
        "batch_per_gpu",
        fmt::format("{} does not fit in one {} ({} HBM): weights {} + KV cache {} ({} requests x "
                    "{} tokens) + "
                    "reserve {} = {} (largest batch that fits: {})",
                    scenario.model.name, scenario.gpu.name, gigabytes(memory.capacity_bytes),
                    gigabytes(memory.weight_bytes), gigabytes(memory.kv_cache_bytes),
                    config.batch_per_gpu, config.context_tokens, gigabytes(memory.reserved_bytes),
                    gigabytes(memory.capacity_bytes - memory.free_bytes()),
                    largest_batch_per_gpu(scenario.model, scenario.gpu, config,
                                          scenario.memory_reserve_fraction)));
  }
}

}  // namespace

ScenarioOverride parse_override(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0)
    throw UsageError(fmt::format("expected KEY=VALUE, got '{}'", text));
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
    throw UsageError(fmt::format(
        "unknown scenario key '{}' (a bare key means decode.KEY; see docs/scenarios.md)", key));
  return {key, text.substr(equals + 1)};
}

Scenario load_scenario(const std::string& file, std::span<const ScenarioOverride> overrides) {
  Layers layers;
  std::vector<std::string> chain{fs::weakly_canonical(file).string()};
  collect_layers(file, layers, chain);
  if (!overrides.empty()) layers.push_back(override_layer(overrides));

  Scenario scenario;
  scenario.file = file;
  scenario.source = top_level(layers, "source")->string("source");
  const ConfigMap* named = top_level(layers, "name");
  scenario.name = named ? named->string("name") : fs::path(file).stem().string();
  scenario.model = load_reference(layers, "model", scenario.model_origin, workloads::load_model,
                                  workloads::load_model_file);
  scenario.gpu = load_reference(layers, "gpu", scenario.gpu_origin, workloads::load_gpu,
                                workloads::load_gpu_file);
  scenario.fabric = std::make_shared<const topology::Fabric>(load_reference(
      layers, "fabric", scenario.fabric_origin, topology::load_fabric, topology::load_fabric_file));

  const Section decode(layers, "decode", kDecodeKeys);
  if (!decode.present()) layers.back().fail("decode", "missing required key");
  scenario.decode = load_decode(decode, scenario);
  load_calibration(decode, scenario);

  const Section memory(layers, "memory", kMemoryKeys);
  if (!memory.present())
    layers.back().fail("memory", "missing required key (memory.reserve_fraction)");
  scenario.memory_reserve_fraction = fraction(memory, "reserve_fraction", 0, false);
  if (!memory.find("reserve_fraction"))
    memory.at("reserve_fraction").fail("reserve_fraction", "missing required key");

  const Section cost(layers, "cost", kCostKeys);
  if (cost.present()) {
    CostAssumption assumption;
    const ConfigMap& price = cost.at("usd_per_gpu_hour");
    assumption.usd_per_gpu_hour = price.number("usd_per_gpu_hour");
    if (assumption.usd_per_gpu_hour <= 0) price.fail("usd_per_gpu_hour", "must be positive");
    assumption.basis = cost.at("basis").string("basis");
    scenario.cost = assumption;
  }
  validate_layout(scenario, decode);
  return scenario;
}

MemoryPerGpu memory_per_gpu(const workloads::ModelSpec& model, const workloads::GpuSpec& gpu,
                            const workloads::DecodeConfig& decode, double reserve_fraction) {
  MemoryPerGpu memory;
  const double experts = model.routed_experts();
  const double slots = std::ceil(experts / decode.ep_size) + decode.redundant_slots_per_gpu;
  memory.weight_bytes =
      model.shared_trunk_parameters() * model.weight_bytes_per_parameter +
      model.routed_expert_parameters() / experts * slots * model.expert_weight_bytes_per_parameter;
  memory.kv_cache_bytes =
      static_cast<double>(decode.batch_per_gpu) *
      (static_cast<double>(decode.context_tokens) * model.kv_cache_bytes_per_token() +
       model.state_bytes_per_request());
  memory.capacity_bytes = gpu.hbm_bytes;
  memory.reserved_bytes = reserve_fraction * gpu.hbm_bytes;
  return memory;
}

std::uint32_t largest_batch_per_gpu(const workloads::ModelSpec& model,
                                    const workloads::GpuSpec& gpu, workloads::DecodeConfig decode,
                                    double reserve_fraction) {
  decode.batch_per_gpu = 0;
  const MemoryPerGpu empty = memory_per_gpu(model, gpu, decode, reserve_fraction);
  const double per_request =
      static_cast<double>(decode.context_tokens) * model.kv_cache_bytes_per_token() +
      model.state_bytes_per_request();
  if (empty.free_bytes() <= 0 || per_request <= 0) return 0;
  return static_cast<std::uint32_t>(std::min(std::floor(empty.free_bytes() / per_request), 1e9));
}

std::string_view to_string(workloads::RoutingKind kind) {
  switch (kind) {
    case workloads::RoutingKind::Uniform:
      return "uniform";
    case workloads::RoutingKind::Zipf:
      return "zipf";
    case workloads::RoutingKind::GroupLimited:
      return "group-limited";
  }
  return "?";
}

std::string_view to_string(workloads::DispatchMode mode) {
  return mode == workloads::DispatchMode::Direct ? "direct" : "node-dedup";
}

std::string_view to_string(workloads::NetworkKind kind) {
  return kind == workloads::NetworkKind::Flow ? "flow" : "analytic";
}

std::string calibration_label(const std::optional<CalibrationChoice>& calibration) {
  return calibration ? fmt::format("{}@{}", calibration->kernel, calibration->system) : "none";
}

}  // namespace moesim::cli
