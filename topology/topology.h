#pragma once
// Public API of moesim's fabrics library (target `moesim_topology`). Depends on sim/ and input/.
//   Fabric, FabricBuilder, Link, LinkTier, VertexKind  — the fabric graph and its routes (fabric.h)
//   ClusterDescription, build_cluster                  — servers + rail-optimized fat tree in code
//                                                        (cluster.h)
//   load_fabric_file, load_fabric                      — fabrics from YAML (builders.h)
//   summarize, write_summary, write_dot                — what `moesim topo` prints (summary.h)
// The network models that carry messages over a fabric are a library of their own: network/.
#include "topology/builders.h"
#include "topology/cluster.h"
#include "topology/fabric.h"
#include "topology/summary.h"
