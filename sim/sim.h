#pragma once
// Public API of moesim's discrete-event kernel (library target `moesim_sim`).
//   Picoseconds      — simulated time, integer picoseconds (sim/time.h)
//   Engine           — schedule / cancel / reschedule / run, handlers by id, Poster for
//                      other threads (sim/engine.h)
//   EventQueue       — lock-free MPSC priority queue under the engine (sim/event_queue.h)
//   run_phold        — the PHOLD benchmark model on an Engine (sim/phold.h)
//   RandomStream     — deterministic per-component random streams (sim/rng.h)
//   parse_quantity   — strict unit parsing: "900 GB/s", "400 Gb/s", "2 us" (sim/units.h)
// This folder depends on the C++ standard library only.
#include "sim/engine.h"
#include "sim/event_queue.h"
#include "sim/phold.h"
#include "sim/rng.h"
#include "sim/time.h"
#include "sim/units.h"
