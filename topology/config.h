#pragma once
// Reading YAML configuration files with errors that name the file, the line and the key.
// Every loader in moesim (fabrics, hardware, models, scenarios) reads through ConfigMap, so a bad
// value anywhere produces the same kind of one-line message:
//   configs/fabrics/x.yaml:12: key 'nvlink.bandwidth': unknown unit 'GBs' in '900 GBs' (units: ...)
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"
#include "sim/units.h"

namespace moesim::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A YAML mapping plus where it came from (file and dotted key path).
class ConfigMap {
 public:
  ConfigMap(YAML::Node node, std::string file, std::string path = {});

  // Parses a file; syntax errors and a non-mapping top level become ConfigError with file:line.
  static ConfigMap load_file(const std::string& file);
  // Parses text (for tests and built-in scenarios); `name` stands in for the file name.
  static ConfigMap load_string(const std::string& text, const std::string& name);

  const std::string& file() const noexcept { return file_; }
  const std::string& path() const noexcept { return path_; }
  const YAML::Node& node() const noexcept { return node_; }
  bool has(std::string_view key) const;
  std::vector<std::string> keys() const;

  std::string string(std::string_view key) const;
  std::string string_or(std::string_view key, std::string fallback) const;
  double number(std::string_view key) const;
  double number_or(std::string_view key, double fallback) const;
  std::int64_t integer(std::string_view key) const;
  std::int64_t integer_or(std::string_view key, std::int64_t fallback) const;
  bool boolean(std::string_view key) const;
  bool boolean_or(std::string_view key, bool fallback) const;
  // A quantity with a unit ("900 GB/s"), in base units (see sim/units.h).
  double quantity(std::string_view key, sim::Quantity kind) const;
  double quantity_or(std::string_view key, sim::Quantity kind, double fallback) const;
  sim::Picoseconds duration(std::string_view key) const;
  sim::Picoseconds duration_or(std::string_view key, sim::Picoseconds fallback) const;
  std::vector<double> numbers(std::string_view key) const;
  std::vector<std::string> strings(std::string_view key) const;

  ConfigMap map(std::string_view key) const;
  std::vector<ConfigMap> maps(std::string_view key) const;

  // Rejects any key not listed (catches typos such as 'bandwith').
  void expect_only(std::initializer_list<std::string_view> allowed) const;

  // Throws "file:line: key 'path.key': message" pointing at the key's value (or this map).
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;
  [[noreturn]] void fail(const std::string& message) const;

 private:
  YAML::Node value(std::string_view key) const;  // throws if missing
  std::string key_path(std::string_view key) const;
  int line_of(std::string_view key) const;

  YAML::Node node_;
  std::string file_;
  std::string path_;
};

}  // namespace moesim::config
