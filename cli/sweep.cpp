#include "cli/sweep.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>

#include "cli/cli.h"
#include "cli/report.h"
#include "cli/text.h"
#include "input/mapping.h"
#include "scenario/parallel.h"

namespace moesim::cli {

namespace fs = std::filesystem;

SweepAxis parse_axis(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size())
    throw UsageError(fmt::format("--vary expects KEY=V1,V2,..., got '{}'", text));
  SweepAxis axis{text.substr(0, equals), {}};
  std::string value;
  for (const char c : text.substr(equals + 1)) {
    if (c == ',') {
      axis.values.push_back(value);
      value.clear();
    } else {
      value += c;
    }
  }
  axis.values.push_back(value);
  for (const std::string& v : axis.values)
    if (v.empty()) throw UsageError(fmt::format("--vary {}: empty value in '{}'", axis.key, text));
  return axis;
}

std::vector<SweepPoint> cartesian_points(const std::vector<SweepAxis>& axes) {
  // Counted before any point is made: each axis is short enough, their product may not be.
  std::size_t count = 1;
  for (const SweepAxis& axis : axes) {
    if (axis.values.empty() || count > kMaxSweepPoints / axis.values.size())
      throw UsageError(fmt::format(
          "the --vary axes make more than {} points (the product of their value counts); split "
          "the sweep",
          kMaxSweepPoints));
    count *= axis.values.size();
  }
  std::vector<SweepPoint> points(count);
  for (std::size_t index = 0; index < count; ++index) {
    points[index].index = index;
    points[index].values.resize(axes.size());
    std::size_t rest = index;
    for (std::size_t a = axes.size(); a-- > 0;) {  // the last axis varies fastest
      points[index].values[a] = axes[a].values[rest % axes[a].values.size()];
      rest /= axes[a].values.size();
    }
  }
  return points;
}

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  try {
    if (slash != std::string::npos) {
      std::size_t used_index = 0, used_count = 0;
      const unsigned long index = std::stoul(text.substr(0, slash), &used_index);
      const unsigned long count = std::stoul(text.substr(slash + 1), &used_count);
      if (used_index == slash && used_count == text.size() - slash - 1 && count >= 1 &&
          index < count)
        return {index, count};
    }
  } catch (const std::exception&) {
  }
  throw UsageError(fmt::format("--shard expects I/N with 0 <= I < N (e.g. 0/4), got '{}'", text));
}

SweepFormat sweep_format(const std::string& output, const std::optional<std::string>& format) {
  if (format) {
    if (*format == "csv") return SweepFormat::Csv;
    if (*format == "jsonl") return SweepFormat::JsonLines;
    throw UsageError(fmt::format("--format expects csv or jsonl, got '{}'", *format));
  }
  const std::string extension = fs::path(output).extension().string();
  if (extension == ".csv") return SweepFormat::Csv;
  if (extension == ".jsonl" || extension == ".json") return SweepFormat::JsonLines;
  throw UsageError(fmt::format(
      "cannot tell the format of '{}' from its extension: use .csv or .jsonl, or --format",
      output));
}

ScenarioEvaluator::ScenarioEvaluator(std::string scenario_file,
                                     std::vector<ScenarioOverride> base_overrides)
    : scenario_file_(std::move(scenario_file)), base_overrides_(std::move(base_overrides)) {}

std::vector<std::string> ScenarioEvaluator::columns() const {
  return value_names();
}

bool ScenarioEvaluator::is_text(const std::string& column) const {
  return is_text_value(column);
}

Scenario ScenarioEvaluator::load(const std::vector<SweepAxis>& axes,
                                 const SweepPoint& point) const {
  std::vector<ScenarioOverride> overrides = base_overrides_;
  for (std::size_t a = 0; a < axes.size(); ++a) {
    ScenarioOverride override = parse_override(fmt::format("{}={}", axes[a].key, point.values[a]));
    overrides.push_back(std::move(override));
  }
  return load_scenario(scenario_file_, overrides);
}

NamedValues ScenarioEvaluator::settings(const std::vector<SweepAxis>& axes,
                                        const SweepPoint& point) const {
  return input_values(load(axes, point));
}

