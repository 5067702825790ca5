#include "cli/cli.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <ostream>

#include "input/mapping.h"
#include "scenario/scenario.h"
#include "sim/time.h"

namespace moesim::cli {

std::optional<std::string> ParsedArgs::value(std::string_view name) const {
  const auto found = options.find(name);
  if (found == options.end() || found->second.empty()) return std::nullopt;
  return found->second.back();
}

std::string ParsedArgs::value_or(std::string_view name, std::string fallback) const {
  return value(name).value_or(std::move(fallback));
}

const std::vector<std::string>& ParsedArgs::values(std::string_view name) const {
  static const std::vector<std::string> none;
  const auto found = options.find(name);
  return found == options.end() ? none : found->second;
}

long long ParsedArgs::integer_or(std::string_view name, long long fallback) const {
  const auto text = value(name);
  if (!text) return fallback;
  try {
    std::size_t used = 0;
    const long long parsed = std::stoll(*text, &used);
    if (used == text->size()) return parsed;
  } catch (const std::exception&) {
  }
  throw UsageError(fmt::format("option --{} expects an integer, got '{}'", name, *text));
}

double ParsedArgs::number_or(std::string_view name, double fallback) const {
  const auto text = value(name);
  if (!text) return fallback;
  try {
    std::size_t used = 0;
    const double parsed = std::stod(*text, &used);
    if (used == text->size() && std::isfinite(parsed)) return parsed;
  } catch (const std::exception&) {
  }
  throw UsageError(fmt::format("option --{} expects a finite number, got '{}'", name, *text));
}

const CommandSpec* find_command(std::string_view name) {
  for (const CommandSpec* command : commands())
    if (command->name == name) return command;
  return nullptr;
}

namespace {

const OptionSpec* find_option(const CommandSpec& spec, std::string_view name) {
  for (const OptionSpec& option : spec.options)
    if (option.name == name) return &option;
  return nullptr;
}

std::string usage_line(const CommandSpec& spec) {
  return fmt::format("usage: moesim {}{}{}", spec.name, spec.usage.empty() ? "" : " ", spec.usage);
}

}  // namespace

ParsedArgs parse_arguments(const CommandSpec& spec, std::span<const std::string> arguments) {
  ParsedArgs parsed;
  bool options_ended = false;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (options_ended || argument.size() < 2 || !argument.starts_with("-")) {
      parsed.positional.push_back(argument);
      continue;
    }
    if (argument == "--") {
      options_ended = true;
      continue;
    }
    if (argument == "-h" || argument == "--help") {
      parsed.options["help"];
      continue;
    }
    if (!argument.starts_with("--")) throw UsageError(fmt::format("unknown option '{}'", argument));
    std::string name = argument.substr(2);
    std::optional<std::string> inline_value;
    if (const auto equals = name.find('='); equals != std::string::npos) {
      inline_value = name.substr(equals + 1);
      name.resize(equals);
    }
    const OptionSpec* option = find_option(spec, name);
    if (!option) throw UsageError(fmt::format("unknown option '--{}' for '{}'", name, spec.name));
    auto& slot = parsed.options[name];
    if (!slot.empty() && !option->repeatable)
      throw UsageError(fmt::format("option '--{}' given more than once", name));
    if (option->value_name.empty()) {
      if (inline_value) throw UsageError(fmt::format("option '--{}' takes no value", name));
      slot.emplace_back();
      continue;
    }
    if (inline_value) {
      slot.push_back(*inline_value);
    } else {
      if (i + 1 >= arguments.size())
        throw UsageError(fmt::format("option '--{}' needs a value ({})", name, option->value_name));
      slot.push_back(arguments[++i]);
    }
  }
  if (parsed.flag("help")) return parsed;
  if (parsed.positional.size() < spec.min_positional)
    throw UsageError(fmt::format("'{}' needs {} argument(s)", spec.name, spec.min_positional));
  if (parsed.positional.size() > spec.max_positional)
    throw UsageError(
        fmt::format("unexpected argument '{}'", parsed.positional[spec.max_positional]));
  return parsed;
}

