#pragma once
// Fabric builders driven by YAML (configs/fabrics/*.yaml; schema in docs/fabrics.md). Loader-side
// header: it includes yaml-cpp through topology/config.h, so keep it out of widely included
// headers.
//   kind: nvl72    GB200/GB300 NVL72 racks: 72 GPUs per non-blocking NVLink domain, a NIC per GPU
//   and a
//                  rail-optimized two-tier fat tree across racks (`racks: N`)
//   kind: hgx      8-GPU HGX servers (H100, H800, H200, B200) on a rail-optimized two-tier fat tree
//   kind: generic  vertices and links listed in the file (e.g. a CloudMatrix-384-like supernode)
#include <string>

#include "input/mapping.h"
#include "topology/fabric.h"

namespace moesim::topology {

// Throws input::InputError naming file:line: key for every error (unknown key, bad unit, bad
// value).
Fabric load_fabric_file(const std::string& yaml_path);
// The same from an already-parsed mapping (scenarios embed or include fabric mappings).
Fabric load_fabric(const input::Mapping& fabric_mapping);

}  // namespace moesim::topology
