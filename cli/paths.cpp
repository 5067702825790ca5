#include "cli/paths.h"

#include <cstdlib>
#include <filesystem>

#include "cli/cli.h"

namespace moesim::cli {

namespace fs = std::filesystem;

std::string configs_directory(const CommandContext& context) {
  std::vector<fs::path> candidates;
  if (const char* configured = std::getenv("MOESIM_CONFIGS")) candidates.emplace_back(configured);
  candidates.emplace_back("configs");
  if (!context.program_directory.empty())
    candidates.push_back(fs::path(context.program_directory) / ".." / "configs");
#ifdef MOESIM_SOURCE_DIR
  candidates.push_back(fs::path(MOESIM_SOURCE_DIR) / "configs");
#endif
  for (const fs::path& candidate : candidates) {
    std::error_code error;
    if (fs::is_directory(candidate / "scenarios", error))
      return fs::path(candidate).lexically_normal().string();
  }
  throw InputError(
      "cannot find the configs/ directory (looked at $MOESIM_CONFIGS, ./configs, next to the "
      "binary and in the "
      "source tree); run from the repository root or set MOESIM_CONFIGS");
}

}  // namespace moesim::cli
