#pragma once
// Counts the multiply-accumulates a piece of LibTorch code performs, by watching the operators it
// dispatches: convolutions (from input and weight shapes, stride, padding, dilation, groups) and
// matrix products (mm, bmm, addmm, baddbmm). Elementwise ops, pooling and resizing are not counted;
// they are a rounding error next to the convolutions of a segmenter (docs/model.md §8 counts the same way).
//
// Threading model: counts the calling thread's operators only (a thread-local RecordFunction
// callback). Intra-op worker threads run kernels, not operators, so nothing is missed on the CPU.
#include <cstdint>
#include <functional>

namespace pl::core::bench {

struct MacCount {
  int64_t conv = 0;    // multiply-accumulates in convolutions
  int64_t matmul = 0;  // in mm / bmm / addmm / baddbmm
  int64_t total() const { return conv + matmul; }
};

// Runs fn once on this thread and returns what it computed. Not reentrant.
MacCount count_macs(const std::function<void()>& fn);

}  // namespace pl::core::bench
