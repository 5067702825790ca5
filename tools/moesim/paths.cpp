#include "tools/moesim/paths.h"

#include <cstdlib>
#include <filesystem>

#include "tools/moesim/cli.h"

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

std::string resolve_relative(const std::string& including_file, const std::string& path) {
  const fs::path written(path);
  if (written.is_absolute() || including_file.empty()) return written.lexically_normal().string();
  return (fs::path(including_file).parent_path() / written).lexically_normal().string();
}

}  // namespace moesim::cli
