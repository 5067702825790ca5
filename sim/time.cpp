#include "sim/time.h"

#include <cmath>
#include <cstdio>

namespace moesim::sim {

void throw_time_out_of_range(const std::string& what, double seconds) {
  char text[200];
  std::snprintf(text, sizeof text,
                "%s of %g s is out of range (simulated time is counted in int64 picoseconds: "
                "durations up to %.0f days, times up to %.0f days)",
                what.c_str(), seconds, kLongestDuration.seconds() / 86400.0,
                kLatestTime.seconds() / 86400.0);
  throw TimeOutOfRange(text);
}

Picoseconds from_seconds(double seconds) {
  const double picoseconds = seconds * 1e12;
  constexpr auto kLimit = static_cast<double>(kLongestDuration.count());
  // Also false for NaN.
  if (!(std::fabs(picoseconds) <= kLimit)) throw_time_out_of_range("a time", seconds);
  return Picoseconds{static_cast<std::int64_t>(std::llround(picoseconds))};
}

}  // namespace moesim::sim
