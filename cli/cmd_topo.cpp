// `moesim topo FILE [--dot OUT]`: what a fabric file builds (GPUs, domains, switches, links,
// per-GPU and aggregate bandwidth per tier, bisection, diameter), and optionally its Graphviz
// rendering.
#include <sstream>

#include "cli/cli.h"
#include "cli/text.h"
#include "topology/builders.h"
#include "topology/summary.h"

namespace moesim::cli {

namespace {

int run_topo(const ParsedArgs& args, CommandContext& context) {
  const auto dot_file = args.value("dot");
  if (dot_file) check_output_path("--dot", *dot_file, {args.positional.front()});
  const topology::Fabric fabric = topology::load_fabric_file(args.positional.front());
  topology::write_summary(topology::summarize(fabric), context.out);
  if (dot_file) {
    std::ostringstream dot;
    topology::write_dot(fabric, dot);
    write_file_atomically(*dot_file, dot.str());
  }
  return 0;
}

}  // namespace

extern const CommandSpec topo_command{
    .name = "topo",
    .summary =
        "summarize a fabric file (GPUs, domains, links, bandwidth per tier, bisection); --dot for "
        "Graphviz",
    .usage = "FABRIC.yaml [--dot OUT.dot]",
    .description =
        "Render the Graphviz file with e.g. 'dot -Tsvg OUT.dot -o fabric.svg' (Graphviz is not a "
        "dependency).",
    .options = {{"dot", "OUT",
                 "also write the fabric as a Graphviz DOT file (written atomically)"}},
    .min_positional = 1,
    .max_positional = 1,
    .run = run_topo,
};

}  // namespace moesim::cli