std::string command_help(const CommandSpec& spec) {
  std::string text = fmt::format("{}\n\n{}\n", usage_line(spec), spec.summary);
  if (!spec.description.empty()) text += fmt::format("\n{}\n", spec.description);
  text += "\noptions:\n";
  std::vector<std::pair<std::string, std::string_view>> rows;
  for (const OptionSpec& option : spec.options) {
    std::string left = option.value_name.empty()
                           ? fmt::format("--{}", option.name)
                           : fmt::format("--{} {}", option.name, option.value_name);
    rows.emplace_back(std::move(left), option.help);
  }
  rows.emplace_back("-h, --help", "show this help");
  std::size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  for (const auto& [left, help] : rows) text += fmt::format("  {:<{}}  {}\n", left, width, help);
  return text;
}

std::string program_help() {
  std::string text =
      "usage: moesim [COMMAND] [ARGS...]\n\n"
      "Discrete-event simulator of Mixture-of-Experts LLM decode on GPU fabrics.\n"
      "Without a command, moesim reproduces and checks the '260x' claim (same as 'moesim "
      "claim').\n\n"
      "commands:\n";
  std::size_t width = 0;
  for (const CommandSpec* command : commands()) width = std::max(width, command->name.size());
  for (const CommandSpec* command : commands())
    text += fmt::format("  {:<{}}  {}\n", command->name, width, command->summary);
  text +=
      "\n'moesim COMMAND --help' describes a command. Exit codes: 0 ok, 1 usage error, 2 bad input "
      "or\nconfiguration (the message names file:line: key), 3 internal error, 4 targets not met "
      "(validate, search).\nResults go to stdout, logs and progress to stderr "
      "(MOESIM_LOG=debug|info|warn|error sets the level).\nLimits and what is validated: "
      "docs/scenarios.md, 'Errors and limits'.\n";
  return text;
}

int run_program(std::span<const std::string> arguments, std::ostream& out,
                std::string program_directory) {
  CommandContext context{out, std::move(program_directory)};
  const CommandSpec* command = find_command("claim");
  std::span<const std::string> rest = arguments;
  if (!arguments.empty()) {
    const std::string& first = arguments.front();
    if (first == "-h" || first == "--help" || first == "help") {
      out << program_help();
      return static_cast<int>(ExitCode::Ok);
    }
    if (first == "--version") {
      out << "moesim 0.1.0\n";
      return static_cast<int>(ExitCode::Ok);
    }
    command = find_command(first);
    if (!command) {
      spdlog::error("unknown command '{}' (see 'moesim --help')", first);
      return static_cast<int>(ExitCode::Usage);
    }
    rest = arguments.subspan(1);
  }
  try {
    const ParsedArgs parsed = parse_arguments(*command, rest);
    if (parsed.flag("help")) {
      out << command_help(*command);
      return static_cast<int>(ExitCode::Ok);
    }
    return command->run(parsed, context);
  } catch (const UsageError& error) {
    spdlog::error("{}", error.what());
    spdlog::error("{} (see 'moesim {} --help')", usage_line(*command), command->name);
    return static_cast<int>(ExitCode::Usage);
  } catch (const scenario::OverrideError& error) {
    spdlog::error("{}", error.what());
    spdlog::error("{} (see 'moesim {} --help')", usage_line(*command), command->name);
    return static_cast<int>(ExitCode::Usage);
  } catch (const input::InputError& error) {
    spdlog::error("{}", error.what());
    return static_cast<int>(ExitCode::BadInput);
  } catch (const sim::TimeOutOfRange& error) {
    // What an input asked for does not fit simulated time (commands that simulate say which file).
    spdlog::error("{}", error.what());
    return static_cast<int>(ExitCode::BadInput);
  } catch (const std::exception& error) {
    spdlog::critical("internal error: {}", error.what());
    return static_cast<int>(ExitCode::Internal);
  }
}

}  // namespace moesim::cli
