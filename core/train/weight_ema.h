#pragma once
// An exponential moving average of a model's weights (docs/recipe.md §6), as timm's ModelEmaV3 and
// YOLO's ModelEMA: after every optimiser step, for each floating-point parameter and buffer (BN
// running statistics included)
//   ema <- d * ema + (1 - d) * live,   d = min(decay, (1 + t) / (10 + t))
// with t the number of updates before this one, so early averages follow the fast-changing weights
// instead of the random initialisation. Integer buffers (BN's num_batches_tracked) are copied.
// The Trainer validates and checkpoints the average (what eval and the app load) and keeps the live
// weights in last.pt for an exact resume.
//
// Threading model: used from one thread (the training thread).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "model/segmentor.h"

namespace pl::core::train {

class WeightEma {
 public:
  // Starts the average at `live`'s current weights, on its device (and memory format).
  WeightEma(pl::model::AnnSegmentor& live, double decay);

  // One update after optimiser step number `t` (0-based: the first step's update has t = 0).
  void update(int64_t t);
  // The decay factor used at update t.
  static double decay_at(double decay, int64_t t);

  pl::model::AnnSegmentor& model() { return ema_; }

 private:
  pl::model::AnnSegmentor live_;
  pl::model::AnnSegmentor ema_;
  double decay_;
  std::vector<at::Tensor> live_float_, ema_float_, live_int_, ema_int_;
};

// Copies `weights` (state-dict names) into `model`'s parameters and buffers. Throws
// std::runtime_error naming a missing or extra entry, or a shape mismatch.
void load_weights(pl::model::AnnSegmentor& model, const std::map<std::string, at::Tensor>& weights,
                  const std::string& what);

}  // namespace pl::core::train
