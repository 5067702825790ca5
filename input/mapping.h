#pragma once
// Reading moesim's YAML input files with errors that name the file, the line and the key.
// Every loader (fabrics, hardware, models, scenarios, measurement tables) reads through Mapping, so
// a bad value anywhere produces the same kind of one-line message:
//   configs/fabrics/x.yaml:12: key 'nvlink.bandwidth': unknown unit 'GBs' in '900 GBs' (units: ...)
// yaml-cpp stays behind this header (pimpl): callers see strings, numbers and nested Mappings.
//
// What a file must be (checked once, at load): one YAML document whose top level is a mapping;
// every key a plain scalar, none repeated within a mapping; at most kMaxValues values in all (so
// anchors and aliases cannot expand a small file into an enormous one). Numbers must be finite.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/time.h"
#include "sim/units.h"

namespace moesim::input {

// Bad input: a file that cannot be read or parsed, or a value that is wrong. Messages start with
// "file:line: key 'path.key': " whenever a file and key are known. The CLI exits with code 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One row of a table (a list of lists of scalars), with where it is for error messages.
struct ScalarRow {
  std::vector<std::string> cells;  // "null" and "~" cells are empty strings
  std::string where;               // "file:line: key 'path.rows[3]'"
};

class Mapping {
 public:
  static constexpr std::size_t kMaxValues = 200'000;

  // Parses a file; syntax errors, a directory, a missing file and the rules above become
  // InputError with file:line.
  static Mapping load_file(const std::string& file);
  // Parses text (tests, built-in scenarios); `name` stands in for the file name.
  static Mapping load_string(const std::string& text, const std::string& name);
  // A nested mapping from dotted keys ("decode.calibration.kernel" = "x"), applied in order: a
  // later entry replaces an earlier one at the same key, a scalar replaced by a mapping or back.
  static Mapping from_entries(std::span<const std::pair<std::string, std::string>> entries,
                              const std::string& name);
  // A copy with one top-level key set to a scalar value (the original is unchanged).
  Mapping with(std::string_view key, const std::string& value) const;

  const std::string& file() const noexcept { return file_; }
  const std::string& path() const noexcept { return path_; }
  bool has(std::string_view key) const;
  std::vector<std::string> keys() const;
  bool is_mapping(std::string_view key) const;  // false when absent
  bool is_list(std::string_view key) const;
  bool is_scalar(std::string_view key) const;
  // "file:line" of the key's value (or of this mapping when the key is absent).
  std::string location(std::string_view key) const;

  std::string string(std::string_view key) const;
  std::string string_or(std::string_view key, std::string fallback) const;
  double number(std::string_view key) const;  // finite only
  double number_or(std::string_view key, double fallback) const;
  std::int64_t integer(std::string_view key) const;
  std::int64_t integer_or(std::string_view key, std::int64_t fallback) const;
  bool boolean(std::string_view key) const;
  bool boolean_or(std::string_view key, bool fallback) const;
  // A quantity with a unit ("900 GB/s"), in base units (sim/units.h); finite and >= 0.
  double quantity(std::string_view key, sim::Quantity kind) const;
  double quantity_or(std::string_view key, sim::Quantity kind, double fallback) const;
  sim::Picoseconds duration(std::string_view key) const;
  sim::Picoseconds duration_or(std::string_view key, sim::Picoseconds fallback) const;
  std::vector<double> numbers(std::string_view key) const;
  std::vector<std::string> strings(std::string_view key) const;
  // A list of lists of scalars, each exactly `width` long.
  std::vector<ScalarRow> rows(std::string_view key, std::size_t width) const;

  Mapping map(std::string_view key) const;
  std::vector<Mapping> maps(std::string_view key) const;

  // Rejects any key not listed (catches typos such as 'bandwith').
  void expect_only(std::initializer_list<std::string_view> allowed) const;

  // Throws "file:line: key 'path.key': message" pointing at the key's value (or this map).
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;
  [[noreturn]] void fail(const std::string& message) const;

  struct Node;  // the parsed YAML node (input/mapping.cpp)

 private:
  Mapping(std::shared_ptr<const Node> node, std::string file, std::string path);
  std::string key_path(std::string_view key) const;

  std::shared_ptr<const Node> node_;
  std::string file_;
  std::string path_;
};

// A finite number written as text ("1.5", "2e-3"); false for anything else (including "nan",
// "inf", trailing characters and values out of double's range).
bool parse_finite_number(std::string_view text, double& value);

// `path` as written in a file: absolute paths are kept, relative ones are taken relative to the
// directory of `including_file` (or the current directory if including_file is empty).
std::string resolve_relative(const std::string& including_file, const std::string& path);

// The *.yaml files directly in `directory`, sorted by name. Throws InputError naming the directory
// (and `what_it_is`, e.g. "a moesim configs/ directory's validation/compute") if it is missing or
// unreadable.
std::vector<std::string> yaml_files_in(const std::string& directory, const std::string& what_it_is);

}  // namespace moesim::input
