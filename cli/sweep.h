#pragma once
// Parameter sweeps: the cartesian product of `--vary KEY=V1,V2,...` axes over a scenario, evaluated
// on `jobs` threads, written as CSV or JSON lines.
//
// Durability: every finished point is appended (one complete line, flushed) to OUT.partial; at the
// end the rows are sorted by point index and OUT is written atomically (temporary file + rename),
// then OUT.partial is removed. A killed sweep is resumed by running the same command again: points
// found in OUT.partial (or OUT) are skipped, a torn last line is discarded. Rows are checked
// against the axes, so resuming with different --vary values is an error rather than a silent mix,
// and (SweepEvaluator::settings) the first and last resumed rows against the settings the command
// gives them now, so is resuming with another scenario or other --set values.
// Sharding: `--shard i/n` (0 <= i < n) evaluates the points whose index % n == i, so n machines
// (Slurm job arrays: i = $SLURM_ARRAY_TASK_ID) split a sweep; `merge` combines their outputs into
// what one unsharded run writes, byte for byte (rows are deterministic and sorted by point index).
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/report.h"

namespace moesim::cli {

struct SweepAxis {
  std::string key;  // as given: "batch_per_gpu" or "decode.batch_per_gpu" or "fabric"
  std::vector<std::string> values;
};
SweepAxis parse_axis(const std::string& text);  // "KEY=V1,V2,..."; throws UsageError

// Output columns: "point", then one "vary.KEY" column per axis (the value as given), then the
// evaluator's columns, then "error" (empty, or why the point could not be evaluated).
struct SweepPoint {
  std::size_t index = 0;            // position in the cartesian product (first axis varies slowest)
  std::vector<std::string> values;  // one per axis
};
// At most kMaxSweepPoints points (UsageError beyond): the sweep holds every point and row (about a
// kilobyte each) in memory, and 100,000 simulations already take days.
inline constexpr std::size_t kMaxSweepPoints = 100'000;
std::vector<SweepPoint> cartesian_points(const std::vector<SweepAxis>& axes);

struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;
  bool contains(std::size_t point) const { return point % count == index; }
};
Shard parse_shard(const std::string& text);  // "i/n"; throws UsageError

enum class SweepFormat { Csv, JsonLines };
// From --format (csv | jsonl) if given, else from the output's extension (.csv, .jsonl, .json).
SweepFormat sweep_format(const std::string& output, const std::optional<std::string>& format);

// What is measured at each point. evaluate() is called concurrently from several threads.
class SweepEvaluator {
 public:
  virtual ~SweepEvaluator() = default;
  virtual std::vector<std::string> columns() const = 0;
  virtual bool is_text(const std::string& column) const = 0;  // quoted in JSON
  // One value per column; throw input::InputError or InputError for a point that cannot be
  // evaluated (recorded in the row's `error` column; the sweep goes on, and exits with code 2 at
  // the end). A rerun evaluates the points that failed again.
  virtual std::vector<std::string> evaluate(const std::vector<SweepAxis>& axes,
                                            const SweepPoint& point) = 0;
  // The settings a point's row records (column, value), as evaluate() would write them now, worked
  // out without evaluating: a row resumed from an earlier run must hold them (else that run had
  // another scenario or other --set values). Empty: nothing to check.
  virtual NamedValues settings(const std::vector<SweepAxis>&, const SweepPoint&) const {
    return {};
  }
};

// Simulates the scenario with the point's values as overrides and reports named_values().
class ScenarioEvaluator final : public SweepEvaluator {
 public:
  ScenarioEvaluator(std::string scenario_file, std::vector<ScenarioOverride> base_overrides);
  std::vector<std::string> columns() const override;
  bool is_text(const std::string& column) const override;
  std::vector<std::string> evaluate(const std::vector<SweepAxis>& axes,
                                    const SweepPoint& point) override;
  NamedValues settings(const std::vector<SweepAxis>& axes, const SweepPoint& point) const override;

 private:
  Scenario load(const std::vector<SweepAxis>& axes, const SweepPoint& point) const;
  std::string scenario_file_;
  std::vector<ScenarioOverride> base_overrides_;
};

struct SweepOptions {
  std::string output;
  SweepFormat format = SweepFormat::Csv;
  std::size_t jobs = 1;
  Shard shard;
  // progress bar on stderr (drawn when stderr is a terminal, else a log line per 10 %)
  bool progress = true;
};

struct SweepSummary {
  std::size_t points = 0;        // in the whole product
  std::size_t shard_points = 0;  // in this shard
  std::size_t resumed = 0;       // already present, skipped
  std::size_t evaluated = 0;     // evaluated now
  std::size_t failed = 0;        // rows with an error
  bool complete = false;         // OUT was written
};

SweepSummary run_sweep(const std::vector<SweepAxis>& axes, SweepEvaluator& evaluator,
                       const SweepOptions& options);

// The output's format as run_sweep writes it, for commands that read a finished sweep back and
// rewrite it (`search` fills its `pareto` column after the last point): the CSV header line, and
// one row (CSV or JSON line, without the newline).
std::string sweep_header(const std::vector<SweepAxis>& axes, const SweepEvaluator& evaluator);
std::string sweep_row(SweepFormat format, const std::vector<SweepAxis>& axes,
                      const SweepEvaluator& evaluator, const SweepPoint& point,
                      const std::vector<std::string>& values, const std::string& error);

// A row read back from a sweep output: every field by column name ("point", "vary.KEY", the
// evaluator's columns, "error"), as written (a JSON null or an empty CSV field is "").
struct SweepRow {
  std::size_t point = 0;
  std::map<std::string, std::string, std::less<>> fields;
  const std::string& at(std::string_view column) const;  // "" if absent
};
// The rows of a complete sweep output (OUT, or a merged file), in file order. Throws InputError.
std::vector<SweepRow> read_sweep_rows(const std::string& path, SweepFormat format);

// Combines sweep outputs (shards, or partial files) into one sorted file, written atomically. All
// inputs must have the same columns; a point present twice must have identical rows. The output
// may not be one of the inputs; an input may not be a directory.
struct MergeSummary {
  std::size_t rows = 0;
  std::size_t failed = 0;  // rows with an error
};
MergeSummary merge_sweeps(const std::vector<std::string>& inputs, const std::string& output,
                          SweepFormat format);

}  // namespace moesim::cli
