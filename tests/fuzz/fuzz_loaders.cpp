// libFuzzer target: arbitrary bytes as a moesim input file. The bytes go to the YAML reader and to
// the fabric, model, hardware and scenario loaders; whatever loads is then used: a fabric is
// summarized and carries a small all-to-all, a model or GPU runs a decode step on a small fabric, a
// scenario is simulated at a capped small layout (both network models).
//
// Expected outcomes are a result or input::InputError (bad input, file:line: key), plus
// workloads::InvalidDecodeConfig and sim::TimeOutOfRange where the simulation API is called
// directly. Anything else escapes and aborts: a crash, a sanitizer report (ASan, UBSan), an
// unexpected exception, a timeout or a memory blow-up is a finding. How to run it: docs/fuzzing.md.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/report.h"
#include "input/mapping.h"
#include "scenario/run.h"
#include "scenario/scenario.h"
#include "sim/time.h"
#include "topology/builders.h"
#include "topology/summary.h"
#include "workloads/decode.h"
#include "workloads/hardware.h"
#include "workloads/model.h"

namespace {

namespace fs = std::filesystem;
using namespace moesim;

// Where fuzzed scenarios are written: a scenarios/ directory next to links to the repository's
// models/, hardware/, fabrics/ and validation/, and to every shipped scenario, so that the paths
// and includes of configs/scenarios/*.yaml (the seed corpus) resolve as they do in the repository.
struct Sandbox {
  fs::path root;
  std::string scenario;  // the file each input is written to
};

// libFuzzer often leaves with _Exit (a finding, -max_total_time), which skips atexit: each run
// first removes the sandboxes of fuzzing processes that no longer exist.
void remove_stale_sandboxes() {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::temp_directory_path(), error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("moesim-fuzz-")) continue;
    const long pid = std::strtol(name.c_str() + 12, nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      fs::remove_all(entry.path(), error);
  }
}

const Sandbox& sandbox() {
  static const Sandbox box = [] {
    remove_stale_sandboxes();
    Sandbox made;
    made.root = fs::temp_directory_path() / ("moesim-fuzz-" + std::to_string(::getpid()));
    const fs::path configs = fs::path(MOESIM_SOURCE_DIR) / "configs";
    fs::remove_all(made.root);
    fs::create_directories(made.root / "scenarios");
    for (const char* directory : {"models", "hardware", "fabrics", "validation"})
      fs::create_directory_symlink(configs / directory, made.root / directory);
    for (const auto& entry : fs::directory_iterator(configs / "scenarios"))
      fs::create_symlink(entry.path(), made.root / "scenarios" / entry.path().filename());
    made.scenario = (made.root / "scenarios" / "fuzz-input.yaml").string();
    std::atexit([] { fs::remove_all(sandbox().root); });
    return made;
  }();
  return box;
}

// The small fabric, GPU and model the single-file loaders are combined with (round numbers).
const char* const kSmallFabric = R"(name: small
kind: hgx
servers: 2
gpus_per_server: 2
scale_up: {bandwidth: "100 GB/s", link_latency: "1 us"}
scale_out: {nic_bandwidth: "10 GB/s", rails: 2, spines: 1, gpu_nic_latency: "1 us",
            nic_leaf_latency: "1 us", leaf_spine_latency: "1 us"}
overheads: {scale_up: "2 us", scale_out: "3 us", core: "4 us"}
)";
const char* const kSmallGpu = R"(name: small
source: fuzz
hbm_capacity: "1 TB"
hbm_bandwidth: "1 TB/s"
bf16_dense: "100 TFLOP/s"
)";
const char* const kSmallModel = R"(name: small
source: fuzz
layers: 3
dense_layers: 1
hidden_size: 256
dense_intermediate_size: 512
expert_intermediate_size: 128
routed_experts: 8
shared_experts: 1
experts_per_token: 2
vocab_size: 1000
attention: {kind: gqa, heads: 4, kv_heads: 2, head_dim: 64}
active_parameter_convention: all
)";

template <typename T, typename Load>
T load_builtin(const char* text, Load load) {
  return load(input::Mapping::load_string(text, "builtin.yaml"));
}

// What a "capped small layout" may be: a few GPUs, requests, layers and experts, one step.
constexpr std::uint32_t kMaxEp = 8;
constexpr std::uint32_t kMaxBatch = 4;
constexpr std::uint32_t kMaxLayersPerStep = 12;
constexpr std::uint32_t kMaxExperts = 512;
constexpr std::uint32_t kMaxHidden = 16384;
constexpr std::size_t kMaxFabricGpus = 256;

bool small_model(const workloads::ModelSpec& model) {
  return model.routed_expert_count <= kMaxExperts && model.hidden <= kMaxHidden &&
         model.dense_layers + std::min(model.moe_layer_count(), 2u) + 1 <= kMaxLayersPerStep &&
         model.vocab <= 1'000'000;
}

