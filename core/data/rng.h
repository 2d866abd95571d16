#pragma once
// Small, portable random helpers. The standard library's distributions are implementation-defined,
// so draws go through these functions: the same seed gives the same split, the same crops and the
// same sample order on every platform, which is what makes resumed training exact.
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace pl::core::data {

using Rng = std::mt19937_64;

// splitmix64: turns correlated inputs (seed, epoch, index) into well-spread seeds.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t derive_seed(uint64_t seed, uint64_t a, uint64_t b = 0) {
  return mix64(mix64(mix64(seed) ^ a) ^ b);
}

// Uniform double in [lo, hi).
inline double uniform(Rng& rng, double lo, double hi) {
  const double u = static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);  // 2^-53
  return lo + (hi - lo) * u;
}

// Uniform integer in [lo, hi) (numpy's randint convention); returns lo when hi <= lo.
inline int64_t randint(Rng& rng, int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo));
}

// Fisher-Yates with randint above.
template <typename T>
void shuffle(std::vector<T>& v, Rng& rng) {
  for (int64_t i = static_cast<int64_t>(v.size()) - 1; i > 0; --i) {
    const int64_t j = randint(rng, 0, i + 1);
    std::swap(v[static_cast<size_t>(i)], v[static_cast<size_t>(j)]);
  }
}

}  // namespace pl::core::data
