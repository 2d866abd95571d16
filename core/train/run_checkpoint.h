#pragma once
// What a training checkpoint holds beyond the model (model/checkpoint.h does the file format):
// extra tensors "optim.<key>" (the optimiser's state, core/train/optimizer.h: "optim.momentum.<param>"
// for SGD), "rng.cpu" (the CPU generator that drives dropout) and "train.iteration"; meta.metrics
// "best_polyp_dice" and the last validation ("val.*"); meta.strings "train_config" (config.json of
// the run), "optimizer" and "kind" = "train".
// With an EMA of the weights (core/train/weight_ema.h) the checkpoint's model is the average, which
// is what eval, export and the app load; the live training weights ride along as extra
// "live.<name>" tensors for the resume.
#include <map>
#include <optional>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/train/progress.h"
#include "core/train/optimizer.h"
#include "core/train/weight_ema.h"
#include "core/train/train_config.h"
#include "model/segmentor.h"

namespace pl::core::train {

struct RunState {
  int64_t iteration = 0;
  double best_polyp_dice = -1.0;
  std::map<std::string, at::Tensor> optimizer_state;  // by Optimizer::state() key
  std::string optimizer;                               // "sgd" when the checkpoint does not say
  std::map<std::string, at::Tensor> live_weights;      // set when the model is an EMA (see above)
  at::Tensor cpu_rng;  // undefined when the checkpoint has none
  std::optional<ValidationResult> last_validation;
};

// Writes `path` atomically (fp32, so a resume is exact).
// `ema` (may be null) is the average of `model`'s weights.
void save_run_checkpoint(const std::string& path, pl::model::AnnSegmentor& model, const Optimizer& optimizer,
                         WeightEma* ema, const TrainConfig& cfg, int64_t iteration, int64_t iters_per_epoch,
                         double best_polyp_dice, const std::optional<ValidationResult>& last_validation);

// Replaces `model` with the checkpoint's model (its options win; with an EMA that is the average and
// live_weights holds the training weights) and returns the rest. Throws
// std::runtime_error when the checkpoint is not a training checkpoint or its preset differs from
// cfg.preset; warns about other changed settings.
RunState load_run_checkpoint(const std::string& path, pl::model::AnnSegmentor& model, const TrainConfig& cfg);

// Restores the CPU generator from the checkpoint (or reseeds from (seed, iteration) when absent),
// and reseeds CUDA generators from (seed, iteration).
void restore_rng(const RunState& state, uint64_t seed);

// Loads torchvision ResNet weights into the backbone; returns a one-line report.
std::string load_backbone(pl::model::AnnSegmentor& model, const std::string& path);

}  // namespace pl::core::train
