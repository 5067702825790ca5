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

}  // namespace moesim::cli
