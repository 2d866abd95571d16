#pragma once
// The Python eager peers: core/bench/peer_bench.py run by a Python with torch + torchvision (Debian's
// /usr/bin/python3 with torch 1.13, the same LibTorch build as ours) in a subprocess, so its timings
// come from the same library, threads and input size, one after the other with ours (never at the
// same time). A missing Python, script or torch is "unavailable" with the reason, not an error.
// Two modes: inference (the model suite: batch 1 forward passes of `models`) and train (the train
// suite: torchvision DeepLabV3-ResNet50 training steps at `batch` on `device`, timed in windows of
// `window` steps like `bench train`; peer_bench.py --train).
#include <string>
#include <vector>

#include "core/bench/timing.h"

namespace pl::core::bench {

struct PeerOptions {
  std::string python = "/usr/bin/python3";
  std::string script;                    // empty: locate_peer_script()
  int threads = 1;
  int height = 512, width = 512;
  TimingOptions timing;
  std::vector<std::string> dtypes{"fp32", "bf16"};
  std::vector<std::string> models{"dilated_r50", "deeplabv3_r50"};  // inference mode only
  double timeout_seconds = 1800;         // the whole subprocess
  // Train mode: timing.warmup and timing.runs count windows of `window` steps; stats are per step.
  bool train = false;
  int batch = 1;                         // train: images per step
  int window = 1;                        // train: steps per timed window
  std::string device = "cpu";            // train: cpu | cuda (the Python's torch must see CUDA)

  void validate() const;                 // throws std::invalid_argument naming the bad value
};

struct PeerResult {
  std::string model;   // "dilated_r50" | "deeplabv3_r50"
  std::string dtype;   // "fp32" | "bf16"
  std::string mode;    // "eager" | "autocast" | "train"
  Stats stats;         // per forward pass, or per training step
  int batch = 1;       // images per pass / step
  double images_per_s() const { return stats.median_ms > 0 ? 1000.0 * batch / stats.median_ms : 0; }
};

struct PeerReport {
  bool available = false;
  std::string reason;  // why not, when unavailable
  std::string python_version, torch_version, torchvision_version;
  int threads = 0;
  std::vector<PeerResult> results;

  const PeerResult* find(const std::string& model, const std::string& dtype) const;
};

// Where peer_bench.py is: $POLYPLENS_PEER_SCRIPT, the source tree this binary was built from, or
// <prefix>/share/polyplens/peer_bench.py next to an installed binary. Empty when none exists.
std::string locate_peer_script();

// Runs the peers; never throws for an environment problem (returns available = false with the
// reason), throws std::invalid_argument for bad options.
PeerReport run_python_peers(const PeerOptions& options);

// Parses the script's stdout (exposed for tests). Throws std::runtime_error on malformed JSON.
PeerReport parse_peer_json(const std::string& json);

}  // namespace pl::core::bench
