#pragma once
// Public API of moesim's input-file reader (library target `moesim_input`). Depends on sim/ only;
// yaml-cpp is private to it.
//   Mapping, ScalarRow     — a YAML mapping with file:line: key errors (mapping.h)
//   InputError             — bad input of any kind; the CLI exits with code 2 (mapping.h)
//   parse_finite_number, resolve_relative, yaml_files_in                   (mapping.h)
#include "input/mapping.h"
