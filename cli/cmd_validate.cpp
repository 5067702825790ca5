// `moesim validate`: runs every calibration case (configs/validation/measurements/*.yaml) through
// the flow model, applies the fitted kernel costs (configs/validation/kernel-calibration.yaml) and
// prints simulated vs measured with the error; `--fit` re-fits the kernel costs by least squares
// and rewrites that file (docs/validation.md).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <ostream>
#include <set>
#include <sstream>

#include "calibration/calibration.h"
#include "cli/cli.h"
#include "cli/paths.h"
#include "cli/text.h"

namespace moesim::cli {

namespace {

// The calibration targets (docs/validation.md): every point within +-15 %.
constexpr double kMaxPointError = 0.15;
constexpr double kMaxMeanError = 0.08;  // and a mean absolute error <= 8 %

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

std::string fit_note(std::span<const calibration::CalibrationPoint> points) {
  std::set<std::string> ids;
  for (const auto& point : points)
    if (!point.excluded) ids.insert(point.data_id);
  std::string note = "fitted by `moesim validate --fit` on " + today_utc() + " to";
  const char* separator = " ";
  for (const std::string& id : ids) {
    note += separator + id;
    separator = ", ";
  }
  return note + " (configs/validation/measurements/)";
}

std::string csv_line(const calibration::PointResult& result) {
  const auto& point = *result.point;
  return fmt::format(
      "{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{}\n", csv_field(point.data_id),
      csv_field(point.label), point.kernel, point.system, calibration::to_string(point.phase),
      point.gpus, point.tokens_per_gpu, point.measured_seconds * 1e6, result.ideal_seconds * 1e6,
      result.calibrated_seconds * 1e6, result.relative_error * 100, point.excluded ? 1 : 0);
}

int run_validate(const ParsedArgs& args, CommandContext& context) {
  const std::string configs = args.value_or("configs", configs_directory(context));
  const std::vector<std::string> measurement_files =
      calibration::default_measurement_files(configs);
  const std::string systems_file = configs + "/validation/systems.yaml";
  const std::string calibration_path = configs + "/validation/kernel-calibration.yaml";
  std::vector<std::string> hashed = measurement_files;
  hashed.push_back(systems_file);
  const std::uint64_t inputs_hash = calibration::hash_files(hashed);

  const calibration::CalibrationData data = calibration::load_calibration_data(measurement_files);
  const calibration::SystemCatalogue systems(systems_file);
  const auto started = std::chrono::steady_clock::now();
  const auto timings = calibration::simulate_points(systems, data.points);
  const double simulate_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  calibration::CalibrationFile calibration;
  std::ostream& out = context.out;
  if (args.flag("fit")) {
    const calibration::FitReport report = calibration::fit_calibrations(data.points, timings);
    calibration.inputs_hash = inputs_hash;
    calibration.calibrations = report.calibrations;
    calibration::write_calibration_file(calibration_path, calibration, fit_note(data.points));
    // Evaluate what was written (rounded to the file's precision), exactly as a later run will read
    // it.
    calibration = calibration::load_calibration_file(calibration_path);
    out << "validate: fitted " << calibration.calibrations.size() << " parameter sets to "
        << report.fitted_points << " points, wrote " << calibration_path << "\n\n";
  } else {
    calibration = calibration::load_calibration_file(calibration_path);
    if (calibration.inputs_hash != inputs_hash)
      throw InputError(calibration_path +
                       ": stale: the measurement or system files changed since the fit (hash " +
                       fmt::format("{:016x}", inputs_hash) + " vs " +
                       fmt::format("{:016x}", calibration.inputs_hash) +
                       "); run `moesim validate --fit`");
  }

  const auto results = calibration::evaluate_points(data.points, timings, calibration.calibrations);
  if (const auto csv = args.value("csv")) {
    std::string text =
        "data_id,case,kernel,system,phase,gpus,tokens_per_gpu,measured_us,ideal_us,calibrated_us,"
        "error_percent,"
        "excluded\n";
    for (const auto& result : results) text += csv_line(result);
    write_file_atomically(*csv, text);
  }

  Table table({"case", "measured us", "ideal fluid us", "calibrated us", "error"});
  std::string current_id;
  double sum_abs = 0, max_abs = 0;
  std::size_t counted = 0, outside = 0;
  // footnotes: why a point is shown but neither fitted nor counted
  std::vector<std::string> exclusions;
  for (const auto& result : results) {
    const auto& point = *result.point;
    if (point.data_id != current_id) {
      if (!current_id.empty()) table.add_rule();
      table.add_row(
          {point.data_id + " (" + point.kernel + " on " + point.system + ")", "", "", "", ""});
      current_id = point.data_id;
    }
    std::string error = fmt::format("{:+.1f} %", result.relative_error * 100);
    if (point.excluded) {
      exclusions.push_back(point.label + ": " + point.exclusion_reason);
      error += fmt::format("  excluded [{}]", exclusions.size());
    } else {
      ++counted;
      sum_abs += std::abs(result.relative_error);
      max_abs = std::max(max_abs, std::abs(result.relative_error));
      if (std::abs(result.relative_error) > kMaxPointError) {
        ++outside;
        error += "  OUTSIDE +-15 %";
      }
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

  out << "\nkernel costs (" << calibration_path << "):\n";
  Table parameters({"kernel on system", "dispatch fixed", "combine fixed", "alltoall fixed",
                    "scale-up bw fraction", "scale-out bw fraction"});
  for (const auto& kernel : calibration.calibrations) {
    auto fixed = [&](calibration::CommPhase phase) {
      const auto p = static_cast<std::size_t>(phase);
      return kernel.phase_fitted[p] ? fmt::format("{:.2f} us", kernel.fixed_seconds[p] * 1e6)
                                    : std::string("-");
    };
    parameters.add_row(
        {kernel.kernel + " on " + kernel.system, fixed(calibration::CommPhase::Dispatch),
         fixed(calibration::CommPhase::Combine), fixed(calibration::CommPhase::AllToAll),
         kernel.scale_up_fitted ? fmt::format("{:.4f}", kernel.scale_up_fraction) : "-",
         kernel.scale_out_fitted ? fmt::format("{:.4f}", kernel.scale_out_fraction) : "-"});
  }
  out << parameters.render("  ");
  const double mean_abs = counted ? sum_abs / static_cast<double>(counted) : 0;
  const bool met = outside == 0 && mean_abs <= kMaxMeanError;
  out << fmt::format(
      "\n{} points counted ({} excluded): mean absolute error {:.1f} % (target <= 8 %), largest "
      "{:.1f} % "
      "(target <= 15 %), {} outside +-15 %: targets {}\n",
      counted, results.size() - counted, mean_abs * 100, max_abs * 100, outside,
      met ? "met" : "NOT met");
  out << fmt::format("flow simulations: {:.2f} s wall\n", simulate_seconds);
  return met ? 0 : static_cast<int>(ExitCode::TargetsNotMet);
}

}  // namespace

extern const CommandSpec validate_command{
    .name = "validate",
    .summary = "compare the calibrated flow model with published all-to-all measurements",
    .usage = "[--fit] [--csv FILE] [--configs DIR]",
    .description =
        "Runs every measured case in configs/validation/measurements/ (DeepEP on H800 + "
        "InfiniBand, TensorRT-LLM\n"
        "multi-node NVLink all-to-all on GB200 NVL72, NCCL all-to-all) through the flow model, "
        "adds the fitted\n"
        "kernel costs of configs/validation/kernel-calibration.yaml and prints measured, "
        "ideal-fluid and\n"
        "calibrated times with the error. --fit re-fits those costs (least squares on relative "
        "error) and\n"
        "rewrites the file. Exit code 0 when every counted point is within 15 % and the mean error "
        "within 8 %,\n"
        "3 when not, 2 when the parameter file is stale (data changed since the fit).",
    .options = {{"fit", "",
                 "re-fit the kernel costs and rewrite configs/validation/kernel-calibration.yaml"},
                {"csv", "FILE", "also write every point as CSV (for plots)"},
                {"configs", "DIR",
                 "the configs/ directory (default: found as for the other commands)"}},
    .min_positional = 0,
    .max_positional = 0,
    .run = run_validate,
};

}  // namespace moesim::cli
