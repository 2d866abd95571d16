#pragma once
// Where a process sits in a data-parallel run, and the launcher behind `polyplens train --nproc N`
// (docs/distributed.md). No torch in this header: the CLI and the Training tab include it.
//
// A run of N processes on one machine: the launcher (the process the user started) starts N copies
// of a program with the torchrun environment (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT) and supervises them. It trains nothing itself. When a rank dies it
// says which one and how, waits a bounded grace period for the others to fail on their own (they
// notice within seconds, core/train/distributed.h), then stops them with SIGTERM and SIGKILL.
// Several machines: run the launcher once per machine with --nnodes/--node-rank/--master-addr, or
// use torchrun (--no-python) or a cluster scheduler that sets the same variables.
//
// Threading model: everything runs on the caller's thread. supervise() blocks until every child has
// exited; forward_signal() may be called from a signal handler (it only calls kill(2) on the pids
// recorded before supervise() started, read through an atomic pointer).
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace pl::core::train {

// One process's place in a data-parallel run, and how it talks to the others.
struct DistOptions {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string backend = "auto";  // auto (NCCL on CUDA, Gloo on the CPU) | gloo | nccl
  // Bound on the rendezvous and on any one collective (a peer that hangs); a peer that dies is
  // noticed within heartbeat_timeout_s.
  double timeout_s = 300;
  double heartbeat_timeout_s = 10;
  // BatchNorm: per-rank (DDP's default: each rank normalises over its own share of the batch) or
  // frozen (running statistics, as mmseg's norm_eval; affine weights still train).
  std::string bn = "per-rank";
  // True when the process trains as one rank of a group (also a group of one: --nproc 1).
  bool enabled = false;

  // Throws std::invalid_argument naming the bad field and value.
  void validate() const;
};

// The c10d backends this build can use ("gloo", "nccl", comma separated; empty: this build has no
// distributed training). Defined in core/train/distributed.cpp.
std::string distributed_backends();

// The torchrun environment of this process: nullopt when neither RANK nor WORLD_SIZE is set.
// Throws std::invalid_argument naming the variable and its value when one is malformed or missing.
std::optional<DistOptions> dist_options_from_env();

// What the launcher starts.
struct LaunchPlan {
  std::string program;             // absolute path of the executable (e.g. /proc/self/exe resolved)
  std::vector<std::string> args;   // argv[1..] of every child
  int nproc = 1;                   // processes on this machine
  int nnodes = 1, node_rank = 0;   // machines, and which one this is
  std::string master_addr = "127.0.0.1";
  int master_port = 0;             // 0 = pick a free port (one machine only)
  double grace_s = 30;             // after a rank fails: time the others get to exit on their own
};

struct LaunchResult {
  int exit_code = 0;               // 0 when every rank exited 0; else the first failure's code (128+signal if killed)
  int failed_rank = -1;            // the first rank that failed, -1 when none did
  std::string message;             // says which rank failed and how ("rank 1 (pid 123) was killed by signal 9 (Killed)")
};

// A free TCP port on 127.0.0.1 (bound and released; there is a small window for another process).
int pick_free_port();

// Starts the ranks of this machine and waits for them. Throws std::runtime_error when a child cannot
// be started (the ones already started are stopped first). `log` receives the supervisor's own
// lines (which rank died, who was stopped); default: stderr.
LaunchResult launch_and_supervise(const LaunchPlan& plan, void (*log)(const std::string&) = nullptr);

// Sends `sig` to every running child of the current launch (no-op when none). Async-signal-safe.
void forward_signal_to_ranks(int sig);

}  // namespace pl::core::train
