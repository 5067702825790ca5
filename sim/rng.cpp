#include "sim/rng.h"

#include <cmath>

namespace moesim::sim {

std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash) noexcept {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

RandomStream::RandomStream(std::uint64_t seed, std::string_view stream_name) noexcept
    : state_(seed ^ fnv1a(stream_name)) {
  (*this)();  // decorrelate neighbouring seeds
}

std::uint64_t RandomStream::below(std::uint64_t bound) noexcept {
  if (bound == 0) return 0;
  unsigned __int128 product = static_cast<unsigned __int128>((*this)()) * bound;
  auto low = static_cast<std::uint64_t>(product);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = static_cast<unsigned __int128>((*this)()) * bound;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

double RandomStream::exponential(double mean) noexcept {
  // 1 - U lies in (0, 1], so the logarithm is finite.
  return -mean * std::log1p(-uniform());
}

}  // namespace moesim::sim
