#include "sim/rng.h"

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

}  // namespace moesim::sim
