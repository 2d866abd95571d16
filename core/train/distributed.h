#pragma once
// Data-parallel training on LibTorch's c10d (docs/distributed.md): a TCPStore rendezvous served by
// rank 0, a Gloo (CPU) or NCCL (CUDA) process group, and the gradient all-reduce of one iteration
// in buckets launched from autograd hooks while backward still runs. No communication code of our
// own: every byte between ranks goes through c10d.
//
// What is built depends on the LibTorch found at build time (CMake checks for c10d's Gloo and NCCL
// headers; docs/distributed.md): without either, DistContext::connect() throws a DistError saying
// this build has no distributed training.
//
// Faults are bounded: a collective that fails (a peer's connection closed) or outlasts
// DistOptions::timeout_s throws; a heartbeat thread names the rank that stopped (no heartbeat for
// heartbeat_timeout_s, or its own exit reason), and when the main thread is stuck in a collective
// that never returns (NCCL) it ends the process after a grace period. Rank 0 alone writes files,
// through atomic renames, so a fault never leaves a torn checkpoint.
//
// Threading model: DistContext and GradSync are used from the training thread, except that
// GradSync's gradient hooks run on autograd's threads during backward (the calling thread on the
// CPU, the device thread on CUDA; one at a time for one device), and the collectives themselves run
// on c10d's worker threads. DistContext owns one heartbeat thread with its own store connection;
// it shares only `problem_` (mutex) and `stop_` (atomic) with the training thread.
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "core/train/launcher.h"

namespace torch::nn {
class Module;
}

namespace pl::core::train {

// A failure of the group: rendezvous, a lost rank, a timeout. The message names the rank when known.
class DistError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DistContext {
 public:
  // Rendezvous with the other ranks (bounded by options.timeout_s) and opens the process group for
  // `device` (backend auto: NCCL for CUDA, Gloo for the CPU). Throws DistError.
  static std::unique_ptr<DistContext> connect(const DistOptions& options, const c10::Device& device);
  ~DistContext();
  DistContext(const DistContext&) = delete;
  DistContext& operator=(const DistContext&) = delete;

  int rank() const;
  int world() const;
  const std::string& backend() const;
  bool is_main() const { return rank() == 0; }

  // Rank 0's values of `tensors` on every rank, in place.
  void broadcast(std::vector<at::Tensor>& tensors);
  // Sums `t` over the ranks in place and waits (on CUDA: the current stream waits, not the host).
  void allreduce_sum(at::Tensor& t);
  // All ranks meet here (bounded by the timeout); `what` names the point in errors.
  void barrier(const std::string& what);
  // Rank 0 says `key` happened; wait_signal(key) on the others returns then. The wait has no time
  // limit (rank 0 may validate for a long time) but ends with a DistError when rank 0 is gone.
  void signal(const std::string& key);
  void wait_signal(const std::string& key);

  // Rethrows a failure of a collective as a DistError that names the rank that stopped, when the
  // heartbeat names one within heartbeat_timeout_s (+2 s). `where` says what this rank was doing.
  [[noreturn]] void fail(const std::string& where, const std::exception& e);
  // Tells the other ranks why this one stops (read by their heartbeat threads).
  void set_exit_reason(const std::string& reason);
  // Last meeting of a run that finished: every rank passes it before any tears down the store.
  void finish();

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit DistContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The gradient all-reduce of one iteration, in buckets of about bucket_mb MiB (DDP's layout: the
// parameters in reverse order, the first bucket 1 MiB so communication starts early). A hook on each
// parameter copies its gradient into its bucket; a full bucket is all-reduced at once, in bucket
// order on every rank, while backward continues. end() waits and writes the mean gradient back.
class GradSync {
 public:
  GradSync(DistContext& ctx, const std::vector<std::pair<std::string, at::Tensor>>& params, double bucket_mb = 25);
  ~GradSync();
  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  void begin();  // before backward
  void end();    // after backward: every bucket reduced, p.grad = mean over ranks
  size_t buckets() const;

  struct State;

 private:
  DistContext& ctx_;
  std::unique_ptr<State> s_;
};

// Puts every BatchNorm of `module` in eval mode (running statistics): DistOptions::bn == "frozen".
void freeze_batchnorm(const std::shared_ptr<torch::nn::Module>& module);

}  // namespace pl::core::train
