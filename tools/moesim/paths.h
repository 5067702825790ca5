#pragma once
// Finding moesim's configs/ directory and resolving paths inside config files.
#include <string>

namespace moesim::cli {

struct CommandContext;

// The configs/ directory used by commands that have a built-in default (the claim, plan):
// $MOESIM_CONFIGS if set, else ./configs if it exists, else <directory of the moesim
// binary>/../configs (build/moesim inside a source tree), else the source tree the binary was built
// from. Throws InputError if none exists.
std::string configs_directory(const CommandContext& context);

// `path` as written in a file: absolute paths are kept, relative ones are taken relative to the
// directory of `including_file` (or the current directory if including_file is empty).
std::string resolve_relative(const std::string& including_file, const std::string& path);

}  // namespace moesim::cli
