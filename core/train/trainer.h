#pragma once
// Trains an ANN segmenter on Kvasir-SEG style folders with a TrainConfig (the paper's recipe by
// default, or a named one: core/train/recipes.h), writes a run directory and reports progress.
//
// Run directory (TrainConfig::out_dir):
//   config.json    the TrainConfig of the run
//   split.json     the train/val names; a resumed run reuses them
//   last.pt        latest checkpoint (model + optimiser state + iteration + RNG state): resumable
//   best.pt        checkpoint with the best validation polyp Dice (dataset-level)
//   epoch_NNNN.pt  optional snapshots (snapshot_every)
//   metrics.jsonl  one JSON object per log step ({"type":"train",...}) and validation ({"type":"val",...})
//
// Exact resume: batches are a pure function of (seed, iteration) (batch_loader.h), the learning
// rate a function of the iteration, and last.pt holds everything else (weights, BN statistics,
// optimiser state, the live weights beside an EMA, the CPU RNG that drives dropout). On the CPU a
// run killed and resumed ends with the same weights as an uninterrupted one. On CUDA, kernels are
// not bit-deterministic.
//
// Validation runs on the val images as cached (shrunk to the cache long side), through the same
// letterbox geometry as the Predictor; `polyplens eval` scores at the original resolution.
//
// Data-parallel runs (set_distributed(), docs/distributed.md): every rank runs run(); `batch` is the
// global batch, each rank trains on its share, gradients are averaged over the ranks, and rank 0
// alone validates and writes config.json, last.pt, best.pt and metrics.jsonl (its progress is the
// run's). The other ranks report only failures through the callback.
//
// Threading model: run() executes on the caller's thread and blocks until the run finishes, is
// cancelled or fails (the GUI calls it on a worker thread). A BatchLoader producer thread lives
// inside run(). pause(), resume() and cancel() may be called from any thread at any time (atomics,
// checked between iterations); cancel() makes run() write a resumable last.pt and return.
// The progress callback is invoked on run()'s thread.
#include <atomic>
#include <memory>

#include "core/data/dataset.h"
#include "core/train/launcher.h"
#include "core/train/progress.h"
#include "core/train/train_config.h"

namespace pl::core::train {

class Trainer {
 public:
  explicit Trainer(TrainConfig config);  // throws std::invalid_argument from TrainConfig::validate()
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Scans the data set and fixes the split (writes split.json). Called by run() when not called
  // before; call it first to show the summary. Throws data::DatasetError.
  const data::DatasetSummary& prepare();

  // Trains. Returns Finished, Cancelled (last.pt resumable) or Failed (message says why: NaN loss,
  // bad data, out of memory ...); configuration and data errors are returned as Failed too.
  TrainResult run(const ProgressCallback& on_progress = {});

  void pause() { paused_ = true; }
  void resume() { paused_ = false; }
  void cancel() { cancelled_ = true; }
  bool is_paused() const { return paused_; }
  bool is_cancelled() const { return cancelled_; }

  // Train as one rank of a data-parallel group (options.enabled), and the BatchNorm mode (options.bn,
  // also for a single process). Call before run().
  void set_distributed(const DistOptions& options) { dist_ = options; }
  const DistOptions& distributed() const { return dist_; }

  const TrainConfig& config() const { return config_; }
  const data::DatasetSummary& summary() const;  // empty before prepare()

  // Learning rate at an iteration: (lr - min_lr) * (1 - it / total)^power + min_lr.
  static double poly_lr(const TrainConfig& config, int64_t iteration, int64_t total_iterations);
  // What the run uses: poly_lr, times the linear warm-up factor warmup_ratio + (1 - warmup_ratio) *
  // it / warmup_iters during the first warmup_iters iterations.
  static double learning_rate(const TrainConfig& config, int64_t iteration, int64_t total_iterations);

 private:
  struct State;
  class Run;  // one call of run(): setup, step, end of epoch, finish
  TrainResult run_impl(const ProgressCallback& on_progress);

  TrainConfig config_;
  DistOptions dist_;
  std::atomic<bool> paused_{false}, cancelled_{false};
  std::unique_ptr<State> state_;
};

}  // namespace pl::core::train
