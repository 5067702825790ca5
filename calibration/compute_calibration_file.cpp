#include "calibration/compute_calibration_file.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "calibration/minimize.h"
#include "input/mapping.h"
#include "sim/rng.h"
#include "workloads/model.h"

namespace moesim::calibration {

namespace {

std::string format_us(double seconds) {
  char text[48];
  std::snprintf(text, sizeof text, "%.4f us", seconds * 1e6);
  return text;
}
std::string format_ns(double seconds) {
  char text[48];
  std::snprintf(text, sizeof text, "%.5f ns", seconds * 1e9);
  return text;
}
std::string format_number(double value) {
  char text[48];
  std::snprintf(text, sizeof text, "%.5f", value);
  return text;
}

}  // namespace

ComputeCalibrationFile load_compute_calibration_file(const std::string& path) {
  const input::Mapping root = input::Mapping::load_file(path);
  root.expect_only({"source", "notes", "inputs_hash", "generations"});
  root.string("source");
  ComputeCalibrationFile file;
  const std::string hash = root.string("inputs_hash");
  try {
    std::size_t used = 0;
    file.inputs_hash = std::stoull(hash, &used, 16);
    if (used != hash.size()) throw std::invalid_argument(hash);
  } catch (const std::exception&) {
    root.fail("inputs_hash", "expected 16 hexadecimal digits, got '" + hash + "'");
  }
  for (const input::Mapping& entry : root.maps("generations")) {
    entry.expect_only(
        {"name", "fp8_kv_attention_at_fp8_peak", "gpus", "attention", "gemm", "experts"});
    ComputeGeneration generation;
    generation.costs.generation = entry.string("name");
    generation.costs.fp8_kv_attention_at_fp8_peak = entry.boolean("fp8_kv_attention_at_fp8_peak");
    for (const input::Mapping& gpu : entry.maps("gpus")) {
      gpu.expect_only({"name", "hbm_bandwidth", "bf16_dense"});
      generation.gpus.push_back({gpu.string("name"),
                                 gpu.quantity("hbm_bandwidth", sim::Quantity::BytesPerSecond),
                                 gpu.quantity("bf16_dense", sim::Quantity::FlopsPerSecond)});
      if (!(generation.gpus.back().hbm_bandwidth_bytes_per_second > 0))
        gpu.fail("hbm_bandwidth", "must be > 0");
      if (!(generation.gpus.back().bf16_flops_per_second > 0))
        gpu.fail("bf16_dense", "must be > 0");
    }
    auto fraction = [](const input::Mapping& map, std::string_view key) {
      const double value = map.number(key);
      if (!(value > 0)) map.fail(key, "must be > 0");
      return value;
    };
    const input::Mapping a = entry.map("attention");
    a.expect_only({"fixed", "projection_flops_fraction", "kv_bandwidth_fraction",
                   "attention_flops_fraction", "per_context_token"});
    generation.costs.attention = {
        a.quantity("fixed", sim::Quantity::Seconds), fraction(a, "projection_flops_fraction"),
        fraction(a, "kv_bandwidth_fraction"), fraction(a, "attention_flops_fraction"),
        a.quantity("per_context_token", sim::Quantity::Seconds)};
    const input::Mapping g = entry.map("gemm");
    g.expect_only({"fixed", "per_reduction_element", "bandwidth_fraction", "flops_fraction"});
    generation.costs.gemm = {g.quantity("fixed", sim::Quantity::Seconds),
                             g.quantity("per_reduction_element", sim::Quantity::Seconds),
                             fraction(g, "bandwidth_fraction"), fraction(g, "flops_fraction")};
    const input::Mapping e = entry.map("experts");
    e.expect_only({"fixed", "per_local_expert", "bandwidth_fraction", "flops_fraction",
                   "norm_exponent", "tile_rows"});
    const double exponent = e.number("norm_exponent");
    if (!(exponent >= 1)) e.fail("norm_exponent", "must be >= 1");
    const std::int64_t tile = e.integer("tile_rows");
    if (tile < 1 || tile > 4096) e.fail("tile_rows", "must be from 1 to 4096");
    generation.costs.experts = {e.quantity("fixed", sim::Quantity::Seconds),
                                e.quantity("per_local_expert", sim::Quantity::Seconds),
                                fraction(e, "bandwidth_fraction"),
                                fraction(e, "flops_fraction"),
                                exponent,
                                static_cast<std::uint32_t>(tile)};
    file.fit.generations.push_back(std::move(generation));
  }
  if (file.fit.generations.empty()) root.fail("generations", "must list at least one generation");
  return file;
}

void write_compute_calibration_file(const std::string& path, const ComputeCalibrationFile& file,
                                    const std::string& source_note) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  out << "# Fitted compute costs per GPU generation (workloads/compute.h, "
         "calibration/compute_fit.h). "
         "Generated:\n# re-run the command in 'source' after changing any compute table, the "
         "generations file, a hardware\n# file it names or the model; the tests re-fit and fail if "
         "these values are stale.\n";
  out << "source: \"" << source_note << "\"\n";
  out << "notes: >-\n"
         "  attention module = fixed + W/BW + Fp/(f_p P_w) + max(KV/(f_kv BW), Fa/(f_att P_att), "
         "k_s ctx); routed\n"
         "  experts = fixed + k_L L + ((E Wexp/(f_bw BW))^p + (2 Pexp Npad/(f_fl P_exp))^p)^(1/p); "
         "each dense GEMM =\n"
         "  fixed + k_K K + max(bytes/(f_bw BW), flops/(f_fl P)). Least squares on relative error; "
         "`gpus` lists the\n"
         "  generation's GPUs (by hardware-file name) with the specs used to find the closest "
         "generation for others.\n";
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(file.inputs_hash));
  out << "inputs_hash: \"" << hash
      << "\"  # FNV-1a 64 of the compute tables, the generations, hardware and model files\n";
  out << "generations:\n";
  for (const ComputeGeneration& generation : file.fit.generations) {
    const workloads::ComputeCosts& c = generation.costs;
    out << "  - name: " << c.generation << '\n';
    out << "    fp8_kv_attention_at_fp8_peak: "
        << (c.fp8_kv_attention_at_fp8_peak ? "true" : "false") << '\n';
    out << "    gpus:\n";
    for (const ComputeGeneration::Member& member : generation.gpus) {
      char line[256];
      std::snprintf(line, sizeof line,
                    "      - {name: \"%s\", hbm_bandwidth: \"%.6g TB/s\", bf16_dense: \"%.6g "
                    "TFLOP/s\"}\n",
                    member.name.c_str(), member.hbm_bandwidth_bytes_per_second / 1e12,
                    member.bf16_flops_per_second / 1e12);
      out << line;
    }
    out << "    attention:\n"
        << "      fixed: \"" << format_us(c.attention.fixed_seconds) << "\"\n"
        << "      projection_flops_fraction: "
        << format_number(c.attention.projection_flops_fraction) << '\n'
        << "      kv_bandwidth_fraction: " << format_number(c.attention.kv_bandwidth_fraction)
        << '\n'
        << "      attention_flops_fraction: " << format_number(c.attention.attention_flops_fraction)
        << '\n'
        << "      per_context_token: \"" << format_ns(c.attention.seconds_per_context_token)
        << "\"\n";
    out << "    gemm:\n"
        << "      fixed: \"" << format_us(c.gemm.fixed_seconds) << "\"\n"
        << "      per_reduction_element: \"" << format_ns(c.gemm.seconds_per_reduction_element)
        << "\"\n"
        << "      bandwidth_fraction: " << format_number(c.gemm.bandwidth_fraction) << '\n'
        << "      flops_fraction: " << format_number(c.gemm.flops_fraction) << '\n';
    out << "    experts:\n"
        << "      fixed: \"" << format_us(c.experts.fixed_seconds) << "\"\n"
        << "      per_local_expert: \"" << format_us(c.experts.seconds_per_local_expert) << "\"\n"
        << "      bandwidth_fraction: " << format_number(c.experts.bandwidth_fraction) << '\n'
        << "      flops_fraction: " << format_number(c.experts.flops_fraction) << '\n'
        << "      norm_exponent: " << format_number(c.experts.norm_exponent) << '\n'
        << "      tile_rows: " << c.experts.tile_rows << '\n';
  }
  out.close();
  if (!out) throw std::runtime_error(path + ": write failed");
}

}  // namespace moesim::calibration
