#pragma once
// Every setting of a training run. Defaults are the paper's recipe (= mmseg ann_r50-d8 schedule,
// docs/recipe.md): SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 10, 500 epochs, poly decay
// (power 0.9, min lr 1e-4) stepped per iteration, CE on decode + 0.4 x CE on aux, validation every
// 100 epochs. No torch in this header: the GUI edits this struct directly.
#include <cstdint>
#include <optional>
#include <string>

#include "model/options.h"

namespace pl::core::train {

struct TrainConfig {
  // Data.
  std::string data_root;             // folder with images/ and masks/ (see core/data/dataset.h)
  std::string split = "official";    // official | random90 (a split.json in out_dir always wins)
  int max_images = 0;                // 0 = all; cap for quick runs and tests
  bool strict = false;               // data problems are errors instead of counted warnings
  int cache_long_side = -1;          // shrink images on load to this long side; -1 = 2 x crop long side, 0 = never

  // Model.
  std::string preset = "ann-r50";
  std::string backbone_weights;      // torchvision resnet state dict (optional)
  // Replaces preset(preset) when set (tests, experiments). Not written to config.json: the
  // checkpoints store the model's options, and a resume takes them from last.pt.
  std::optional<pl::model::SegmentorOptions> model_options;

  // Augmentation (docs/recipe.md §3). crop 0x0 = 512x1024 (the paper) for ann-r50/ann-r101, the preset's
  // input size for the CPU presets.
  int crop_h = 0, crop_w = 0;
  int scale_long = 0, scale_short = 0;  // RandomResize base scale; 0 = twice the crop
  double ratio_min = 0.5, ratio_max = 2.0;
  double cat_max_ratio = 0.75;
  double flip_prob = 0.5;
  bool photometric = true;

  // Schedule and loss.
  int epochs = 500;
  int batch = 10;
  double lr = 0.01, momentum = 0.9, weight_decay = 5e-4;
  double poly_power = 0.9, min_lr = 1e-4;
  double aux_weight = 0.4;
  // Soft Dice added to CE on each head. 0 = the paper (CE only). A documented deviation that helps
  // from-scratch CPU training of the small presets, where polyps are a minority class.
  double dice_weight = 0.0;

  // Bookkeeping.
  int val_every = 100;               // epochs between validations; 0 = only at the end
  int checkpoint_every = 1;          // epochs between last.pt updates (also written on cancel/end)
  int checkpoint_every_iters = 0;    // additionally every N iterations; 0 = off
  int snapshot_every = 0;            // epochs between kept epoch_NNNN.pt copies; 0 = none
  int log_every = 10;                // iterations between metrics.jsonl lines / log lines
  std::string out_dir;               // run directory: last.pt, best.pt, split.json, config.json, metrics.jsonl
  bool resume = false;               // continue from out_dir/last.pt

  // Execution.
  std::string device = "auto";       // auto | cpu | cuda | cuda:N
  int threads = 0;                   // intra-op threads; 0 = hardware threads
  // bf16 autocast of the forward pass (losses in fp32): auto = on CUDA and on CPUs with native bf16
  // (2x faster here), off elsewhere | off (plain fp32) | bf16.
  std::string amp = "auto";
  uint64_t seed = 0;
  int loader_threads = 2;            // decoding threads when filling the cache
  int prefetch = 2;                  // batches prepared ahead by the producer thread (host data path)
  // Where batches are augmented: host (one sample at a time on a producer thread, augment.h) |
  // device (whole batches on the training device, batch_augment.h: the GPU path) | auto (device on
  // CUDA, host on the CPU). Both are pure functions of (seed, iteration), so resume stays exact.
  std::string data_path = "auto";

  // Throws std::invalid_argument naming the field and its bad value (also checks the preset name).
  void validate() const;

  // Crop with the preset-dependent default applied.
  int effective_crop_h() const;
  int effective_crop_w() const;
  int effective_cache_long_side() const;
  int effective_threads() const;
  bool device_data_path(bool cuda) const { return data_path == "device" || (data_path == "auto" && cuda); }

  // config.json of a run directory. from_json throws std::invalid_argument on malformed input;
  // absent keys keep their defaults.
  std::string to_json() const;
  static TrainConfig from_json(const std::string& json);
};

}  // namespace pl::core::train
