#include "sim/time.h"

#include <cmath>

namespace moesim::sim {

Picoseconds from_seconds(double seconds) noexcept {
  return Picoseconds{static_cast<std::int64_t>(std::llround(seconds * 1e12))};
}

}  // namespace moesim::sim
