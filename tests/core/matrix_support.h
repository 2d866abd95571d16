#pragma once
// Small helpers shared by the bad-input matrices (tests/core/test_matrix_*.cpp): byte-level file
// surgery and the one-line "CASE <name>: <outcome>" report every row prints, so a CI log reads as
// the matrix's table.
#include <QtTest>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace pl::test {

inline std::vector<char> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_all(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<char> random_bytes(size_t n, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::vector<char> b(n);
  for (auto& c : b) c = static_cast<char>(rng() & 0xff);
  return b;
}

// Overwrites `n` bytes starting at `offset` with seeded random bytes (file size unchanged).
inline void corrupt_range(const std::string& path, size_t offset, size_t n, uint32_t seed = 11) {
  auto b = read_all(path);
  const auto noise = random_bytes(n, seed);
  for (size_t i = 0; i < n && offset + i < b.size(); ++i) b[offset + i] = noise[i];
  write_all(path, b);
}

// Keeps the first `keep` bytes.
inline void truncate_to(const std::string& path, size_t keep) {
  auto b = read_all(path);
  if (keep < b.size()) b.resize(keep);
  write_all(path, b);
}

// The row's verdict, printed whether it passes or fails (QTest prints failures on top).
inline void report_case(const std::string& outcome) {
  const char* tag = QTest::currentDataTag() ? QTest::currentDataTag() : QTest::currentTestFunction();
  qInfo("CASE %s: %s", tag, outcome.c_str());
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace pl::test
