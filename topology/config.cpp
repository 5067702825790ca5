#include "topology/config.h"

#include <algorithm>

namespace moesim::config {

namespace {
// yaml-cpp marks are 0-based; editors count lines from 1.
int line_number(const YAML::Mark& mark) { return mark.line >= 0 ? mark.line + 1 : 0; }

std::string location(const std::string& file, int line) {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}
}  // namespace

ConfigMap::ConfigMap(YAML::Node node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {
  if (!node_.IsMap()) fail("expected a mapping of key: value");
}

ConfigMap ConfigMap::load_file(const std::string& file) {
  try {
    return ConfigMap(YAML::LoadFile(file), file);
  } catch (const YAML::BadFile&) {
    throw ConfigError(file + ": cannot open file");
  } catch (const YAML::Exception& error) {
    throw ConfigError(location(file, line_number(error.mark)) + ": " + error.msg);
  }
}

ConfigMap ConfigMap::load_string(const std::string& text, const std::string& name) {
  try {
    return ConfigMap(YAML::Load(text), name);
  } catch (const YAML::Exception& error) {
    throw ConfigError(location(name, line_number(error.mark)) + ": " + error.msg);
  }
}

bool ConfigMap::has(std::string_view key) const { return static_cast<bool>(node_[std::string(key)]); }

std::vector<std::string> ConfigMap::keys() const {
  std::vector<std::string> out;
  for (const auto& entry : node_) out.push_back(entry.first.as<std::string>());
  return out;
}

std::string ConfigMap::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

int ConfigMap::line_of(std::string_view key) const {
  const YAML::Node child = node_[std::string(key)];
  return child ? line_number(child.Mark()) : line_number(node_.Mark());
}

void ConfigMap::fail(std::string_view key, const std::string& message) const {
  throw ConfigError(location(file_, line_of(key)) + ": key '" + key_path(key) + "': " + message);
}

void ConfigMap::fail(const std::string& message) const {
  const std::string where = path_.empty() ? "" : "key '" + path_ + "': ";
  throw ConfigError(location(file_, line_number(node_.Mark())) + ": " + where + message);
}

YAML::Node ConfigMap::value(std::string_view key) const {
  YAML::Node child = node_[std::string(key)];
  if (!child) fail(key, "missing required key");
  return child;
}

std::string ConfigMap::string(std::string_view key) const {
  const YAML::Node child = value(key);
  if (!child.IsScalar()) fail(key, "expected a single value");
  return child.Scalar();
}

std::string ConfigMap::string_or(std::string_view key, std::string fallback) const {
  return has(key) ? string(key) : std::move(fallback);
}

double ConfigMap::number(std::string_view key) const {
  const std::string text = string(key);
  try {
    std::size_t used = 0;
    const double parsed = std::stod(text, &used);
    if (used == text.size()) return parsed;
  } catch (const std::exception&) {
  }
  fail(key, "expected a number, got '" + text + "'");
}

double ConfigMap::number_or(std::string_view key, double fallback) const {
  return has(key) ? number(key) : fallback;
}

std::int64_t ConfigMap::integer(std::string_view key) const {
  const std::string text = string(key);
  try {
    std::size_t used = 0;
    const long long parsed = std::stoll(text, &used);
    if (used == text.size()) return parsed;
  } catch (const std::exception&) {
  }
  fail(key, "expected an integer, got '" + text + "'");
}

std::int64_t ConfigMap::integer_or(std::string_view key, std::int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}

bool ConfigMap::boolean(std::string_view key) const {
  const std::string text = string(key);
  if (text == "true") return true;
  if (text == "false") return false;
  fail(key, "expected true or false, got '" + text + "'");
}

bool ConfigMap::boolean_or(std::string_view key, bool fallback) const {
  return has(key) ? boolean(key) : fallback;
}

double ConfigMap::quantity(std::string_view key, sim::Quantity kind) const {
  const std::string text = string(key);
  try {
    return sim::parse_quantity(text, kind);
  } catch (const std::invalid_argument& error) {
    fail(key, error.what());
  }
}

double ConfigMap::quantity_or(std::string_view key, sim::Quantity kind, double fallback) const {
  return has(key) ? quantity(key, kind) : fallback;
}

sim::Picoseconds ConfigMap::duration(std::string_view key) const {
  return sim::from_seconds(quantity(key, sim::Quantity::Seconds));
}

sim::Picoseconds ConfigMap::duration_or(std::string_view key, sim::Picoseconds fallback) const {
  return has(key) ? duration(key) : fallback;
}

std::vector<double> ConfigMap::numbers(std::string_view key) const {
  const YAML::Node list = value(key);
  if (!list.IsSequence()) fail(key, "expected a list of numbers");
  std::vector<double> out;
  for (const auto& item : list) {
    try {
      out.push_back(item.as<double>());
    } catch (const YAML::Exception&) {
      fail(key, "expected a list of numbers, got '" + (item.IsScalar() ? item.Scalar() : "?") + "'");
    }
  }
  return out;
}

std::vector<std::string> ConfigMap::strings(std::string_view key) const {
  const YAML::Node list = value(key);
  if (!list.IsSequence()) fail(key, "expected a list");
  std::vector<std::string> out;
  for (const auto& item : list) {
    if (!item.IsScalar()) fail(key, "expected a list of single values");
    out.push_back(item.Scalar());
  }
  return out;
}

ConfigMap ConfigMap::map(std::string_view key) const {
  const YAML::Node child = value(key);
  if (!child.IsMap()) fail(key, "expected a mapping of key: value");
  return ConfigMap(child, file_, key_path(key));
}

std::vector<ConfigMap> ConfigMap::maps(std::string_view key) const {
  const YAML::Node list = value(key);
  if (!list.IsSequence()) fail(key, "expected a list");
  std::vector<ConfigMap> out;
  std::size_t index = 0;
  for (const auto& item : list) {
    const std::string item_path = key_path(key) + "[" + std::to_string(index++) + "]";
    if (!item.IsMap())
      throw ConfigError(location(file_, line_number(item.Mark())) + ": key '" + item_path +
                        "': expected a mapping of key: value");
    out.emplace_back(item, file_, item_path);
  }
  return out;
}

void ConfigMap::expect_only(std::initializer_list<std::string_view> allowed) const {
  for (const auto& entry : node_) {
    const std::string key = entry.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (std::string_view name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
      throw ConfigError(location(file_, line_number(entry.first.Mark())) + ": key '" +
                        key_path(key) + "': unknown key (expected one of: " + list + ")");
    }
  }
}

}  // namespace moesim::config
