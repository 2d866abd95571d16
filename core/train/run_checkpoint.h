#pragma once
// What a training checkpoint holds beyond the model (model/checkpoint.h does the file format):
// extra tensors "optim.momentum.<param>", "rng.cpu" (the CPU generator that drives dropout) and
// "train.iteration"; meta.metrics "best_polyp_dice" and the last validation ("val.*"); meta.strings
// "train_config" (config.json of the run) and "kind" = "train".
#include <map>
#include <optional>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/train/progress.h"
#include "core/train/sgd.h"
#include "core/train/train_config.h"
#include "model/segmentor.h"

namespace pl::core::train {

struct RunState {
  int64_t iteration = 0;
  double best_polyp_dice = -1.0;
  std::map<std::string, at::Tensor> momentum;
  at::Tensor cpu_rng;  // undefined when the checkpoint has none
  std::optional<ValidationResult> last_validation;
};

// Writes `path` atomically (fp32, so a resume is exact).
void save_run_checkpoint(const std::string& path, pl::model::AnnSegmentor& model, const Sgd& sgd, const TrainConfig& cfg,
                         int64_t iteration, int64_t iters_per_epoch, double best_polyp_dice,
                         const std::optional<ValidationResult>& last_validation);

// Replaces `model` with the checkpoint's model (its options win) and returns the rest. Throws
// std::runtime_error when the checkpoint is not a training checkpoint or its preset differs from
// cfg.preset; warns about other changed settings.
RunState load_run_checkpoint(const std::string& path, pl::model::AnnSegmentor& model, const TrainConfig& cfg);

// Restores the CPU generator from the checkpoint (or reseeds from (seed, iteration) when absent),
// and reseeds CUDA generators from (seed, iteration).
void restore_rng(const RunState& state, uint64_t seed);

// Loads torchvision ResNet weights into the backbone; returns a one-line report.
std::string load_backbone(pl::model::AnnSegmentor& model, const std::string& path);

}  // namespace pl::core::train