std::vector<std::string> ScenarioEvaluator::evaluate(const std::vector<SweepAxis>& axes,
                                                     const SweepPoint& point) {
  const Scenario scenario = load(axes, point);
  // Sweeps keep the cores busy with points (--jobs), not with a gating thread per point.
  const RunResult result = simulate(scenario, {.prefetch_gating = false});
  std::vector<std::string> values;
  for (auto& [name, value] : named_values(scenario, result)) values.push_back(std::move(value));
  return values;
}

namespace {

using RowFields = std::map<std::string, std::string, std::less<>>;
bool parse_json_row(std::string_view text, RowFields& fields);  // below, with read_sweep_rows

bool looks_numeric(const std::string& text) {
  if (text.empty()) return false;
  try {
    std::size_t used = 0;
    std::stod(text, &used);
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}

std::string json_value(const std::string& text, bool is_text) {
  if (is_text || (!text.empty() && !looks_numeric(text)))
    return fmt::format("\"{}\"", json_escape(text));
  return text.empty() ? "null" : text;
}

struct Layout {
  SweepFormat format;
  std::vector<SweepAxis> axes;
  std::vector<std::string> columns;
  const SweepEvaluator* evaluator;

  std::string header() const {
    std::string line = "point";
    for (const SweepAxis& axis : axes)
      line += fmt::format(",{}", csv_field(fmt::format("vary.{}", axis.key)));
    for (const std::string& column : columns) line += fmt::format(",{}", csv_field(column));
    return line + ",error";
  }
  // The start of a point's row: its index and axis values. Used to recognise (and check) resumed
  // rows.
  std::string prefix(const SweepPoint& point) const {
    std::string line = format == SweepFormat::Csv ? fmt::format("{}", point.index)
                                                  : fmt::format("{{\"point\":{}", point.index);
    for (std::size_t a = 0; a < axes.size(); ++a)
      line += format == SweepFormat::Csv ? fmt::format(",{}", csv_field(point.values[a]))
                                         : fmt::format(",\"vary.{}\":{}", json_escape(axes[a].key),
                                                       json_value(point.values[a], false));
    return line + ",";
  }
  std::string row(const SweepPoint& point, const std::vector<std::string>& values,
                  const std::string& error) const {
    std::string line = prefix(point);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::string value = c < values.size() ? values[c] : std::string();
      line +=
          format == SweepFormat::Csv
              ? csv_field(value) + ","
              : fmt::format("\"{}\":{},", json_escape(columns[c]),
                            json_value(value, evaluator->is_text(columns[c]) && !value.empty()));
    }
    return line +
           (format == SweepFormat::Csv
                ? csv_field(error)
                : fmt::format("\"error\":{}}}",
                              error.empty() ? "null" : fmt::format("\"{}\"", json_escape(error))));
  }
};

// The complete lines of a file (a torn last line, without its newline, is dropped). Missing file:
// empty.
std::vector<std::string> complete_lines(const std::string& path, bool& torn) {
  torn = false;
  std::error_code error;
  if (!fs::exists(path, error)) return {};
  const std::string content = read_file(path);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < content.size()) {
    const auto end = content.find('\n', start);
    if (end == std::string::npos) {
      torn = true;
      break;
    }
    lines.push_back(content.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// The point index a row starts with ("12,..." or {"point":12,...}); nullopt if it does not parse.
std::optional<std::size_t> row_point(const std::string& line, SweepFormat format) {
  std::string_view text = line;
  if (format == SweepFormat::JsonLines) {
    constexpr std::string_view kStart = "{\"point\":";
    if (!text.starts_with(kStart)) return std::nullopt;
    text.remove_prefix(kStart.size());
  }
  std::size_t index = 0, digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    index = index * 10 + (text[digits++] - '0');
  if (digits == 0 || digits >= text.size() || text[digits] != ',') return std::nullopt;
  return index;
}

// Whether a row's `error` column (the last) is filled in.
bool row_has_error(const std::string& line, SweepFormat format) {
  if (format == SweepFormat::JsonLines) return !line.ends_with("\"error\":null}");
  const std::vector<std::string> fields = split_csv_line(line);
  return !fields.empty() && !fields.back().empty();
}

// Rows already present in `path` (OUT or OUT.partial), checked against the layout; adds to `rows`.
void read_existing(const std::string& path, const Layout& layout,
                   const std::vector<SweepPoint>& points, std::map<std::size_t, std::string>& rows,
                   bool& torn) {
  std::vector<std::string> lines = complete_lines(path, torn);
  if (lines.empty()) return;
  std::size_t first = 0;
  if (layout.format == SweepFormat::Csv) {
    if (lines.front() != layout.header())
      throw InputError(fmt::format(
          "{}: its columns differ from this sweep's (different --vary keys or moesim version); "
          "remove it or choose another --out",
          path));
    first = 1;
  }
  for (std::size_t i = first; i < lines.size(); ++i) {
    const auto point = row_point(lines[i], layout.format);
    if (!point || *point >= points.size() || !lines[i].starts_with(layout.prefix(points[*point])))
      throw InputError(fmt::format(
          "{}:{}: row does not belong to this sweep (different --vary values?); remove the file "
          "or choose another --out",
          path, i + 1));
    rows.emplace(*point, lines[i]);
  }
}

class Progress {
 public:
  Progress(std::size_t total, std::size_t done, bool enabled)
      : total_(total),
        done_(done),
        enabled_(enabled),
        terminal_(::isatty(2) == 1),
        started_(std::chrono::steady_clock::now()) {
    draw();
  }
  void advance() {
    ++done_;
    draw();
  }
  void finish() {
    if (enabled_ && terminal_) std::fputs("\n", stderr);
  }

 private:
  void draw() {
    if (!enabled_ || total_ == 0) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const double fraction = static_cast<double>(done_) / static_cast<double>(total_);
    if (terminal_) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(fraction * kWidth);
      std::fprintf(stderr, "\r[%s%s] %zu/%zu points  %.0f s", std::string(filled, '#').c_str(),
                   std::string(kWidth - filled, '.').c_str(), done_, total_, elapsed);
      std::fflush(stderr);
    } else if (const int decile = static_cast<int>(fraction * 10); decile > last_decile_) {
      last_decile_ = decile;
      spdlog::info("sweep: {}/{} points ({:.0f} s)", done_, total_, elapsed);
    }
  }
  std::size_t total_, done_;
  bool enabled_, terminal_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point started_;
};

// A resumed row must come from the same scenario and fixed settings as this sweep, not only the
// same axes (which its prefix shows): the evaluator's settings of the first and last resumed
// points, worked out now, against what their rows recorded.
void check_resumed_settings(const std::map<std::size_t, std::string>& rows, const Layout& layout,
                            const std::vector<SweepPoint>& points, const SweepEvaluator& evaluator,
                            const std::string& output) {
  if (rows.empty()) return;
  const std::vector<std::string> header = split_csv_line(layout.header());
  for (const auto& [index, line] : {*rows.begin(), *rows.rbegin()}) {
    RowFields fields;
    if (layout.format == SweepFormat::JsonLines) {
      parse_json_row(line, fields);
    } else {
      const std::vector<std::string> values = split_csv_line(line);
      for (std::size_t c = 0; c < header.size() && c < values.size(); ++c)
        fields[header[c]] = values[c];
    }
    for (const auto& [column, value] : evaluator.settings(layout.axes, points[index])) {
      const auto found = fields.find(column);
      if (found == fields.end() || found->second == value) continue;
      throw InputError(fmt::format(
          "{}: point {} was evaluated with {} {}, this sweep gives {} (another scenario or other "
          "--set values?); remove the file or choose another --out",
          output, index, column, found->second, value));
    }
  }
}

void append_line(std::FILE* file, const std::string& line) {
  const std::string text = line + "\n";
  if (std::fwrite(text.data(), 1, text.size(), file) != text.size() || std::fflush(file) != 0)
    throw InputError("cannot append to the sweep's .partial file");
}

std::string join_rows(const std::string& header, const std::map<std::size_t, std::string>& rows) {
  std::string content = header.empty() ? "" : header + "\n";
  for (const auto& [point, line] : rows) content += line + "\n";
  return content;
}

}  // namespace

SweepSummary run_sweep(const std::vector<SweepAxis>& axes, SweepEvaluator& evaluator,
                       const SweepOptions& options) {
  if (axes.empty()) throw UsageError("a sweep needs at least one --vary KEY=V1,V2,...");
  const Layout layout{options.format, axes, evaluator.columns(), &evaluator};
  const std::vector<SweepPoint> points = cartesian_points(axes);
  const std::string partial = options.output + ".partial";
  SweepSummary summary;
  summary.points = points.size();
  for (const SweepPoint& point : points)
    summary.shard_points += options.shard.contains(point.index);

  std::map<std::size_t, std::string> rows;
  bool torn = false;
  read_existing(options.output, layout, points, rows, torn);
  read_existing(partial, layout, points, rows, torn);
  if (torn)
    spdlog::warn("{}: discarding a torn last line (the previous run was interrupted while writing)",
                 partial);
  std::erase_if(rows, [&](const auto& row) { return !options.shard.contains(row.first); });
  // A point that failed before is evaluated again (its input may have been fixed since).
  std::erase_if(rows, [&](const auto& row) { return row_has_error(row.second, options.format); });
  check_resumed_settings(rows, layout, points, evaluator, options.output);
  summary.resumed = rows.size();
  if (summary.resumed)
    spdlog::info("resuming: {} of {} points already done", summary.resumed, summary.shard_points);

  std::vector<const SweepPoint*> todo;
  for (const SweepPoint& point : points)
    if (options.shard.contains(point.index) && !rows.contains(point.index)) todo.push_back(&point);

  // Rewrite .partial with exactly the valid rows (drops a torn line), then append as points finish.
  const std::string csv_header =
      options.format == SweepFormat::Csv ? layout.header() : std::string();
  write_file_atomically(partial, join_rows(csv_header, rows));
  std::FILE* file = std::fopen(partial.c_str(), "ab");
  if (!file) throw InputError(fmt::format("{}: cannot open for appending", partial));

  std::mutex mutex;  // guards the file, rows, summary and progress
  Progress progress(summary.shard_points, summary.resumed, options.progress);
  auto evaluate = [&](std::size_t i) {
    const SweepPoint& point = *todo[i];
    std::vector<std::string> values;
    std::string error;
    try {
      values = evaluator.evaluate(axes, point);
    } catch (const input::InputError& problem) {
      error = problem.what();
    } catch (const scenario::OverrideError& problem) {
      error = problem.what();
    }
    const std::string line = layout.row(point, values, error);
    const std::lock_guard lock(mutex);
    append_line(file, line);
    if (!error.empty()) {
      ++summary.failed;
      spdlog::warn("point {} could not be evaluated: {}", point.index, error);
    }
    rows.emplace(point.index, line);
    ++summary.evaluated;
    progress.advance();
  };
  std::exception_ptr failure;
  try {
    scenario::parallel_for(todo.size(), std::max<std::size_t>(1, options.jobs), evaluate);
  } catch (...) {
    failure = std::current_exception();
  }
  progress.finish();
  ::fsync(::fileno(file));
  std::fclose(file);
  if (failure) std::rethrow_exception(failure);

  write_file_atomically(options.output, join_rows(csv_header, rows));
  fs::remove(partial);
  summary.complete = true;
  return summary;
}

MergeSummary merge_sweeps(const std::vector<std::string>& inputs, const std::string& output,
                          SweepFormat format) {
  if (inputs.empty()) throw UsageError("merge needs at least one input file");
  check_output_path("merge's output", output, inputs);
  std::string header;
  std::map<std::size_t, std::string> rows;
  for (const std::string& input : inputs) {
    bool torn = false;
    if (!fs::exists(input)) throw InputError(fmt::format("{}: cannot open file", input));
    const std::vector<std::string> lines = complete_lines(input, torn);
    if (torn) spdlog::warn("{}: ignoring a torn last line", input);
    std::size_t first = 0;
    if (format == SweepFormat::Csv && !lines.empty()) {
      if (header.empty()) header = lines.front();
      if (lines.front() != header)
        throw InputError(fmt::format("{}:1: columns differ from {}'s", input, inputs.front()));
      first = 1;
    }
    for (std::size_t i = first; i < lines.size(); ++i) {
      const auto point = row_point(lines[i], format);
      if (!point) throw InputError(fmt::format("{}:{}: not a sweep row", input, i + 1));
      const auto [existing, inserted] = rows.emplace(*point, lines[i]);
      if (!inserted && existing->second != lines[i])
        throw InputError(fmt::format("{}:{}: point {} differs from the same point in another input",
                                     input, i + 1, *point));
    }
  }
  if (!rows.empty() && rows.rbegin()->first + 1 != rows.size())
    spdlog::warn("merged {} rows but point indices reach {}: some points are missing", rows.size(),
                 rows.rbegin()->first);
  write_file_atomically(output, join_rows(header, rows));
  MergeSummary summary;
  summary.rows = rows.size();
  for (const auto& [point, line] : rows) summary.failed += row_has_error(line, format);
  return summary;
}

std::string sweep_header(const std::vector<SweepAxis>& axes, const SweepEvaluator& evaluator) {
  return Layout{SweepFormat::Csv, axes, evaluator.columns(), &evaluator}.header();
}

std::string sweep_row(SweepFormat format, const std::vector<SweepAxis>& axes,
                      const SweepEvaluator& evaluator, const SweepPoint& point,
                      const std::vector<std::string>& values, const std::string& error) {
  return Layout{format, axes, evaluator.columns(), &evaluator}.row(point, values, error);
}

const std::string& SweepRow::at(std::string_view column) const {
  static const std::string none;
  const auto found = fields.find(column);
  return found == fields.end() ? none : found->second;
}

namespace {

// The flat JSON object Layout::row writes: string keys; values are numbers, strings (escaped by
// json_escape) or null. Returns false if the line is not such an object.
bool parse_json_row(std::string_view text, RowFields& fields) {
  std::size_t i = 0;
  auto string = [&](std::string& out) {
    if (i >= text.size() || text[i] != '"') return false;
    for (++i; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] != '\\') {
        out += text[i];
        continue;
      }
      if (++i >= text.size()) return false;
      switch (text[i]) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          if (i + 4 >= text.size()) return false;
          out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 4)), nullptr, 16));
          i += 4;
          break;
        default:
          out += text[i];
      }
    }
    return i++ < text.size();
  };
  if (text.empty() || text[i++] != '{') return false;
  while (i < text.size()) {
    std::string key, value;
    if (!string(key) || i >= text.size() || text[i++] != ':') return false;
    if (i < text.size() && text[i] == '"') {
      if (!string(value)) return false;
    } else {
      const std::size_t end = text.find_first_of(",}", i);
      if (end == std::string_view::npos) return false;
      value = std::string(text.substr(i, end - i));
      if (value == "null") value.clear();
      i = end;
    }
    fields[key] = std::move(value);
    if (i < text.size() && text[i] == '}') return i + 1 == text.size();
    if (i >= text.size() || text[i++] != ',') return false;
  }
  return false;
}

}  // namespace

std::vector<SweepRow> read_sweep_rows(const std::string& path, SweepFormat format) {
  bool torn = false;
  if (!fs::exists(path)) throw InputError(fmt::format("{}: cannot open file", path));
  const std::vector<std::string> lines = complete_lines(path, torn);
  if (torn) throw InputError(fmt::format("{}: the last line is incomplete", path));
  std::vector<SweepRow> rows;
  std::vector<std::string> header;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto bad = [&] { return InputError(fmt::format("{}:{}: not a sweep row", path, i + 1)); };
    if (format == SweepFormat::Csv && i == 0) {
      header = split_csv_line(lines[i]);
      continue;
    }
    const auto point = row_point(lines[i], format);
    if (!point) throw bad();
    SweepRow& row = rows.emplace_back();
    row.point = *point;
    if (format == SweepFormat::Csv) {
      const std::vector<std::string> values = split_csv_line(lines[i]);
      if (values.size() != header.size()) throw bad();
      for (std::size_t c = 0; c < header.size(); ++c) row.fields[header[c]] = values[c];
    } else if (!parse_json_row(lines[i], row.fields)) {
      throw bad();
    }
  }
  return rows;
}

}  // namespace moesim::cli
