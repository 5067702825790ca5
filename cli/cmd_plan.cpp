// `moesim plan`: the memory-fit table (the article's rows reproduced, its disagreements flagged,
// extensions), and for a scenario the planner's question: the largest batch per GPU at a context
// length, and what it yields.
#include <fmt/format.h>

#include <cmath>
#include <ostream>

#include "cli/claim/plan.h"
#include "cli/cli.h"
#include "cli/paths.h"
#include "cli/planner.h"
#include "cli/text.h"
#include "input/mapping.h"

namespace moesim::cli {

namespace {

// Raw figures in billions (as the article prints them: "836B", "3,048B"), reserved ones in
// trillions ("2.13T").
std::string billions(double count) {
  return fmt::format("{}B", with_commas(count / 1e9, 1));
}
std::string trillions(double count) {
  return fmt::format("{:.2f}T", count / 1e12);
}

std::string verdict(const std::optional<StatedFigure>& stated, const std::optional<bool>& matches) {
  if (!stated) return "-";
  return fmt::format("{} {}", stated->text, *matches ? "(matches)" : "(DIFFERS)");
}

void print_memory_fit(std::ostream& out, const MemoryFitTable& table, const std::string& file) {
  out << fmt::format(
      "Memory fit: P_max = M / (b (d + (1 - d) / N))  — every GPU holds the shared trunk (fraction "
      "d) whole and\n"
      "1/N of the routed experts; b = bytes per parameter. The article's d = {:.0f} %; the "
      "reserved column keeps\n"
      "{:.0f} % of memory for KV cache and activations, which is what reproduces its rows (it says "
      "{:.0f}-{:.0f} %).\n"
      "Rows and sources: {}\n\n",
      100 * table.trunk_fraction, 100 * table.reserve_fraction, 100 * table.stated_reserve_low,
      100 * table.stated_reserve_high, file);
  Table rendered({"row", "M/GPU", "N", "b", "P_max raw", "article raw",
                  fmt::format("reserve {:.0f}%", 100 * table.reserve_fraction), "article",
                  "implied reserve"});
  std::vector<std::string> notes;
  for (const MemoryFitRow& row : table.rows) {
    const MemoryFitResult result = evaluate_row(row, table.reserve_fraction);
    const std::string name = row.from_article ? row.name : row.name + " [extension]";
    rendered.add_row({name, fmt::format("{:g} GB", row.memory_bytes_per_gpu / 1e9),
                      fmt::format("{:g}", row.gpus), fmt::format("{:g}", row.bytes_per_parameter),
                      billions(result.raw_parameters), verdict(row.stated_raw, result.raw_matches),
                      trillions(result.reserved_parameters),
                      verdict(row.stated_reserved, result.reserved_matches),
                      result.implied_reserve_fraction
                          ? fmt::format("{:.1f} %", 100 * *result.implied_reserve_fraction)
                          : "-"});
    if (result.raw_matches && !*result.raw_matches && result.implied_trunk_fraction)
      notes.push_back(fmt::format(
          "{}: the formula gives {} but the article prints {} ({:+.1f} %); that figure needs d = "
          "{:.2f} % instead of {:.0f} %.",
          row.name, billions(result.raw_parameters), row.stated_raw->text,
          100 * (row.stated_raw->parameters - result.raw_parameters) / result.raw_parameters,
          100 * *result.implied_trunk_fraction, 100 * row.trunk_fraction));
    if (result.reserved_matches && !*result.reserved_matches)
      notes.push_back(fmt::format(
          "{}: with the {:.0f} % reserve the formula gives {}, the article prints {}: that figure "
          "implies a {:.1f} % reserve"
          "{}.",
          row.name, 100 * table.reserve_fraction, trillions(result.reserved_parameters),
          row.stated_reserved->text, 100 * *result.implied_reserve_fraction,
          *result.implied_reserve_fraction >= table.stated_reserve_low &&
                  *result.implied_reserve_fraction <= table.stated_reserve_high
              ? " (inside the 40-50 % it says it uses, unlike its other rows)"
              : " (neither the 30 % of its other rows nor the 40-50 % it says it uses)"));
  }
  out << rendered.render("  ");
  if (!notes.empty()) {
    out << "\n  Where the article disagrees with its own formula:\n";
    for (const std::string& note : notes) out << "  - " << note << "\n";
  }
  out << "\n  Sources of the rows:\n";
  for (const MemoryFitRow& row : table.rows)
    out << fmt::format("  - {}: {}{}\n", row.name, row.source,
                       row.from_article ? "" : " [extension, not in the article]");
  out << fmt::format(
      "  As N grows P_max tends to M / (b d): at d = {:.0f} % the trunk, not the expert count, "
      "caps the model.\n",
      100 * table.trunk_fraction);
}

int run_plan(const ParsedArgs& args, CommandContext& context) {
  const std::string table_file =
      args.value("table").value_or(configs_directory(context) + "/scenarios/plan-memory-fit.yaml");
  const input::Mapping table_map = input::Mapping::load_file(table_file);
  const MemoryFitTable table = load_memory_fit_table(table_map);
  print_memory_fit(context.out, table, table_file);
  if (!args.positional.empty()) {
    PlannerOptions options;
    const long long context_tokens = args.integer_or("context", 0);
    if (context_tokens < 0) throw UsageError("--context must be positive");
    options.context_tokens = static_cast<std::uint64_t>(context_tokens);
    for (const std::string& text : args.values("set"))
      options.overrides.push_back(parse_override(text));
    context.out << "\n";
    answer_planner_question(context.out, args.positional.front(), options);
  }
  return 0;
}

}  // namespace

extern const CommandSpec plan_command{
    .name = "plan",
    .summary =
        "capacity planning: the memory-fit table, and the largest batch per GPU for a scenario",
    .usage = "[SCENARIO] [--context TOKENS] [--set KEY=VALUE ...] [--table FILE]",
    .description =
        "Without a scenario: the article's memory-fit table (P_max = M / (b (d + (1 - d) / N))) "
        "reproduced row by\n"
        "row from configs/scenarios/plan-memory-fit.yaml, with the rows where the article "
        "disagrees with its own\n"
        "formula flagged, and extensions (CloudMatrix-384-like supernode, Vera Rubin NVL72) marked "
        "with sources.\n"
        "With a scenario: the trunk fraction d derived from its model, memory per GPU, the largest "
        "batch per GPU\n"
        "whose KV cache fits at the context length, and the per-user tokens/s and tokens/s per GPU "
        "that batch gives\n"
        "(simulated).",
    .options =
        {{"context", "TOKENS", "context length for the batch question (default: the scenario's)"},
         {"set", "KEY=VALUE", "override a scenario value (repeatable), e.g. ep_size=144", true},
         {"table", "FILE", "memory-fit rows (default configs/scenarios/plan-memory-fit.yaml)"}},
    .min_positional = 0,
    .max_positional = 1,
    .run = run_plan,
};

}  // namespace moesim::cli
