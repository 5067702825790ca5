#pragma once
// Strict parsing of quantities written as people write them: "900 GB/s", "400 Gb/s", "2 us",
// "141 GB", "989 TFLOP/s", "700 W". Decimal prefixes are powers of 1000 (GB = 1e9 bytes), binary
// prefixes powers of 1024 (GiB); a lower-case "b" means bits. Anything else is rejected with a
// message that lists what is accepted, so a typo never silently becomes a different number.
#include <string>
#include <string_view>

#include "sim/time.h"

namespace moesim::sim {

enum class Quantity { Bytes, BytesPerSecond, Seconds, FlopsPerSecond, Watts };

// Returns the value in base units (bytes, bytes/s, seconds, FLOP/s, watts) or throws
// std::invalid_argument whose what() says what was wrong ("unknown unit 'GBs' in '900 GBs'; ...").
double parse_quantity(std::string_view text, Quantity kind);

// Time quantities convert to Picoseconds through from_seconds (round to nearest); a duration
// beyond kLatestTime is std::invalid_argument ("... is too large").
Picoseconds parse_duration(std::string_view text);

// The accepted unit spellings for a kind, for error messages and docs.
std::string accepted_units(Quantity kind);

}  // namespace moesim::sim
