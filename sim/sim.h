#pragma once
// Public API of moesim's discrete-event kernel (library target `moesim_sim`).
//   Picoseconds      — simulated time, integer picoseconds (sim/time.h)
//   Engine           — schedule / cancel / reschedule / run, handlers by id, Poster for
//                      other threads (sim/engine.h)
//   EventQueue       — lock-free MPSC priority queue under the engine (sim/event_queue.h)
//   RandomStream     — deterministic per-component random streams (sim/rng.h)
//   parse_quantity   — strict unit parsing: "900 GB/s", "400 Gb/s", "2 us" (sim/units.h)
// This folder depends on the C++ standard library only.
#include "bench/phold.h"
#include "sim/engine.h"
#include "sim/event_queue.h"
#include "sim/rng.h"
#include "sim/time.h"
#include "sim/units.h"
