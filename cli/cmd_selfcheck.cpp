// `moesim selfcheck`: runs the engine's PHOLD benchmark model twice with the same seed, checks that
// both runs executed the identical event trace, and prints what it did and how fast (events per
// wall-clock second).
#include <fmt/format.h>

#include <chrono>
#include <ostream>

#include "bench/phold.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/text.h"

namespace moesim::cli {

namespace {

// Every LP keeps one event pending: about 50 bytes each in the engine (docs/performance.md), so
// 10 million LPs take about 500 MB. 10 billion events take a quarter of an hour or more, twice.
constexpr long long kMaxLps = 10'000'000;
constexpr long long kMaxEvents = 10'000'000'000;

int run_selfcheck(const ParsedArgs& args, CommandContext& context) {
  bench::PholdConfig config;
  const long long events = args.integer_or("events", 1'000'000);
  const long long lps = args.integer_or("lps", 10'000);
  const long long seed = args.integer_or("seed", 1);
  if (events < 1 || lps < 1 || seed < 0)
    throw UsageError("--events and --lps must be positive, --seed >= 0");
  if (lps > kMaxLps)
    throw UsageError(fmt::format(
        "--lps {}: that many logical processes keep as many events pending, about {:.1f} GB of "
        "memory; the limit is {} (about 0.5 GB)",
        with_commas(static_cast<double>(lps)), 50.0 * static_cast<double>(lps) / 1e9,
        with_commas(static_cast<double>(kMaxLps))));
  if (events > kMaxEvents)
    throw UsageError(fmt::format(
        "--events {}: two runs of that many events would take hours; the limit is {}",
        with_commas(static_cast<double>(events)), with_commas(static_cast<double>(kMaxEvents))));
  config.event_count = static_cast<std::uint64_t>(events);
  config.lp_count = static_cast<std::uint64_t>(lps);
  config.seed = static_cast<std::uint64_t>(seed);

  std::atomic<std::uint64_t> done{0};
  config.progress = &done;
  bench::PholdResult first, second;
  double first_seconds = 0;
  {
    const ProgressLine line("selfcheck (PHOLD, twice)", 2 * config.event_count, done);
    const auto started = std::chrono::steady_clock::now();
    first = bench::run_phold(config);
    first_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    second = bench::run_phold(config);
  }
  const bool reproducible = first.trace_hash == second.trace_hash &&
                            first.events_executed == second.events_executed &&
                            first.end_time == second.end_time;
  const double events_per_second = static_cast<double>(first.events_executed) / first_seconds;

  std::ostream& out = context.out;
  if (args.flag("json")) {
    out << fmt::format(
        "{{\"model\":\"phold\",\"lps\":{},\"events\":{},\"seed\":{},\"events_executed\":{},"
        "\"simulated_time_us\":{},\"trace_hash\":\"{:016x}\",\"pending_events\":{},\"bytes_per_"
        "pending_event\":{},"
        "\"wall_seconds\":{},\"events_per_second\":{},\"reproducible\":{}}}\n",
        config.lp_count, config.event_count, config.seed, first.events_executed,
        exact_number(first.end_time.microseconds()), first.trace_hash, first.pending_events,
        exact_number(first.bytes_per_pending_event), exact_number(first_seconds),
        exact_number(events_per_second), reproducible ? "true" : "false");
  } else {
    out << fmt::format(
        "selfcheck: PHOLD on one engine ({} logical processes, {} events, seed {})\n",
        with_commas(static_cast<double>(config.lp_count)), with_commas(static_cast<double>(events)),
        config.seed);
    Table table({"", "value"});
    table.add_row({"events executed", with_commas(static_cast<double>(first.events_executed))});
    table.add_row({"simulated time", fmt::format("{:.3f} us", first.end_time.microseconds())});
    table.add_row({"trace hash", fmt::format("{:016x}", first.trace_hash)});
    table.add_row(
        {"pending events at the end", with_commas(static_cast<double>(first.pending_events))});
    table.add_row(
        {"bytes per pending event", fmt::format("{:.1f}", first.bytes_per_pending_event)});
    table.add_row({"wall time", fmt::format("{:.3f} s", first_seconds)});
    table.add_row({"events per second", with_commas(events_per_second)});
    table.add_row({"second run, same seed",
                   reproducible ? "identical trace (same hash)" : "DIFFERENT trace"});
    out << table.render("  ");
  }
  return reproducible ? 0 : static_cast<int>(ExitCode::Internal);
}

}  // namespace

extern const CommandSpec selfcheck_command{
    .name = "selfcheck",
    .summary = "run the engine's PHOLD model twice: events, simulated time, trace hash, events/s",
    .usage = "[--events N] [--lps N] [--seed S] [--json]",
    .description =
        "PHOLD keeps a constant population of pending events (one per logical process); every "
        "event schedules one\n"
        "more after an exponential delay. Two runs with the same seed must execute the identical "
        "trace (exit 3\n"
        "if not). --json prints one machine-readable line for tracking the engine's speed "
        "(docs/simulator-speed.md).",
    .options = {{"events", "N", "events to execute (default 1000000)"},
                {"lps", "N", "logical processes = pending events (default 10000)"},
                {"seed", "S", "random seed (default 1)"},
                {"json", "", "one JSON object instead of the table"}},
    .min_positional = 0,
    .max_positional = 0,
    .run = run_selfcheck,
};

}  // namespace moesim::cli
