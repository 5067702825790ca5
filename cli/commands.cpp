// The registry of moesim's commands. To add one, define its CommandSpec in its own .cpp (see cli.h)
// and add one MOESIM_COMMAND line below; `moesim --help` lists commands in this order.
#include "cli/cli.h"

#define MOESIM_COMMAND(spec) extern const CommandSpec spec;
#define MOESIM_COMMANDS            \
  MOESIM_COMMAND(claim_command)    \
  MOESIM_COMMAND(run_command)      \
  MOESIM_COMMAND(plan_command)     \
  MOESIM_COMMAND(compare_command)  \
  MOESIM_COMMAND(search_command)   \
  MOESIM_COMMAND(sweep_command)    \
  MOESIM_COMMAND(merge_command)    \
  MOESIM_COMMAND(topo_command)     \
  MOESIM_COMMAND(validate_command) \
  MOESIM_COMMAND(selfcheck_command)
namespace moesim::cli {
MOESIM_COMMANDS
#undef MOESIM_COMMAND
#define MOESIM_COMMAND(spec) &spec,

std::span<const CommandSpec* const> commands() {
  static const CommandSpec* const registered[] = {MOESIM_COMMANDS};
  return registered;
}

}  // namespace moesim::cli
