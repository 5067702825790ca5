#pragma once
// Deterministic random streams. Each component draws from its own stream derived from the run seed
// and a stream name, so adding a component never shifts another component's random numbers.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace moesim::sim {

// SplitMix64: a tiny, well-mixed generator; good enough for simulation workloads and trivially
// reproducible across platforms (unlike std::distributions, whose algorithms are unspecified).
class RandomStream {
 public:
  using result_type = std::uint64_t;

  RandomStream(std::uint64_t seed, std::string_view stream_name) noexcept;
  explicit RandomStream(std::uint64_t seed) noexcept : state_(seed) {}

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  result_type operator()() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, bound) without modulo bias (Lemire's multiply-shift with rejection).
  // Inline: it is on the hot path of every event-generating model.
  std::uint64_t below(std::uint64_t bound) noexcept {
    if (bound == 0) return 0;
    __extension__ using Wide = unsigned __int128;
    Wide product = static_cast<Wide>((*this)()) * bound;
    auto low = static_cast<std::uint64_t>(product);
    if (low < bound) {
      const std::uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        product = static_cast<Wide>((*this)()) * bound;
        low = static_cast<std::uint64_t>(product);
      }
    }
    return static_cast<std::uint64_t>(product >> 64);
  }
  // Exponential with the given mean, by inversion. U = k / 2^53, so 1 - U is exact and lies in
  // (0, 1]: the log is finite, and glibc's log is about twice as fast as log1p.
  double exponential(double mean) noexcept { return -mean * std::log(1.0 - uniform()); }

 private:
  std::uint64_t state_;
};

// 64-bit FNV-1a, used to derive stream seeds from names and to hash event traces.
std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash = 0xcbf29ce484222325ULL) noexcept;

}  // namespace moesim::sim
