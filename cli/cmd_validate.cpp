// `moesim validate`: runs every all-to-all calibration case
// (configs/validation/measurements/*.yaml) through the flow model with the fitted kernel costs
// (configs/validation/kernel-calibration.yaml), and every measured compute point
// (configs/validation/compute/*.yaml) through the fitted compute forms
// (configs/validation/compute-calibration.yaml); prints measured vs simulated, in-sample and
// leave-one-system-out (held-aside) errors per system, and whether the targets are met.
// `--fit` re-fits both files (docs/validation.md).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "calibration/calibration.h"
#include "cli/cli.h"
#include "cli/paths.h"
#include "cli/text.h"

namespace moesim::cli {

namespace {

// The calibration targets (docs/validation.md): in-sample every counted point within +-15 % and a
// mean absolute error <= 8 % per group; held aside (leave one system out) a mean absolute error
// <= 15 % per system.
constexpr double kMaxPointError = 0.15;
constexpr double kMaxMeanError = 0.08;
constexpr double kMaxHeldAsideMeanError = 0.15;

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

template <typename Ids>
std::string fit_note(const Ids& ids, std::string_view directory) {
  std::string note = "fitted by `moesim validate --fit` on " + today_utc() + " to";
  const char* separator = " ";
  for (const std::string& id : ids) {
    note += separator + id;
    separator = ", ";
  }
  return note + " (" + std::string(directory) + ")";
}

std::string percent(double fraction) {
  return fmt::format("{:+.1f} %", fraction * 100);
}

// Mean and largest absolute error of a list of relative errors.
struct ErrorStats {
  std::size_t count = 0;
  double sum_abs = 0, max_abs = 0;
  std::size_t outside = 0;
  void add(double error) {
    ++count;
    sum_abs += std::abs(error);
    max_abs = std::max(max_abs, std::abs(error));
    if (std::abs(error) > kMaxPointError) ++outside;
  }
  double mean() const { return count ? sum_abs / static_cast<double>(count) : 0.0; }
  std::string text() const {
    return count ? fmt::format("{:.1f} / {:.1f} %", mean() * 100, max_abs * 100) : "-";
  }
};

// One line of the target summary; returns whether it is met.
struct Targets {
  std::vector<std::string> misses;
  void check(bool met, std::string what) {
    if (!met) misses.push_back(std::move(what));
  }
};

std::string csv_line(const calibration::PointResult& result) {
  const auto& point = *result.point;
  return fmt::format("alltoall,{},{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{}\n",
                     csv_field(point.data_id), csv_field(point.label), point.kernel, point.system,
                     result.set, calibration::to_string(point.phase), point.gpus,
                     point.tokens_per_gpu, point.measured_seconds * 1e6, result.ideal_seconds * 1e6,
                     result.calibrated_seconds * 1e6, result.relative_error * 100,
                     point.excluded ? 1 : 0);
}

// ---- all-to-all ----

struct AllToAllInputs {
  std::vector<std::string> measurement_files;
  std::string systems_file, sets_file, calibration_path;
  std::uint64_t hash = 0;
};

AllToAllInputs all_to_all_inputs(const std::string& configs) {
  AllToAllInputs inputs;
  inputs.measurement_files = calibration::default_measurement_files(configs);
  inputs.systems_file = configs + "/validation/systems.yaml";
  inputs.sets_file = configs + "/validation/kernel-sets.yaml";
  inputs.calibration_path = configs + "/validation/kernel-calibration.yaml";
  std::vector<std::string> hashed = inputs.measurement_files;
  hashed.push_back(inputs.systems_file);
  hashed.push_back(inputs.sets_file);
  inputs.hash = calibration::hash_files(hashed);
  return inputs;
}

void print_kernel_costs(std::ostream& out, const calibration::CalibrationFile& file,
                        const std::string& path) {
  out << "\nkernel costs (" << path << "):\n";
  Table parameters({"kernel on set (measured systems)", "dispatch fixed", "combine fixed",
                    "alltoall fixed", "scale-up bw fraction d/c", "scale-out bw fraction",
                    "per scale-out message", "per peer"});
  for (const auto& kernel : file.calibrations) {
    auto fixed = [&](calibration::CommPhase phase) {
      const auto p = static_cast<std::size_t>(phase);
      return kernel.phase_fitted[p] ? fmt::format("{:.2f} us", kernel.fixed_seconds[p] * 1e6)
                                    : std::string("-");
    };
    std::string systems;
    for (const std::string& system : kernel.measured_systems)
      systems += (systems.empty() ? "" : ", ") + system;
    std::string up = "-";
    if (kernel.scale_up_fitted)
      up = kernel.has(calibration::KernelTerm::PerPhaseScaleUpFraction)
               ? fmt::format("{:.3f} / {:.3f}", kernel.scale_up_fraction,
                             kernel.combine_scale_up_fraction)
               : fmt::format("{:.3f}", kernel.scale_up_fraction);
    parameters.add_row(
        {kernel.kernel + " on " + kernel.system + (systems.empty() ? "" : " (" + systems + ")"),
         fixed(calibration::CommPhase::Dispatch), fixed(calibration::CommPhase::Combine),
         fixed(calibration::CommPhase::AllToAll), up,
         kernel.scale_out_fitted ? fmt::format("{:.3f}", kernel.scale_out_fraction) : "-",
         kernel.has(calibration::KernelTerm::ScaleOutMessageCost)
             ? fmt::format("{:.2f} us", kernel.scale_out_message_seconds * 1e6)
             : "-",
         kernel.has(calibration::KernelTerm::PerPeerCost)
             ? fmt::format("{:.3f} us", kernel.per_peer_seconds * 1e6)
             : "-"});
  }
  out << parameters.render("  ");
}

// Which terms pay their way: each extra term of each set removed in turn; in-sample, leave-one-
// system-out and leave-token-range-out errors with and without it.
void print_term_ablation(std::ostream& out, const calibration::CalibrationData& data,
                         const std::vector<std::vector<calibration::MessageTiming>>& timings,
                         std::span<const calibration::KernelSetSpec> specs) {
  using calibration::KernelTerm;
  out << "\nWhich terms pay their way (refit without each term; MAE / largest error of the "
         "counted points):\n";
  Table table({"set", "terms", "in-sample", "fit T<=128, predict T>=256",
               "fit T>=32, predict T<=16", "leave one system out (mean over systems)",
               "not-counted points, predicted"});
  for (const calibration::KernelSetSpec& spec : specs) {
    std::vector<std::size_t> members, not_counted;
    for (std::size_t i = 0; i < data.points.size(); ++i) {
      const calibration::KernelSetSpec set = calibration::set_of(specs, data.points[i]);
      if (set.kernel != spec.kernel || set.name != spec.name) continue;
      (data.points[i].excluded ? not_counted : members).push_back(i);
    }
    if (members.empty()) continue;
    std::vector<std::pair<std::string, calibration::KernelTerms>> variants{{"all", spec.terms}};
    for (std::size_t t = 0; t < calibration::kKernelTermCount; ++t)
      if (spec.terms[t]) {
        calibration::KernelTerms without = spec.terms;
        without[t] = false;
        variants.emplace_back(
            fmt::format("without {}", calibration::to_string(static_cast<KernelTerm>(t))), without);
      }
    for (const auto& [name, variant_terms] : variants) {
      // A copy: C++20 lambdas may not capture a structured binding (clang rejects it).
      const auto& terms = variant_terms;
      auto stats_of = [&](auto fit_filter, auto test_filter, bool uncounted = false) {
        std::vector<std::size_t> fit_points, test_points;
        for (std::size_t i : members) {
          if (fit_filter(data.points[i])) fit_points.push_back(i);
          if (!uncounted && test_filter(data.points[i])) test_points.push_back(i);
        }
        if (uncounted) test_points = not_counted;
        ErrorStats stats;
        if (test_points.empty()) return stats;
        const auto fitted =
            calibration::fit_kernel_set(spec, terms, data.points, timings, fit_points);
        if (!fitted) return stats;
        for (std::size_t i : test_points) {
          const double predicted = calibration::calibrated_phase_seconds(
              *fitted, data.points[i].phase, data.points[i].gpus, timings[i]);
          stats.add((predicted - data.points[i].measured_seconds) /
                    data.points[i].measured_seconds);
        }
        return stats;
      };
      auto all = [](const calibration::CalibrationPoint&) { return true; };
      const ErrorStats in_sample = stats_of(all, all);
      const ErrorStats high = stats_of([](const auto& p) { return p.tokens_per_gpu <= 128; },
                                       [](const auto& p) { return p.tokens_per_gpu >= 256; });
      const ErrorStats low = stats_of([](const auto& p) { return p.tokens_per_gpu >= 32; },
                                      [](const auto& p) { return p.tokens_per_gpu <= 16; });
      std::set<std::string> systems;
      for (std::size_t i : members) systems.insert(data.points[i].system);
      std::string loso = "- (one system)";
      if (systems.size() > 1) {
        double sum = 0, worst = 0;
        for (const std::string& system : systems) {
          const ErrorStats s = stats_of([&](const auto& p) { return p.system != system; },
                                        [&](const auto& p) { return p.system == system; });
          sum += s.mean();
          worst = std::max(worst, s.max_abs);
        }
        loso = fmt::format("{:.1f} / {:.1f} %", sum / static_cast<double>(systems.size()) * 100,
                           worst * 100);
      }
      const ErrorStats uncounted = stats_of(all, all, true);
      table.add_row(
          {spec.kernel + " on " + spec.name, name, in_sample.text(), high.text(), low.text(), loso,
           uncounted.count ? fmt::format("{} ({})", uncounted.text(), uncounted.count) : "-"});
    }
    table.add_rule();
  }
  out << table.render("  ");
}

void run_all_to_all(std::ostream& out, const ParsedArgs& args, const std::string& configs,
                    Targets& targets, std::string& csv) {
  const AllToAllInputs inputs = all_to_all_inputs(configs);
  const calibration::CalibrationData data =
      calibration::load_calibration_data(inputs.measurement_files);
  const calibration::SystemCatalogue systems(inputs.systems_file);
  const std::vector<calibration::KernelSetSpec> specs =
      calibration::load_kernel_sets(inputs.sets_file);
  const auto started = std::chrono::steady_clock::now();
  const auto timings = calibration::simulate_points(systems, data.points);
  const double simulate_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  calibration::CalibrationFile calibration;
  if (args.flag("fit")) {
    const calibration::FitReport report =
        calibration::fit_calibrations(data.points, timings, specs);
    calibration.inputs_hash = inputs.hash;
    calibration.calibrations = report.calibrations;
    std::set<std::string> ids;
    for (const auto& point : data.points)
      if (!point.excluded) ids.insert(point.data_id);
    calibration::write_calibration_file(inputs.calibration_path, calibration,
                                        fit_note(ids, "configs/validation/measurements/"));
    // Evaluate what was written (rounded to the file's precision), exactly as a later run reads it.
    calibration = calibration::load_calibration_file(inputs.calibration_path);
    out << "validate: fitted " << calibration.calibrations.size() << " kernel sets to "
        << report.fitted_points << " all-to-all points, wrote " << inputs.calibration_path
        << "\n\n";
  } else {
    calibration = calibration::load_calibration_file(inputs.calibration_path);
    if (calibration.inputs_hash != inputs.hash)
      throw InputError(inputs.calibration_path +
                       ": stale: the measurement, system or kernel-set files changed since the "
                       "fit (hash " +
                       fmt::format("{:016x}", inputs.hash) + " vs " +
                       fmt::format("{:016x}", calibration.inputs_hash) +
                       "); run `moesim validate --fit`");
  }
  const std::string apply = args.value_or("calibration-system", "");
  const auto results =
      calibration::evaluate_points(data.points, timings, calibration.calibrations, specs, apply);
  for (const auto& result : results) csv += csv_line(result);

  out << "All-to-all: measured vs the flow model with fitted kernel costs"
      << (apply.empty() ? "" : " (set '" + apply + "' applied to every point of its kernel)")
      << "\n";
  Table table({"case", "measured us", "ideal fluid us", "calibrated us", "error"});
  std::string current;
  std::vector<std::string> exclusions;
  // In-sample errors per set (targets) and per (set, system) (the summary).
  std::map<std::string, ErrorStats> per_set;
  std::map<std::pair<std::string, std::string>, ErrorStats> per_system;
  for (const auto& result : results) {
    const auto& point = *result.point;
    const std::string header =
        point.data_id + " (" + point.kernel + " on " + point.system + ", set " + result.set + ")";
    if (header != current) {
      if (!current.empty()) table.add_rule();
      table.add_row({header, "", "", "", ""});
      current = header;
    }
    std::string error = percent(result.relative_error);
    if (point.excluded) {
      const auto known = std::find(exclusions.begin(), exclusions.end(), point.exclusion_reason);
      if (known == exclusions.end()) exclusions.push_back(point.exclusion_reason);
      const auto note = std::find(exclusions.begin(), exclusions.end(), point.exclusion_reason) -
                        exclusions.begin() + 1;
      error += fmt::format("  not counted [{}]", note);
    } else {
      per_set[point.kernel + " on " + result.set].add(result.relative_error);
      per_system[{point.kernel + " on " + result.set, point.system}].add(result.relative_error);
      if (std::abs(result.relative_error) > kMaxPointError) error += "  OUTSIDE +-15 %";
    }
    table.add_row({"  " + point.label, fmt::format("{:.1f}", point.measured_seconds * 1e6),
                   fmt::format("{:.1f}", result.ideal_seconds * 1e6),
                   fmt::format("{:.1f}", result.calibrated_seconds * 1e6), error});
  }
  out << table.render();
  for (std::size_t i = 0; i < exclusions.size(); ++i)
    out << fmt::format("[{}] {}\n", i + 1, exclusions[i]);
  for (const auto& [id, why] : data.unevaluated_tables)
    out << "\nnot evaluated: " << id << ": " << why << '\n';
  print_kernel_costs(out, calibration, inputs.calibration_path);

  // Held aside: each system predicted by its set re-fitted without it (or by the other sets of
  // its kernel when it is alone in its set).
  const auto held =
      calibration::leave_one_system_out(data.points, timings, calibration.calibrations, specs);
  out << "\nAll-to-all per system: in-sample, and held aside (the system left out of the fit and "
         "predicted); MAE / largest error\n";
  Table summary(
      {"kernel on set", "system", "points", "in-sample", "held aside: predicted by", "held aside"});
  for (const auto& [key, stats] : per_system) {
    std::vector<std::pair<std::string, ErrorStats>> predictions;
    for (const auto& h : held)
      if (h.system == key.second && !h.points.empty() &&
          h.points.front().point->kernel + " on " +
                  calibration::set_of(specs, *h.points.front().point).name ==
              key.first) {
        ErrorStats s;
        for (const auto& r : h.points)
          if (!r.point->excluded) s.add(r.relative_error);
        predictions.emplace_back(h.predictor, s);
      }
    if (predictions.empty())
      predictions.emplace_back("- (no other system with this kernel)", ErrorStats{});
    bool first = true;
    for (const auto& [predictor, s] : predictions) {
      summary.add_row({first ? key.first : "", first ? key.second : "",
                       first ? std::to_string(stats.count) : "", first ? stats.text() : "",
                       predictor, s.text()});
      first = false;
      if (s.count > 0)
        targets.check(s.mean() <= kMaxHeldAsideMeanError,
                      fmt::format("all-to-all held aside: {} predicted by {}: MAE {:.1f} % > 15 %",
                                  key.second, predictor, s.mean() * 100));
    }
  }
  out << summary.render("  ");
  if (args.flag("terms")) print_term_ablation(out, data, timings, specs);

  std::size_t counted = 0, outside = 0;
  for (const auto& [set, stats] : per_set) {
    counted += stats.count;
    outside += stats.outside;
    targets.check(
        stats.mean() <= kMaxMeanError,
        fmt::format("all-to-all in-sample: {}: MAE {:.1f} % > 8 %", set, stats.mean() * 100));
  }
  targets.check(outside == 0, fmt::format("all-to-all in-sample: {} of {} points outside +-15 %",
                                          outside, counted));
  out << fmt::format(
      "\nall-to-all: {} points counted ({} not counted), {} outside +-15 %; flow simulations "
      "{:.2f} s wall\n\n",
      counted, results.size() - counted, outside, simulate_seconds);
}

// ---- compute ----

void run_compute(std::ostream& out, const ParsedArgs& args, const std::string& configs,
                 Targets& targets, std::string& csv) {
  using calibration::ComputeOperation;
  const std::string generations_file = configs + "/validation/gpu-generations.yaml";
  const std::string path = configs + "/validation/compute-calibration.yaml";
  const std::vector<std::string> tables = calibration::default_compute_files(configs);
  const calibration::ComputeData data = calibration::load_compute_data(generations_file, tables);
  const std::uint64_t hash = calibration::hash_files(data.input_files);
  calibration::ComputeCalibrationFile file;
  if (args.flag("fit")) {
    file.inputs_hash = hash;
    file.fit = calibration::fit_compute(data);
    std::set<std::string> ids;
    for (const auto& point : data.points) ids.insert(point.data_id);
    calibration::write_compute_calibration_file(path, file,
                                                fit_note(ids, "configs/validation/compute/"));
    file = calibration::load_compute_calibration_file(path);
    out << "validate: fitted " << file.fit.generations.size() << " compute generations to "
        << data.points.size() << " compute points, wrote " << path << "\n\n";
  } else {
    file = calibration::load_compute_calibration_file(path);
    if (file.inputs_hash != hash)
      throw InputError(path +
                       ": stale: the compute tables, generations, hardware or model files "
                       "changed since the fit (hash " +
                       fmt::format("{:016x}", hash) + " vs " +
                       fmt::format("{:016x}", file.inputs_hash) + "); run `moesim validate --fit`");
  }
  const std::string apply = args.value_or("calibration-system", "");
  bool apply_generation = false;
  for (const auto& generation : file.fit.generations)
    apply_generation = apply_generation || generation.costs.generation == apply;
  auto costs_for = [&](const calibration::ComputeFit& fit, std::size_t gpu) {
    const std::string& generation = apply_generation ? apply : data.gpus[gpu].generation;
    return calibration::find_generation(fit, generation).costs;
  };
  // Held aside: every measured GPU predicted by the fit without it.
  std::map<std::string, calibration::ComputeFit> held;
  for (const auto& gpu : data.gpus)
    if (gpu.measured) held.emplace(gpu.key, calibration::fit_compute(data, gpu.key));

  using Key = std::pair<std::size_t, std::size_t>;  // operation, gpu
  std::map<Key, ErrorStats> in_sample, held_aside;
  std::array<ErrorStats, calibration::kComputeOperationCount> per_operation;
  std::vector<std::string> misses;
  for (const auto& point : data.points) {
    const double predicted =
        calibration::predict_seconds(point, data, costs_for(file.fit, point.gpu));
    const double error = (predicted - point.measured_seconds) / point.measured_seconds;
    const double loso = (calibration::predict_seconds(
                             point, data, costs_for(held.at(data.gpus[point.gpu].key), point.gpu)) -
                         point.measured_seconds) /
                        point.measured_seconds;
    const auto op = static_cast<std::size_t>(point.operation);
    in_sample[{op, point.gpu}].add(error);
    held_aside[{op, point.gpu}].add(loso);
    per_operation[op].add(error);
    csv += fmt::format("compute,{},{},{},{},{},{},,,{:.6f},,{:.6f},{:.6f},0\n",
                       csv_field(point.data_id), csv_field(point.label),
                       calibration::to_string(point.operation), data.gpus[point.gpu].key,
                       costs_for(file.fit, point.gpu).generation, "-", point.measured_seconds * 1e6,
                       predicted * 1e6, error * 100);
    if (std::abs(error) > kMaxPointError || args.flag("all-points"))
      misses.push_back(fmt::format("  {} {} {}: measured {:.1f} us, calibrated {:.1f} us, {}{}",
                                   data.gpus[point.gpu].key,
                                   calibration::to_string(point.operation), point.label,
                                   point.measured_seconds * 1e6, predicted * 1e6, percent(error),
                                   std::abs(error) > kMaxPointError ? "  OUTSIDE +-15 %" : ""));
  }
  out << "Compute: measured per-operation decode kernels (DeepSeek-V3 shapes) vs the fitted forms"
      << (apply_generation ? " (generation '" + apply + "' applied to every GPU)" : "") << "\n";
  Table summary({"operation", "GPU (generation)", "points", "in-sample MAE / max", "outside +-15 %",
                 "held aside (GPU left out) MAE / max"});
  for (std::size_t op = 0; op < calibration::kComputeOperationCount; ++op) {
    bool first = true;
    for (std::size_t g = 0; g < data.gpus.size(); ++g) {
      const auto found = in_sample.find({op, g});
      if (found == in_sample.end()) continue;
      const ErrorStats& loso = held_aside.at({op, g});
      summary.add_row(
          {first ? std::string(calibration::to_string(static_cast<ComputeOperation>(op))) : "",
           data.gpus[g].key + " (" + data.gpus[g].generation + ")",
           std::to_string(found->second.count), found->second.text(),
           std::to_string(found->second.outside), loso.text()});
      first = false;
      targets.check(loso.mean() <= kMaxHeldAsideMeanError,
                    fmt::format("compute held aside: {} {}: MAE {:.1f} % > 15 %", data.gpus[g].key,
                                calibration::to_string(static_cast<ComputeOperation>(op)),
                                loso.mean() * 100));
    }
    const ErrorStats& all = per_operation[op];
    if (all.count == 0) continue;
    summary.add_row(
        {"", "all", std::to_string(all.count), all.text(), std::to_string(all.outside), ""});
    summary.add_rule();
    const auto name = calibration::to_string(static_cast<ComputeOperation>(op));
    targets.check(all.mean() <= kMaxMeanError,
                  fmt::format("compute in-sample: {}: MAE {:.1f} % > 8 %", name, all.mean() * 100));
    targets.check(all.outside == 0,
                  fmt::format("compute in-sample: {}: {} of {} points outside +-15 %", name,
                              all.outside, all.count));
  }
  out << summary.render("  ");
  if (!misses.empty()) {
    out << (args.flag("all-points") ? "every compute point:\n"
                                    : "compute points outside +-15 % (in-sample):\n");
    for (const std::string& line : misses) out << line << '\n';
  }
  out << "\ncompute costs (" << path << "):\n";
  Table parameters({"generation", "attention: fixed, f_p, f_kv, f_att, k_s",
                    "experts: fixed, k_L, f_bw, f_fl, p", "GEMM: fixed, k_K, f_bw, f_fl"});
  for (const auto& generation : file.fit.generations) {
    const workloads::ComputeCosts& c = generation.costs;
    parameters.add_row(
        {c.generation,
         fmt::format("{:.1f} us, {:.3f}, {:.3f}, {:.3f}, {:.3f} ns",
                     c.attention.fixed_seconds * 1e6, c.attention.projection_flops_fraction,
                     c.attention.kv_bandwidth_fraction, c.attention.attention_flops_fraction,
                     c.attention.seconds_per_context_token * 1e9),
         fmt::format("{:.1f} us, {:.3f} us, {:.3f}, {:.3f}, {:.2f}", c.experts.fixed_seconds * 1e6,
                     c.experts.seconds_per_local_expert * 1e6, c.experts.bandwidth_fraction,
                     c.experts.flops_fraction, c.experts.norm_exponent),
         fmt::format("{:.1f} us, {:.3f} ns, {:.3f}, {:.3f}", c.gemm.fixed_seconds * 1e6,
                     c.gemm.seconds_per_reduction_element * 1e9, c.gemm.bandwidth_fraction,
                     c.gemm.flops_fraction)});
  }
  out << parameters.render("  ");
}

int run_validate(const ParsedArgs& args, CommandContext& context) {
  const std::string configs = args.value_or("configs", configs_directory(context));
  if (const auto path = args.value("csv")) {
    // Every input of validate lives under <configs>/validation/: --csv may not name one of them.
    std::vector<std::string> inputs;
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(configs + "/validation", error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error))
      if (it->is_regular_file(error)) inputs.push_back(it->path().string());
    check_output_path("--csv", *path, inputs);
  }
  std::ostream& out = context.out;
  Targets targets;
  std::string csv =
      "group,data_id,case,kernel_or_operation,system_or_gpu,set,phase,gpus,tokens_per_gpu,"
      "measured_us,ideal_us,calibrated_us,error_percent,excluded\n";
  run_all_to_all(out, args, configs, targets, csv);
  run_compute(out, args, configs, targets, csv);
  if (const auto path = args.value("csv")) write_file_atomically(*path, csv);
  out << "\ntargets: in-sample every counted point within +-15 % and MAE <= 8 % per group; held "
         "aside (leave one system out) MAE <= 15 % per system: "
      << (targets.misses.empty() ? "met" : "NOT met") << '\n';
  for (const std::string& miss : targets.misses) out << "  not met: " << miss << '\n';
  return targets.misses.empty() ? 0 : static_cast<int>(ExitCode::TargetsNotMet);
}

}  // namespace

