// moesim: the command-line program. Logging goes to stderr; see cli.h for commands and exit codes.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace {

// MOESIM_LOG=trace|debug|info|warn|error|critical|off; anything else keeps `info` and says so (an
// unknown level must not switch the error messages off).
void set_up_logging() {
  auto logger = spdlog::stderr_color_mt("moesim");
  logger->set_pattern("moesim: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);
  const char* text = std::getenv("MOESIM_LOG");
  if (!text) return;
  const std::string level(text);
  for (const char* name :
       {"trace", "debug", "info", "warn", "warning", "error", "err", "critical", "off"}) {
    if (level == name) {
      spdlog::set_level(spdlog::level::from_str(level));
      return;
    }
  }
  spdlog::warn(
      "MOESIM_LOG='{}' is not a log level (trace, debug, info, warn, error, critical, "
      "off); logging at info",
      level);
}

std::string program_directory(const char* argv0) {
  std::error_code error;
  const auto self = std::filesystem::canonical("/proc/self/exe", error);
  if (!error) return self.parent_path().string();
  return std::filesystem::absolute(argv0).parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  set_up_logging();
  const std::vector<std::string> arguments(argv + 1, argv + argc);
  const int code = moesim::cli::run_program(arguments, std::cout, program_directory(argv[0]));
  std::cout.flush();
  return code;
}
