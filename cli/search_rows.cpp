#include "cli/search_rows.h"

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "cli/cli.h"
#include "cli/search_space.h"
#include "cli/text.h"
#include "workloads/decode_config.h"

namespace moesim::cli::search_detail {

namespace fs = std::filesystem;

namespace {

double number_or_zero(const std::string& text) {
  if (text.empty()) return 0;
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    return 0;
  }
}

std::uint32_t count_or_zero(const std::string& text) {
  return static_cast<std::uint32_t>(number_or_zero(text));
}

}  // namespace

SearchFigures figures_of(const SweepRow& row, std::string_view prefix) {
  auto value = [&](std::string_view name) {
    return number_or_zero(row.at(fmt::format("{}{}", prefix, name)));
  };
  return {value("tpot_us"), value("per_user_tokens_per_second"), value("tokens_per_second_per_gpu"),
          value("tokens_per_second_per_node")};
}

SearchPoint point_of(const SweepRow& row, std::size_t group) {
  SearchPoint point;
  point.index = row.point;
  point.group = group;
  const std::string& status = row.at("status");
  point.status = status == kSimulated    ? SearchPoint::Status::Simulated
                 : status == kDoesNotFit ? SearchPoint::Status::DoesNotFit
                 : status == kInvalid    ? SearchPoint::Status::Invalid
                                         : SearchPoint::Status::Error;
  point.reason = point.status == SearchPoint::Status::Error ? row.at("error") : row.at("reason");
  point.ep_size = count_or_zero(row.at("ep_size"));
  point.batch_per_gpu = count_or_zero(row.at("batch_per_gpu"));
  point.mtp_draft_tokens = count_or_zero(row.at("mtp_draft_tokens"));
  point.nodes = count_or_zero(row.at("nodes"));
  point.dispatch_mode = row.at("dispatch_mode");
  point.two_micro_batch_overlap = row.at("two_micro_batch_overlap") == "true";
  point.largest_batch_per_gpu = count_or_zero(row.at("largest_batch_per_gpu"));
  point.headroom_bytes_per_gpu = number_or_zero(row.at("headroom_bytes_per_gpu"));
  if (!row.at("usd_per_gpu_hour").empty())
    point.usd_per_gpu_hour = number_or_zero(row.at("usd_per_gpu_hour"));
  point.gpu_power_watts = number_or_zero(row.at("gpu_power_watts"));
  point.search = figures_of(row, "");
  return point;
}

std::string exact_output_path(const std::string& output) {
  const fs::path path(output);
  return (path.parent_path() /
          fmt::format("{}.exact{}", path.stem().string(), path.extension().string()))
      .string();
}

void rewrite_rows(const std::string& output, SweepFormat format, const std::vector<SweepAxis>& axes,
                  const SweepEvaluator& evaluator, const std::vector<SweepRow>& rows,
                  const std::vector<SearchPoint>& points,
                  const std::optional<SearchNetwork>& exact) {
  const std::vector<std::string> columns = evaluator.columns();
  const std::vector<SweepPoint> cartesian = cartesian_points(axes);
  std::string content = format == SweepFormat::Csv ? sweep_header(axes, evaluator) + "\n" : "";
  for (const SweepRow& row : rows) {
    const SearchPoint& point = points.at(row.point);
    std::map<std::string, std::string, std::less<>> fields = row.fields;
    for (const std::string& column : kFrontColumns) fields[column].clear();
    if (point.status == SearchPoint::Status::Simulated)
      fields["pareto"] = point.pareto ? "true" : "false";
    if (point.exact && exact) {
      fields["exact_network"] = exact->network;
      fields["exact_simulated_moe_layers"] = row.at("exact_simulated_moe_layers");
      fields["exact_tpot_us"] = exact_number(point.exact->tpot_us);
      fields["exact_per_user_tokens_per_second"] =
          exact_number(point.exact->per_user_tokens_per_second);
      fields["exact_tokens_per_second_per_gpu"] =
          exact_number(point.exact->tokens_per_second_per_gpu);
      fields["exact_tokens_per_second_per_node"] =
          exact_number(point.exact->tokens_per_second_per_node);
      if (const auto cost = point.usd_per_million_tokens())
        fields["exact_usd_per_million_tokens"] = exact_number(*cost);
    }
    std::vector<std::string> values;
    for (const std::string& column : columns) values.push_back(fields[column]);
    content +=
        sweep_row(format, axes, evaluator, cartesian.at(row.point), values, fields["error"]) + "\n";
  }
  write_file_atomically(output, content);
}

void check_network(const std::vector<SweepRow>& rows, const std::string& file,
                   const std::function<const scenario::Scenario&(const SweepRow&)>& expected) {
  for (const SweepRow& row : rows) {
    if (row.at("status") != kSimulated) continue;
    const Scenario& scenario = expected(row);
    const std::string network(to_string(scenario.decode.network));
    const std::uint32_t sampled = scenario.decode.sampled_moe_layers;
    const std::string layers = std::to_string(sampled ? sampled : scenario.model.moe_layer_count());
    if (row.at("network") != network || row.at("simulated_moe_layers") != layers)
      throw InputError(fmt::format(
          "{}: point {} was simulated with the {} network and {} MoE layers, this search uses {} "
          "and {}; remove the file or choose another --out",
          file, row.point, row.at("network"), row.at("simulated_moe_layers"), network, layers));
    if (scenario.decode.network != workloads::NetworkKind::Fast) continue;
    // The epoch fraction changes a fast point's answer; `auto` resolves by the point's class, and
    // the row says how many scale-up domains the point spanned.
    const std::string fraction = exact_number(
        workloads::fast_epoch_fraction_for(scenario.decode, count_or_zero(row.at("nodes"))));
    if (row.at("fast_epoch_fraction") != fraction)
      throw InputError(fmt::format(
          "{}: point {} was simulated with fast_epoch_fraction {}, this search uses {}; remove "
          "the file or choose another --out",
          file, row.point,
          row.at("fast_epoch_fraction").empty() ? "(not recorded)" : row.at("fast_epoch_fraction"),
          fraction));
  }
}

}  // namespace moesim::cli::search_detail