extern const CommandSpec validate_command{
    .name = "validate",
    .summary = "compare the calibrated all-to-all and compute models with published measurements",
    .usage =
        "[--fit] [--calibration-system SET] [--terms] [--all-points] [--csv FILE] "
        "[--configs DIR]",
    .description =
        "All-to-all: runs every measured case in configs/validation/measurements/ (DeepEP "
        "low-latency on\n"
        "H800 + InfiniBand and on H100/H200/B200 NVLink nodes, TensorRT-LLM multi-node NVLink on "
        "GB200 NVL72,\n"
        "NCCL) through the flow model with the fitted kernel costs of "
        "configs/validation/kernel-calibration.yaml.\n"
        "Compute: every measured kernel time in configs/validation/compute/ (attention module, "
        "routed experts,\n"
        "dense GEMMs on H100, H200, B200, GB200, GB300) against the fitted forms of\n"
        "configs/validation/compute-calibration.yaml. Prints in-sample errors and held-aside ones "
        "(each system\n"
        "left out of the fit and predicted), per system. --fit re-fits both files. Exit code 0 "
        "when every target\n"
        "is met, 4 when not, 2 when a parameter file is stale (data changed since the fit).",
    .options = {{"fit", "", "re-fit the kernel and compute costs and rewrite both parameter files"},
                {"calibration-system", "SET",
                 "apply the fitted set SET (a kernel set such as hopper or gb200-nvl72, or a "
                 "compute generation such as blackwell) to every point it can serve: how well it "
                 "transfers"},
                {"terms", "",
                 "also show which all-to-all cost terms pay their way (held-aside "
                 "fits with and without each)"},
                {"all-points", "", "list every compute point, not only those outside +-15 %"},
                {"csv", "FILE", "also write every point as CSV (for plots)"},
                {"configs", "DIR",
                 "the configs/ directory (default: found as for the other commands)"}},
    .min_positional = 0,
    .max_positional = 0,
    .run = run_validate,
};

}  // namespace moesim::cli
