// The YAML reader: typed values, errors that name file:line: key, and the load-time rules
// (one document, plain and unique keys, bounded size, finite numbers).
#include "input/mapping.h"

#include <gtest/gtest.h>

#include <string>

namespace moesim::input {
namespace {

std::string error_of(const std::string& text) {
  try {
    Mapping::load_string(text, "f.yaml");
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

template <typename Read>
std::string error_reading(const std::string& text, Read read) {
  try {
    read(Mapping::load_string(text, "f.yaml"));
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Mapping, ReadsTypedValuesAndNestedMappings) {
  const Mapping m = Mapping::load_string(
      "a: 1.5\nn: 42\nflag: true\nbw: 900 GB/s\nt: 2 us\nlist: [1, 2.5]\nsub: {x: y}\n", "f.yaml");
  EXPECT_DOUBLE_EQ(m.number("a"), 1.5);
  EXPECT_EQ(m.integer("n"), 42);
  EXPECT_TRUE(m.boolean("flag"));
  EXPECT_DOUBLE_EQ(m.quantity("bw", sim::Quantity::BytesPerSecond), 900e9);
  EXPECT_EQ(m.duration("t"), sim::microseconds(2));
  EXPECT_EQ(m.numbers("list"), (std::vector<double>{1, 2.5}));
  EXPECT_EQ(m.map("sub").string("x"), "y");
  EXPECT_EQ(m.map("sub").path(), "sub");
  EXPECT_TRUE(m.is_mapping("sub"));
  EXPECT_TRUE(m.is_list("list"));
  EXPECT_TRUE(m.is_scalar("a"));
  EXPECT_FALSE(m.is_scalar("missing"));
  EXPECT_EQ(m.location("n"), "f.yaml:2");
}

TEST(Mapping, ErrorsNameFileLineAndKeyPath) {
  EXPECT_EQ(
      error_reading("a: 1\nsub:\n  x: fast\n", [](const Mapping& m) { m.map("sub").number("x"); }),
      "f.yaml:3: key 'sub.x': expected a finite number, got 'fast'");
  EXPECT_EQ(error_reading("a: 1\n", [](const Mapping& m) { m.string("b"); }),
            "f.yaml:1: key 'b': missing required key");
  EXPECT_EQ(error_reading("a: 1\nbandwith: 2\n", [](const Mapping& m) { m.expect_only({"a"}); }),
            "f.yaml:2: key 'bandwith': unknown key (expected one of: a)");
}

TEST(Mapping, RejectsNonFiniteNumbers) {
  for (const char* text : {"nan", "NaN", "inf", "-inf", "infinity", "1e400"})
    EXPECT_EQ(error_reading(std::string("x: ") + text, [](const Mapping& m) { m.number("x"); }),
              std::string("f.yaml:1: key 'x': expected a finite number, got '") + text + "'")
        << text;
  EXPECT_NE(error_reading("x: inf GB/s",
                          [](const Mapping& m) { m.quantity("x", sim::Quantity::BytesPerSecond); })
                .find("f.yaml:1: key 'x': "),
            std::string::npos);
  EXPECT_EQ(error_reading("x: [1, nan]", [](const Mapping& m) { m.numbers("x"); }),
            "f.yaml:1: key 'x': expected a list of finite numbers, got 'nan'");
}

TEST(Mapping, RejectsKeysThatAreNotPlainNames) {
  EXPECT_EQ(error_of("? [a, b]\n: 1\n"),
            "f.yaml:1: a key must be a plain name, not a list, a mapping or empty");
  EXPECT_EQ(error_of("{x: 1}: 2\n"),
            "f.yaml:1: a key must be a plain name, not a list, a mapping or empty");
  EXPECT_EQ(error_of("?\n:\n"),
            "f.yaml:2: a key must be a plain name, not a list, a mapping or empty");
}

TEST(Mapping, RejectsDuplicateKeysAndSecondDocuments) {
  EXPECT_EQ(error_of("a: 1\nsub:\n  ep: 1\n  ep: 2\n"),
            "f.yaml:4: key 'ep' appears twice in the same mapping (first at line 3)");
  EXPECT_EQ(
      error_of("a: 1\n---\nb: 2\n"),
      "f.yaml:2: a second YAML document ('---') in one file is not supported; split the file");
  EXPECT_EQ(error_of("# only a comment\n"),
            "f.yaml: empty file (expected a mapping of key: value)");
  // yaml-cpp 0.7 turns a stray ',' into empty documents without end (fuzz regression).
  for (const char* stray : {",", "a: 1\n,\n", ", a: b\n", "a: 1\n]\n", "}\n"})
    EXPECT_NE(error_of(stray).rfind("f.yaml", 0), std::string::npos) << stray;
  EXPECT_NE(error_of(",").find("cannot be read as YAML"), std::string::npos);
  EXPECT_EQ(error_of(""), "f.yaml: empty file (expected a mapping of key: value)");
  EXPECT_EQ(error_of("- 1\n- 2\n"), "f.yaml:1: expected a mapping of key: value");
}

TEST(Mapping, RefusesFilesThatExpandThroughAliases) {
  // Each level doubles the values: 2^20 > kMaxValues.
  std::string text = "l0: &l0 [1, 1]\n";
  for (int level = 1; level <= 20; ++level) {
    const std::string name = std::to_string(level), previous = std::to_string(level - 1);
    text.append("l").append(name).append(": &l").append(name).append(" [*l").append(previous);
    text.append(", *l").append(previous).append("]\n");
  }
  EXPECT_NE(error_of(text).find("expands to more than 200000 values"), std::string::npos);
}

TEST(Mapping, RejectsDirectoriesAndMissingFiles) {
  try {
    Mapping::load_file(MOESIM_TEST_DIRECTORY);
    FAIL() << "a directory loaded";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()),
              std::string(MOESIM_TEST_DIRECTORY) + ": is a directory, expected a YAML file");
  }
  EXPECT_THROW(Mapping::load_file("/nonexistent/x.yaml"), InputError);
}

TEST(Mapping, BuildsNestedMappingsFromDottedKeys) {
  const std::vector<std::pair<std::string, std::string>> entries{{"decode.calibration", "none"},
                                                                 {"decode.calibration.kernel", "k"},
                                                                 {"decode.batch_per_gpu", "8"},
                                                                 {"fabric", "x.yaml"}};
  const Mapping m = Mapping::from_entries(entries, "command line");
  EXPECT_EQ(m.map("decode").map("calibration").string("kernel"), "k");
  EXPECT_EQ(m.map("decode").integer("batch_per_gpu"), 8);
  EXPECT_EQ(m.string("fabric"), "x.yaml");
  const Mapping changed = m.with("fabric", "y.yaml");
  EXPECT_EQ(changed.string("fabric"), "y.yaml");
  EXPECT_EQ(m.string("fabric"), "x.yaml");
}

TEST(Mapping, ReadsTablesRowByRow) {
  const Mapping m = Mapping::load_string("rows:\n- [1, a, null]\n- [2, b, 3]\n", "t.yaml");
  const std::vector<ScalarRow> rows = m.rows("rows", 3);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].cells, (std::vector<std::string>{"1", "a", ""}));
  EXPECT_EQ(rows[1].where, "t.yaml:3: key 'rows[1]'");
  EXPECT_EQ(error_reading("rows:\n- [1, 2]\n", [](const Mapping& t) { t.rows("rows", 3); }),
            "f.yaml:2: key 'rows[0]': every row needs 3 values");
}

}  // namespace
}  // namespace moesim::input
