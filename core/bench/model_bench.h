#pragma once
// `polyplens bench model`: forward latency of each preset in each dtype and inference variant, and
// beside it, in the same run: Python eager torchvision models on the same LibTorch (python_peer.h),
// the machine's matmul peak, and the floor it puts under the model's multiply-accumulates.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/base/json.h"

#include "core/bench/mac_counter.h"
#include "core/bench/matmul_peak.h"
#include "core/bench/model_variant.h"
#include "core/bench/python_peer.h"
#include "core/bench/timing.h"

namespace pl::core::bench {

using ProgressFn = std::function<void(const std::string&)>;

struct ModelBenchOptions {
  std::vector<std::string> presets{"ann-r50", "ann-r18-live"};
  int height = 0, width = 0;       // 0 = each preset's own input size
  std::vector<std::string> dtypes{"fp32", "bf16", "bf16-autocast"};
  std::vector<ModelVariant> variants;  // empty: every fold_bn x channels_last combination per dtype
  std::string device = "cpu";
  int threads = 0;                 // > 0: at::set_num_threads; 0: keep the current setting
  TimingOptions timing;
  bool peers = true;               // run the Python peers at each distinct size
  std::string python = "/usr/bin/python3";
  std::string peer_script;         // empty: locate_peer_script()
  std::vector<std::string> peer_models{"dilated_r50", "deeplabv3_r50"};
  int matmul_n = 2048;             // size of the peak-measuring products
  ProgressFn progress;             // one line per step, for the terminal

  void validate() const;           // throws std::invalid_argument naming the bad value
};

struct VariantResult {
  ModelVariant variant;
  std::string skipped;             // non-empty: not run, and why
  Stats stats;
  double floor_ms = 0;             // for this dtype (bf16 floors for bf16 and bf16-autocast)
  double floor_cpu_ms = 0;         // the same floor in CPU time (MACs at the peak's GFLOP per CPU-second)
  double fps() const { return stats.median_ms > 0 ? 1000.0 / stats.median_ms : 0; }
  double over_floor() const { return floor_ms > 0 && stats.median_ms > 0 ? stats.median_ms / floor_ms : 0; }
  // CPU time over the CPU-time floor: the load-independent distance from the floor (one thread).
  double over_floor_cpu() const {
    return floor_cpu_ms > 0 && stats.cpu_median_ms > 0 ? stats.cpu_median_ms / floor_cpu_ms : 0;
  }
};

struct PresetResult {
  std::string preset;
  int height = 0, width = 0;
  int64_t parameters = 0;          // inference graph (no auxiliary head)
  MacCount macs;                   // counted while one forward ran at height x width, batch 1
  double macs_analytic = 0;        // model/stats.h's count, for comparison
  std::vector<VariantResult> variants;
  PeerReport peers;                // Python eager peers at the same size
};

struct ModelBenchReport {
  std::string device, torch_version;
  int threads = 0;
  bool native_bf16 = false;        // CPU: AVX-512 BF16 / AMX present
  std::map<std::string, MatmulPeak> peaks;  // by dtype ("fp32", "bf16", CUDA also "fp16")
  std::vector<PresetResult> presets;

  const PresetResult* find(const std::string& preset) const;
};

// Throws std::invalid_argument for bad options; a variant that fails to run is reported in its
// `skipped` field, not thrown.
ModelBenchReport run_model_bench(const ModelBenchOptions& options);

// The variants timed when ModelBenchOptions::variants is empty: for each dtype, eager and every
// combination of fold_bn and channels_last.
std::vector<ModelVariant> default_variants(const std::vector<std::string>& dtypes);

// The terminal table: per preset, our variants, the Python peers and the floors, side by side.
std::string to_table(const ModelBenchReport& report, const TimingOptions& timing);
// {"suite": "model", "device", "threads", "torch", "native_bf16", "matmul_peak": {dtype: {...}},
//  "presets": [{"preset", "height", "width", "parameters", "macs": {...}, "floor_ms": {dtype: ms},
//               "variants": [...], "peers": {...}}]}
pl::json::Json to_json(const ModelBenchReport& report);

}  // namespace pl::core::bench
