#pragma once
// Simulated time: a strong integer type counting picoseconds, so runs are exactly reproducible.
#include <compare>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace moesim::sim {

class Picoseconds {
 public:
  constexpr Picoseconds() noexcept = default;
  constexpr explicit Picoseconds(std::int64_t count) noexcept : count_(count) {}

  static constexpr Picoseconds zero() noexcept { return Picoseconds{0}; }
  static constexpr Picoseconds max() noexcept {
    return Picoseconds{std::numeric_limits<std::int64_t>::max()};
  }

  constexpr std::int64_t count() const noexcept { return count_; }
  constexpr double nanoseconds() const noexcept { return static_cast<double>(count_) * 1e-3; }
  constexpr double microseconds() const noexcept { return static_cast<double>(count_) * 1e-6; }
  constexpr double milliseconds() const noexcept { return static_cast<double>(count_) * 1e-9; }
  constexpr double seconds() const noexcept { return static_cast<double>(count_) * 1e-12; }

  friend constexpr auto operator<=>(Picoseconds, Picoseconds) noexcept = default;
  friend constexpr Picoseconds operator+(Picoseconds a, Picoseconds b) noexcept {
    return Picoseconds{a.count_ + b.count_};
  }
  friend constexpr Picoseconds operator-(Picoseconds a, Picoseconds b) noexcept {
    return Picoseconds{a.count_ - b.count_};
  }
  friend constexpr Picoseconds operator*(Picoseconds a, std::int64_t k) noexcept {
    return Picoseconds{a.count_ * k};
  }
  friend constexpr Picoseconds operator*(std::int64_t k, Picoseconds a) noexcept { return a * k; }
  constexpr Picoseconds& operator+=(Picoseconds b) noexcept {
    count_ += b.count_;
    return *this;
  }
  constexpr Picoseconds& operator-=(Picoseconds b) noexcept {
    count_ -= b.count_;
    return *this;
  }

 private:
  std::int64_t count_ = 0;
};

constexpr Picoseconds nanoseconds(std::int64_t ns) noexcept {
  return Picoseconds{ns * 1'000};
}
constexpr Picoseconds microseconds(std::int64_t us) noexcept {
  return Picoseconds{us * 1'000'000};
}
constexpr Picoseconds milliseconds(std::int64_t ms) noexcept {
  return Picoseconds{ms * 1'000'000'000};
}

// The range of simulated time. Every event is scheduled at or before kLatestTime (2^62 ps, about
// 53 days), and every duration converted from real seconds (from_seconds,
// network::transfer_picoseconds) is at most kLongestDuration (2^61 ps, about 27 days); so a time
// plus a duration plus a route's latency never overflows int64, and a value out of range is
// reported as TimeOutOfRange instead of wrapping around.
inline constexpr Picoseconds kLatestTime{std::int64_t{1} << 62};
inline constexpr Picoseconds kLongestDuration{std::int64_t{1} << 61};

// A time that moesim cannot represent: NaN, infinite, negative where a duration is expected, or
// later than kLatestTime. what() says which value and where it came from.
class TimeOutOfRange : public std::overflow_error {
 public:
  using std::overflow_error::overflow_error;
};
[[noreturn]] void throw_time_out_of_range(const std::string& what, double seconds);

// The one place where real-valued seconds become simulated time: round half away from zero to
// the nearest picosecond. Every model converts through here so the rounding rule is uniform.
// Throws TimeOutOfRange unless |seconds| <= kLongestDuration (NaN included).
Picoseconds from_seconds(double seconds);

}  // namespace moesim::sim
