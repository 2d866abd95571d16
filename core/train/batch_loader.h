#pragma once
// Training batches as a pure function of (seed, iteration): the sample order of epoch e is a
// shuffle seeded by (seed, e), and the augmentation of the sample at position k of that epoch is
// seeded by (seed, e, k). A run resumed at any iteration therefore sees exactly the batches an
// uninterrupted run would have seen. The last incomplete batch of an epoch is dropped (BN needs
// full batches; mmseg's iteration loop never sees a short one).
//
// Data-parallel runs (docs/distributed.md): `batch` is the global batch and rank r of `world` gets
// positions [r * batch / world, (r + 1) * batch / world) of it, with the same per-sample seeds. The
// ranks together see exactly the batches of one process, so a run resumes exactly with any number
// of processes that divides the global batch.
//
// Threading model: BatchLoader owns one producer thread that computes batches for iterations
// begin, begin+1, ... in order into a bounded queue (capacity `prefetch`) while the training thread
// computes. next() must only be called from one consumer thread. The producer uses a single
// intra-op thread so it does not fight the model for the cores. The destructor stops and joins it.
// Exceptions in the producer are rethrown by next().
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/data/augment.h"
#include "core/data/batch_augment.h"
#include "core/data/sample_cache.h"

namespace pl::core::train {

struct Batch {
  int64_t iteration = 0;
  at::Tensor images;  // float32 N x 3 x crop_h x crop_w
  at::Tensor labels;  // int64 N x crop_h x crop_w
};

// Sample indices of an epoch (a permutation of 0..n-1).
std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch);

// This rank's share of the batch of one iteration, computed on the calling thread.
Batch make_batch(const std::vector<data::Sample>& samples, const data::AugmentOptions& aug, int batch, uint64_t seed,
                 int64_t iteration, int rank = 0, int world = 1);

// The batch of one iteration augmented as a whole on the bank's device (the GPU data path): the same
// sample order and per-sample seeds as make_batch(), random choices drawn on the calling thread,
// pixels computed on the device without waiting for it.
Batch make_device_batch(const data::SampleBank& bank, const data::AugmentOptions& aug, int batch, uint64_t seed,
                        int64_t iteration, int rank = 0, int world = 1);

class BatchLoader {
 public:
  // Produces the batches of iterations [begin, end). `samples` must outlive the loader.
  BatchLoader(const std::vector<data::Sample>& samples, data::AugmentOptions aug, int batch, uint64_t seed,
              int64_t begin, int64_t end, int prefetch = 2, int rank = 0, int world = 1);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  Batch next();  // blocks until the next batch is ready; throws std::out_of_range past `end`

 private:
  void produce();

  const std::vector<data::Sample>& samples_;
  data::AugmentOptions aug_;
  int batch_;
  uint64_t seed_;
  int rank_, world_;
  int64_t next_produce_, next_consume_, end_;
  size_t capacity_;

  std::mutex mu_;                 // guards queue_, stop_, error_
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;            // last: starts after the fields above are set
};

}  // namespace pl::core::train
