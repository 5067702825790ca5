#pragma once
// Simulated time: a strong integer type counting picoseconds, so runs are exactly reproducible.
#include <compare>
#include <cstdint>
#include <limits>

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

// The one place where real-valued seconds become simulated time: round half away from zero to
// the nearest picosecond. Every model converts through here so the rounding rule is uniform.
Picoseconds from_seconds(double seconds) noexcept;

}  // namespace moesim::sim
