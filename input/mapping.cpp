#include "input/mapping.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace moesim::input {

struct Mapping::Node {
  YAML::Node yaml;
};

namespace {

namespace fs = std::filesystem;
constexpr int kMaxDepth = 64;

// yaml-cpp marks are 0-based; editors count lines from 1.
int line_number(const YAML::Mark& mark) {
  return mark.line >= 0 ? mark.line + 1 : 0;
}

std::string location_text(const std::string& file, int line) {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

[[noreturn]] void fail_at(const std::string& file, const YAML::Node& node,
                          const std::string& message) {
  throw InputError(location_text(file, line_number(node.Mark())) + ": " + message);
}

// The load-time rules of input/mapping.h: plain scalar keys, none repeated, bounded size and depth.
class Checker {
 public:
  explicit Checker(const std::string& file) : file_(file) {}

  void check(const YAML::Node& node, int depth) {
    if (++values_ > Mapping::kMaxValues)
      fail_at(file_, node,
              "the file expands to more than " + std::to_string(Mapping::kMaxValues) +
                  " values (through YAML anchors and aliases?); moesim refuses it");
    if (depth > kMaxDepth)
      fail_at(file_, node, "nested more than " + std::to_string(kMaxDepth) + " levels deep");
    if (node.IsSequence()) {
      for (const YAML::Node& item : node) check(item, depth + 1);
    } else if (node.IsMap()) {
      std::unordered_map<std::string, int> first_line;
      for (const auto& entry : node) {
        const YAML::Node& key = entry.first;
        if (!key.IsScalar())
          fail_at(file_, key, "a key must be a plain name, not a list, a mapping or empty");
        const auto [first, inserted] = first_line.emplace(key.Scalar(), line_number(key.Mark()));
        if (!inserted)
          fail_at(file_, key,
                  "key '" + key.Scalar() + "' appears twice in the same mapping (first at line " +
                      std::to_string(first->second) + ")");
        check(entry.second, depth + 1);
      }
    }
  }

 private:
  const std::string& file_;
  std::size_t values_ = 0;
};

// Counts the parser's events without building nodes, so that what yaml-cpp cannot end is stopped:
// yaml-cpp 0.7 (Debian 12) never consumes a ',', ']' or '}' outside a flow collection and turns it
// into empty documents forever (LoadAll ran out of memory on a file holding just ","; found by the
// fuzz target, tests/fuzz/regressions/). A document is also stopped after kMaxEvents events: a file
// that long has more values than Checker allows anyway.
class EventCounter final : public YAML::EventHandler {
 public:
  static constexpr std::size_t kMaxEvents = 4 * Mapping::kMaxValues + 16;
  struct TooMany {};
  struct SecondDocument {
    YAML::Mark start;
  };

  bool in_second_document = false;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (in_second_document) throw SecondDocument{mark};
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { tick(); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { tick(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    tick();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    tick();
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    tick();
  }
  void OnMapEnd() override {}

 private:
  void tick() {
    if (++events_ > kMaxEvents) throw TooMany{};
  }
  std::size_t events_ = 0;
};

// False for an empty file (no document). Throws InputError for a syntax error, a second document
// or content yaml-cpp cannot consume.
bool parses_as_one_document(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  EventCounter counter;
  try {
    if (!parser.HandleNextDocument(counter)) return false;
    counter.in_second_document = true;
    parser.HandleNextDocument(counter);
  } catch (const YAML::Exception& error) {
    throw InputError(location_text(name, line_number(error.mark)) + ": " + error.msg);
  } catch (const EventCounter::TooMany&) {
    throw InputError(name + ": more than " + std::to_string(Mapping::kMaxValues) +
                     " values; moesim refuses it");
  } catch (const EventCounter::SecondDocument& second) {
    const auto pos = static_cast<std::size_t>(std::max(second.start.pos, 0));
    if (text.compare(pos, 3, "---") == 0)
      throw InputError(
          location_text(name, line_number(second.start)) +
          ": a second YAML document ('---') in one file is not supported; split the file");
    throw InputError(name +
                     ": cannot be read as YAML: something after the top-level mapping is not a "
                     "'key: value' line (a ',', ']' or '}' outside [ ] or { }?)");
  }
  return true;
}

YAML::Node parse_single_document(const std::string& text, const std::string& name) {
  if (!parses_as_one_document(text, name))
    throw InputError(name + ": empty file (expected a mapping of key: value)");
  YAML::Node document;
  try {
    document = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw InputError(location_text(name, line_number(error.mark)) + ": " + error.msg);
  }
  Checker(name).check(document, 0);
  if (!document.IsMap()) fail_at(name, document, "expected a mapping of key: value");
  return document;
}

std::string scalar_or_empty(const YAML::Node& node) {
  if (node.IsNull()) return {};
  return node.IsScalar() ? node.Scalar() : std::string{};
}

// Sets root[a][b]...[last] = value for "a.b.last", replacing scalars on the way by mappings.
void set_dotted(YAML::Node root, std::string_view dotted, const std::string& value) {
  YAML::Node node = std::move(root);
  while (true) {
    const auto dot = dotted.find('.');
    const std::string key(dotted.substr(0, dot));
    if (dot == std::string_view::npos) {
      node[key] = value;
      return;
    }
    if (!node[key].IsMap()) node[key] = YAML::Node(YAML::NodeType::Map);
    node.reset(node[key]);
    dotted.remove_prefix(dot + 1);
  }
}

}  // namespace

Mapping::Mapping(std::shared_ptr<const Node> node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {}

Mapping Mapping::load_file(const std::string& file) {
  std::error_code error;
  if (fs::is_directory(file, error))
    throw InputError(file + ": is a directory, expected a YAML file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file + ": cannot open file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(file + ": cannot read file");
  return load_string(text.str(), file);
}

Mapping Mapping::load_string(const std::string& text, const std::string& name) {
  return Mapping(std::make_shared<const Node>(Node{parse_single_document(text, name)}), name, {});
}

Mapping Mapping::from_entries(std::span<const std::pair<std::string, std::string>> entries,
                              const std::string& name) {
  YAML::Node root(YAML::NodeType::Map);
  for (const auto& [key, value] : entries) set_dotted(root, key, value);
  return Mapping(std::make_shared<const Node>(Node{root}), name, {});
}

Mapping Mapping::with(std::string_view key, const std::string& value) const {
  YAML::Node copy = YAML::Clone(node_->yaml);
  copy[std::string(key)] = value;
  return Mapping(std::make_shared<const Node>(Node{copy}), file_, path_);
}

bool Mapping::has(std::string_view key) const {
  return static_cast<bool>(node_->yaml[std::string(key)]);
}

std::vector<std::string> Mapping::keys() const {
  std::vector<std::string> out;
  for (const auto& entry : node_->yaml) out.push_back(entry.first.Scalar());
  return out;
}

bool Mapping::is_mapping(std::string_view key) const {
  return has(key) && node_->yaml[std::string(key)].IsMap();
}
bool Mapping::is_list(std::string_view key) const {
  return has(key) && node_->yaml[std::string(key)].IsSequence();
}
bool Mapping::is_scalar(std::string_view key) const {
  return has(key) && node_->yaml[std::string(key)].IsScalar();
}

std::string Mapping::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string Mapping::location(std::string_view key) const {
  const YAML::Node child = node_->yaml[std::string(key)];
  return location_text(file_, line_number(child ? child.Mark() : node_->yaml.Mark()));
}

void Mapping::fail(std::string_view key, const std::string& message) const {
  throw InputError(location(key) + ": key '" + key_path(key) + "': " + message);
}

void Mapping::fail(const std::string& message) const {
  const std::string where = path_.empty() ? "" : "key '" + path_ + "': ";
  throw InputError(location_text(file_, line_number(node_->yaml.Mark())) + ": " + where + message);
}

std::string Mapping::string(std::string_view key) const {
  const YAML::Node child = node_->yaml[std::string(key)];
  if (!child) fail(key, "missing required key");
  if (!child.IsScalar()) fail(key, "expected a single value");
  return child.Scalar();
}

std::string Mapping::string_or(std::string_view key, std::string fallback) const {
  return has(key) ? string(key) : std::move(fallback);
}

double Mapping::number(std::string_view key) const {
  const std::string text = string(key);
  double value = 0;
  if (!parse_finite_number(text, value)) fail(key, "expected a finite number, got '" + text + "'");
  return value;
}

double Mapping::number_or(std::string_view key, double fallback) const {
  return has(key) ? number(key) : fallback;
}

std::int64_t Mapping::integer(std::string_view key) const {
  const std::string text = string(key);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range) fail(key, "integer '" + text + "' is out of range");
  if (error != std::errc{} || end != text.data() + text.size() || text.empty())
    fail(key, "expected an integer, got '" + text + "'");
  return value;
}

std::int64_t Mapping::integer_or(std::string_view key, std::int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}

bool Mapping::boolean(std::string_view key) const {
  const std::string text = string(key);
  if (text == "true") return true;
  if (text == "false") return false;
  fail(key, "expected true or false, got '" + text + "'");
}

bool Mapping::boolean_or(std::string_view key, bool fallback) const {
  return has(key) ? boolean(key) : fallback;
}

double Mapping::quantity(std::string_view key, sim::Quantity kind) const {
  const std::string text = string(key);
  try {
    return sim::parse_quantity(text, kind);
  } catch (const std::invalid_argument& error) {
    fail(key, error.what());
  }
}

double Mapping::quantity_or(std::string_view key, sim::Quantity kind, double fallback) const {
  return has(key) ? quantity(key, kind) : fallback;
}

sim::Picoseconds Mapping::duration(std::string_view key) const {
  try {
    return sim::parse_duration(string(key));
  } catch (const std::invalid_argument& error) {
    fail(key, error.what());
  }
}

sim::Picoseconds Mapping::duration_or(std::string_view key, sim::Picoseconds fallback) const {
  return has(key) ? duration(key) : fallback;
}

std::vector<double> Mapping::numbers(std::string_view key) const {
  std::vector<double> out;
  for (const std::string& text : strings(key)) {
    double value = 0;
    if (!parse_finite_number(text, value))
      fail(key, "expected a list of finite numbers, got '" + text + "'");
    out.push_back(value);
  }
  return out;
}

std::vector<std::string> Mapping::strings(std::string_view key) const {
  const YAML::Node list = node_->yaml[std::string(key)];
  if (!list) fail(key, "missing required key");
  if (!list.IsSequence()) fail(key, "expected a list");
  std::vector<std::string> out;
  for (const auto& item : list) {
    if (!item.IsScalar()) fail(key, "expected a list of single values");
    out.push_back(item.Scalar());
  }
  return out;
}

std::vector<ScalarRow> Mapping::rows(std::string_view key, std::size_t width) const {
  const YAML::Node list = node_->yaml[std::string(key)];
  if (!list) fail(key, "missing required key");
  if (!list.IsSequence()) fail(key, "expected a list of rows");
  std::vector<ScalarRow> out;
  std::size_t index = 0;
  for (const auto& row : list) {
    ScalarRow scalar_row;
    scalar_row.where = location_text(file_, line_number(row.Mark())) + ": key '" + key_path(key) +
                       "[" + std::to_string(index++) + "]'";
    if (!row.IsSequence() || row.size() != width)
      throw InputError(scalar_row.where + ": every row needs " + std::to_string(width) + " values");
    for (const auto& cell : row) {
      if (!cell.IsScalar() && !cell.IsNull())
        throw InputError(scalar_row.where + ": a row holds single values only");
      scalar_row.cells.push_back(scalar_or_empty(cell));
    }
    out.push_back(std::move(scalar_row));
  }
  return out;
}

Mapping Mapping::map(std::string_view key) const {
  const YAML::Node child = node_->yaml[std::string(key)];
  if (!child) fail(key, "missing required key");
  if (!child.IsMap()) fail(key, "expected a mapping of key: value");
  return Mapping(std::make_shared<const Node>(Node{child}), file_, key_path(key));
}

std::vector<Mapping> Mapping::maps(std::string_view key) const {
  const YAML::Node list = node_->yaml[std::string(key)];
  if (!list) fail(key, "missing required key");
  if (!list.IsSequence()) fail(key, "expected a list");
  std::vector<Mapping> out;
  std::size_t index = 0;
  for (const auto& item : list) {
    const std::string item_path = key_path(key) + "[" + std::to_string(index++) + "]";
    if (!item.IsMap())
      throw InputError(location_text(file_, line_number(item.Mark())) + ": key '" + item_path +
                       "': expected a mapping of key: value");
    out.push_back(Mapping(std::make_shared<const Node>(Node{item}), file_, item_path));
  }
  return out;
}

void Mapping::expect_only(std::initializer_list<std::string_view> allowed) const {
  for (const auto& entry : node_->yaml) {
    const std::string& key = entry.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (std::string_view name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
    throw InputError(location_text(file_, line_number(entry.first.Mark())) + ": key '" +
                     key_path(key) + "': unknown key (expected one of: " + list + ")");
  }
}

bool parse_finite_number(std::string_view text, double& value) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);  // from_chars rejects '+'
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc{} && end == text.data() + text.size() &&
         std::isfinite(value);
}

std::string resolve_relative(const std::string& including_file, const std::string& path) {
  const fs::path written(path);
  if (written.is_absolute() || including_file.empty()) return written.lexically_normal().string();
  return (fs::path(including_file).parent_path() / written).lexically_normal().string();
}

std::vector<std::string> yaml_files_in(const std::string& directory,
                                       const std::string& what_it_is) {
  std::error_code error;
  if (!fs::is_directory(directory, error))
    throw InputError(directory + ": no such directory (" + what_it_is + ")");
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(directory, error))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  if (error) throw InputError(directory + ": " + error.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace moesim::input