void cap(workloads::DecodeConfig& decode, const workloads::ModelSpec& model,
         const topology::Fabric& fabric) {
  decode.ep_size = std::min<std::uint32_t>(
      {decode.ep_size, kMaxEp, static_cast<std::uint32_t>(fabric.gpu_count())});
  decode.batch_per_gpu = std::min(decode.batch_per_gpu, kMaxBatch);
  decode.steps = 1;
  decode.prefetch_gating = false;
  decode.mtp_draft_tokens = std::min(decode.mtp_draft_tokens, 1u);
  if (model.moe_layer_count() > 2) decode.sampled_moe_layers = 2;
}

// Simulates with both network models; only a bad configuration may stop it.
void simulate(const workloads::ModelSpec& model, const workloads::GpuSpec& gpu,
              const topology::Fabric& fabric, workloads::DecodeConfig decode) {
  if (!small_model(model) || fabric.gpu_count() > kMaxFabricGpus) return;
  cap(decode, model, fabric);
  for (const auto network : {workloads::NetworkKind::Analytic, workloads::NetworkKind::Flow}) {
    decode.network = network;
    try {
      workloads::simulate_decode(model, gpu, fabric, decode);
    } catch (const workloads::InvalidDecodeConfig&) {
    } catch (const sim::TimeOutOfRange&) {
    }
  }
}

workloads::DecodeConfig small_decode(std::uint32_t ep_size) {
  workloads::DecodeConfig decode;
  decode.ep_size = ep_size;
  decode.batch_per_gpu = 2;
  decode.context_tokens = 128;
  decode.gating = workloads::GatingKind::Uniform;
  return decode;
}

void fuzz_single_file_loaders(const input::Mapping& mapping) {
  try {
    const topology::Fabric fabric = topology::load_fabric(mapping);
    if (fabric.gpu_count() <= kMaxFabricGpus) {
      std::ostringstream out;
      topology::write_summary(topology::summarize(fabric), out);
      const auto model = load_builtin<workloads::ModelSpec>(kSmallModel, workloads::load_model);
      const auto gpu = load_builtin<workloads::GpuSpec>(kSmallGpu, workloads::load_gpu);
      simulate(model, gpu, fabric, small_decode(static_cast<std::uint32_t>(fabric.gpu_count())));
    }
  } catch (const input::InputError&) {
  }
  try {
    const workloads::ModelSpec model = workloads::load_model(mapping);
    const topology::Fabric fabric =
        topology::load_fabric(input::Mapping::load_string(kSmallFabric, "builtin.yaml"));
    const auto gpu = load_builtin<workloads::GpuSpec>(kSmallGpu, workloads::load_gpu);
    workloads::DecodeConfig decode = small_decode(4);
    decode.redundant_slots_per_gpu = model.routed_expert_count < 4 ? 1 : 0;
    simulate(model, gpu, fabric, decode);
  } catch (const input::InputError&) {
  }
  try {
    const workloads::GpuSpec gpu = workloads::load_gpu(mapping);
    const topology::Fabric fabric =
        topology::load_fabric(input::Mapping::load_string(kSmallFabric, "builtin.yaml"));
    const auto model = load_builtin<workloads::ModelSpec>(kSmallModel, workloads::load_model);
    simulate(model, gpu, fabric, small_decode(4));
  } catch (const input::InputError&) {
  }
}

// The oracle for silent wrong answers: a simulation that returns has a complete, finite answer
// (JSON "null" is how a NaN or an infinity would come out).
void check_answer(const scenario::Scenario& loaded, const scenario::RunResult& result) {
  for (const auto& [name, value] : cli::named_values(loaded, result)) {
    if (cli::is_text_value(name)) continue;
    if (value == "null" || value.empty()) {
      std::fprintf(stderr, "fuzz: %s of a successful simulation is '%s'\n", name.c_str(),
                   value.c_str());
      std::abort();
    }
  }
  cli::render_table(loaded, result);
  cli::render_json(loaded, result);
}

void fuzz_scenario(const std::string& text) {
  const Sandbox& box = sandbox();
  {
    std::ofstream out(box.scenario, std::ios::binary | std::ios::trunc);
    out << text;
  }
  try {
    scenario::Scenario loaded = scenario::load_scenario(box.scenario);
    if (!small_model(loaded.model) || loaded.fabric->gpu_count() > kMaxFabricGpus) return;
    cap(loaded.decode, loaded.model, *loaded.fabric);
    for (const auto network : {workloads::NetworkKind::Analytic, workloads::NetworkKind::Flow}) {
      loaded.decode.network = network;
      const bool trace = network == workloads::NetworkKind::Flow;
      const scenario::RunResult result =
          scenario::simulate(loaded, {.record_timeline = trace, .prefetch_gating = false});
      check_answer(loaded, result);
      if (trace) cli::render_trace(loaded, result.metrics);
    }
  } catch (const input::InputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Keep every input fast: fabrics of at most a few thousand vertices (the full limits build for
  // seconds, and each input must take milliseconds).
  topology::FabricLimits limits;
  limits.vertices = 20'000;
  limits.links = 80'000;
  limits.routing_table_bytes = 8e6;
  limits.route_search_steps = 2e7;
  topology::set_fabric_limits(limits);
  sandbox();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    fuzz_single_file_loaders(input::Mapping::load_string(text, "fuzz.yaml"));
  } catch (const input::InputError&) {
  }
  fuzz_scenario(text);
  return 0;
}
