#pragma once
// `polyplens bench train`: training throughput per preset and crop. One iteration is what the
// Trainer does per batch: forward in train mode (decode + aux heads), the paper's loss
// (model/losses.h: CE + 0.4 aux CE), backward, and an SGD step with momentum and weight decay, on
// random images and labels (speed does not depend on the data). Beside it: the same batch through
// a train-mode forward without autograd, so the table shows what backward and the step add.
#include <functional>
#include <string>
#include <vector>

#include "core/base/json.h"

#include "core/bench/timing.h"

namespace pl::core::bench {

struct TrainBenchCase {
  std::string preset;
  int crop_h = 0, crop_w = 0;  // 0: the preset's input size
  int batch = 0;               // 0: 2 for ResNet-50/101 presets, 8 for the others (fits 2 cores)
};

struct TrainBenchOptions {
  std::vector<TrainBenchCase> cases{{"ann-r18-live"}, {"ann-r50"}};
  std::vector<std::string> dtypes{"fp32", "bf16-autocast"};  // bf16-autocast: the Trainer's amp=bf16
  std::string device = "cpu";
  int threads = 0;  // > 0: at::set_num_threads
  TimingOptions timing{1, 3, 120};
  std::function<void(const std::string&)> progress;

  void validate() const;  // throws std::invalid_argument naming the bad value
};

struct TrainBenchResult {
  std::string preset, dtype, skipped;
  int crop_h = 0, crop_w = 0, batch = 0;
  Stats step;        // one training iteration (ms)
  Stats forward;     // train-mode forward of the same batch, no autograd (ms)
  double first_loss = 0, last_loss = 0;  // finite, or the case is reported as failed
  double images_per_s() const { return step.median_ms > 0 ? 1000.0 * batch / step.median_ms : 0; }
  double forward_images_per_s() const { return forward.median_ms > 0 ? 1000.0 * batch / forward.median_ms : 0; }
};

struct TrainBenchReport {
  std::string device;
  int threads = 0;
  std::vector<TrainBenchResult> results;
};

TrainBenchReport run_train_bench(const TrainBenchOptions& options);

std::string to_table(const TrainBenchReport& report, const TimingOptions& timing);
// {"suite": "train", "device", "threads", "results": [{"preset", "dtype", "crop_h", "crop_w", "batch",
//   "step": {stats}, "forward": {stats}, "images_per_s", "forward_images_per_s", "first_loss", "last_loss"}]}
pl::json::Json to_json(const TrainBenchReport& report);

}  // namespace pl::core::bench
