// Formatting helpers, the argument parser and the command registry.
#include "cli/text.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/cli.h"

namespace moesim::cli {
namespace {

TEST(Text, Commas) {
  EXPECT_EQ(with_commas(891813888), "891,813,888");
  EXPECT_EQ(with_commas(1783.627776, 1), "1,783.6");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(-1234.5, 1), "-1,234.5");
}

TEST(Text, CsvAndJson) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(split_csv_line("1,\"a,b\",\"x\"\"y\","),
            (std::vector<std::string>{"1", "a,b", "x\"y", ""}));
  EXPECT_EQ(json_escape("a\"b\\c\n"), "a\\\"b\\\\c\\n");
  EXPECT_EQ(exact_number(0.1), "0.1");
  EXPECT_EQ(exact_number(6.86010683076923e-06), "6.86010683076923e-06");
}

TEST(Arguments, ParsesOptionsAndPositionals) {
  const CommandSpec* sweep = find_command("sweep");
  ASSERT_NE(sweep, nullptr);
  const std::vector<std::string> arguments{"s.yaml", "--vary", "a=1,2",  "--vary=b=3",
                                           "--jobs", "2",      "--quiet"};
  const ParsedArgs parsed = parse_arguments(*sweep, arguments);
  EXPECT_EQ(parsed.positional, std::vector<std::string>{"s.yaml"});
  EXPECT_EQ(parsed.values("vary"), (std::vector<std::string>{"a=1,2", "b=3"}));
  EXPECT_EQ(parsed.integer_or("jobs", 1), 2);
  EXPECT_TRUE(parsed.flag("quiet"));
  EXPECT_THROW(parse_arguments(*sweep, std::vector<std::string>{"s.yaml", "--bogus"}), UsageError);
  EXPECT_THROW(parse_arguments(*sweep, std::vector<std::string>{"s.yaml", "--jobs"}), UsageError);
  EXPECT_THROW(
      parse_arguments(*sweep, std::vector<std::string>{"s.yaml", "--out", "a", "--out", "b"}),
      UsageError);
  EXPECT_THROW(parse_arguments(*sweep, std::vector<std::string>{}), UsageError);
  EXPECT_THROW(parse_arguments(*find_command("run"), std::vector<std::string>{"a.yaml", "b.yaml"}),
               UsageError);
}

TEST(Program, HelpAndExitCodes) {
  std::ostringstream out;
  EXPECT_EQ(run_program(std::vector<std::string>{"--help"}, out, ""), 0);
  for (const CommandSpec* command : commands())
    EXPECT_NE(out.str().find(command->name), std::string::npos);
  std::ostringstream run_help;
  EXPECT_EQ(run_program(std::vector<std::string>{"run", "--help"}, run_help, ""), 0);
  EXPECT_TRUE(run_help.str().starts_with("usage: moesim run SCENARIO.yaml"));
  std::ostringstream ignored;
  EXPECT_EQ(run_program(std::vector<std::string>{"no-such-command"}, ignored, ""), 1);
  EXPECT_EQ(run_program(std::vector<std::string>{"run"}, ignored, ""), 1);
  EXPECT_EQ(run_program(std::vector<std::string>{"run", "/nonexistent.yaml"}, ignored, ""), 2);
}

}  // namespace
}  // namespace moesim::cli
