#pragma once
// The moesim program's command registry and argument conventions.
//
// Every subcommand is one `CommandSpec`: its name, a one-line summary, its usage line, its options
// and a function. `moesim --help` and `moesim COMMAND --help` are generated from these specs, so a
// command documents itself. To add a command (for example `validate`):
//   1. define `const CommandSpec validate_command{...}` in its own cmd_validate.cpp (cmd_run.cpp
//      is a short example) and add that file to cli/CMakeLists.txt;
//   2. add one line `MOESIM_COMMAND(validate_command)` to the list in commands.cpp.
//
// Exit codes (ExitCode): 0 success, 1 usage error, 2 bad input or configuration, 3 internal error,
// 4 targets not met (validate; search and compare --at-best when no configuration meets one).
// Results go to stdout (CommandContext::out); logs go to stderr through spdlog.
#include <cstddef>
#include <iosfwd>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "input/mapping.h"

namespace moesim::cli {

// 4: the run worked but its result fails the targets it was asked to meet (`validate`, `search`).
enum class ExitCode : int { Ok = 0, Usage = 1, BadInput = 2, Internal = 3, TargetsNotMet = 4 };

// Wrong command line (unknown option, missing argument): exit code 1 with the usage line.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input (a config file, a sweep file, an unreadable path): input::InputError, exit code 2.
using input::InputError;

struct OptionSpec {
  std::string_view name;        // without the leading "--"
  std::string_view value_name;  // empty: a flag without a value
  std::string_view help;
  bool repeatable = false;
};

class ParsedArgs {
 public:
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>, std::less<>> options;

  bool flag(std::string_view name) const { return options.find(name) != options.end(); }
  std::optional<std::string> value(std::string_view name) const;
  std::string value_or(std::string_view name, std::string fallback) const;
  const std::vector<std::string>& values(std::string_view name) const;
  // An integer option; a non-integer is a UsageError naming the option.
  long long integer_or(std::string_view name, long long fallback) const;
  double number_or(std::string_view name, double fallback) const;
};

struct CommandContext {
  std::ostream& out;              // results
  std::string program_directory;  // where the moesim binary lives (used to find configs/)
};

struct CommandSpec {
  std::string_view name;
  std::string_view summary;      // one line for `moesim --help`
  std::string_view usage;        // e.g. "SCENARIO [--json|--csv] [--trace FILE]"
  std::string_view description;  // paragraphs shown by `moesim NAME --help`
  std::vector<OptionSpec> options;
  std::size_t min_positional = 0;
  std::size_t max_positional = 0;
  int (*run)(const ParsedArgs& args, CommandContext& context) = nullptr;
};

// All registered commands, in the order `moesim --help` lists them.
std::span<const CommandSpec* const> commands();
const CommandSpec* find_command(std::string_view name);

// Parses the arguments that follow the command name; throws UsageError.
ParsedArgs parse_arguments(const CommandSpec& spec, std::span<const std::string> arguments);
std::string command_help(const CommandSpec& spec);
std::string program_help();

// The whole program: argv in, exit code out (main() only sets up logging and calls this).
int run_program(std::span<const std::string> arguments, std::ostream& out,
                std::string program_directory);

}  // namespace moesim::cli
