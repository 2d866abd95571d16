#pragma once
// `polyplens bench train`: training throughput of the real trainer per preset and crop. One iteration
// is what the Trainer does per batch (core/train/trainer.cpp):
//  - the batch: decoded uint8 samples in memory (real Kvasir-SEG when found, else synthetic images
//    with an elliptical polyp) through the training augmentation, either whole batches on the device
//    (data_path "device": SampleBank + make_device_batch, batch_augment.h) or one sample at a time on
//    the BatchLoader's producer thread (data_path "host": make_batch, prefetch 2);
//  - the step: core/train/train_step.h's TrainStep (train-mode forward with the aux head under bf16
//    autocast for dtype bf16-autocast, channels-last on CUDA; CE + 0.4 aux CE in fp32; backward;
//    core/train/sgd.h's Sgd, momentum 0.9, weight decay 5e-4, lr 0.01).
// Timed as windows of `window` iterations end to end (batch building + step), the device
// synchronised only at the start and the end of a window, where the window's loss parts are read
// back and checked (the CPU reads each step's loss as the Trainer does there). images/s = batch x
// window / window time; `timing` counts windows (warm-up windows, measured windows, time budget).
// Beside it: the same batch through a train-mode forward without autograd (so the table shows what
// data, backward and the step add), and the Python peer: torchvision DeepLabV3-ResNet50 training
// steps at the same crop, batch, dtype and device (python_peer.h, peer_bench.py --train).
#include <functional>
#include <string>
#include <vector>

#include "core/base/json.h"

#include "core/bench/python_peer.h"
#include "core/bench/timing.h"

namespace pl::core::bench {

struct TrainBenchCase {
  std::string preset;
  int crop_h = 0, crop_w = 0;  // 0: the preset's input size
  int batch = 0;               // 0: on CUDA 8; on the CPU 2 for ResNet-50/101 presets, 8 for the others
};

struct TrainBenchOptions {
  std::vector<TrainBenchCase> cases{{"ann-r18-live"}, {"ann-r50"}};
  std::vector<std::string> dtypes{"fp32", "bf16-autocast"};  // bf16-autocast: the Trainer's amp=bf16
  std::string device = "cpu";
  int threads = 0;  // > 0: at::set_num_threads
  TimingOptions timing{1, 3, 120};  // windows: warm-up, measured, budget for the measured ones
  int window = 0;                   // iterations per timed window; 0: 20 on CUDA, 2 on the CPU
  std::string data_path = "auto";   // auto (device on CUDA, host on the CPU: the Trainer's default) | device | host
  // Kvasir-SEG style folder (images/, masks/); empty: data::default_data_root(); "synthetic": do
  // not look, use synthetic samples. A folder that is missing or unusable falls back to synthetic
  // (the report says why).
  std::string data_root;
  int max_images = 64;  // training images decoded (at least 2 x the largest batch are used)
  // The Python training-step peer, per case (crop, batch) on the same device, after our figures.
  bool peers = true;
  std::string python = "/usr/bin/python3";
  std::string peer_script;  // empty: locate_peer_script()
  std::function<void(const std::string&)> progress;

  void validate() const;  // throws std::invalid_argument naming the bad value
};

struct TrainBenchResult {
  std::string preset, dtype, skipped;
  int crop_h = 0, crop_w = 0, batch = 0;
  std::string data_path;    // "device" | "host"
  std::string data;         // "kvasir-seg (N images)" | "synthetic"
  std::string data_note;    // why synthetic although a data folder was asked for / looked for
  int window = 0;           // iterations per timed window
  Stats window_stats;       // one window, end to end (ms)
  Stats step;               // per iteration: window_stats / window (ms)
  Stats forward;            // train-mode forward of one batch, no autograd (ms)
  double first_loss = 0, last_loss = 0;        // total loss of the first and last iteration run
  double last_decode_loss = 0, last_aux_loss = 0;
  PeerReport peer;          // the Python training-step peer for this case (results for every dtype)
  double images_per_s() const { return step.median_ms > 0 ? 1000.0 * batch / step.median_ms : 0; }
  double forward_images_per_s() const { return forward.median_ms > 0 ? 1000.0 * batch / forward.median_ms : 0; }
  // The peer's figure for this dtype (bf16-autocast <-> bf16), or nullptr.
  const PeerResult* peer_result() const;
};

struct TrainBenchReport {
  std::string device;
  int threads = 0;
  std::vector<TrainBenchResult> results;
};

TrainBenchReport run_train_bench(const TrainBenchOptions& options);

std::string to_table(const TrainBenchReport& report, const TimingOptions& timing);
// {"suite": "train", "device", "threads", "results": [{"preset", "dtype", "crop_h", "crop_w", "batch",
//   "step": {stats}, "forward": {stats}, "images_per_s", "forward_images_per_s", "first_loss", "last_loss",
//   "data_path", "data", ["data_note"], "window_iterations", "window": {stats}, "last_decode_loss",
//   "last_aux_loss", "peer": {"available", "reason" | "model", "python", "torch", "torchvision",
//   "threads", "dtype", "step": {stats}, "images_per_s", "ours_over_peer"}}]}
// (a skipped/failed case has "skipped" instead of the figures, plus "data_path").
pl::json::Json to_json(const TrainBenchReport& report);

}  // namespace pl::core::bench
