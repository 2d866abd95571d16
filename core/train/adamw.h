#pragma once
// AdamW (Loshchilov & Hutter, arXiv 1711.05101), identical in arithmetic to torch.optim.AdamW
// (amsgrad off): decoupled weight decay p <- p * (1 - lr * wd), then
//   m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,  t <- t + 1,
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// Decay applies to every trainable parameter, as torch's default. The optimiser of the published
// from-scratch polyp recipes (Adam 1e-4 in ColonSegNet and MSRF-Net; docs/recipe.md §6).
// State: "adamw.exp_avg.<param>", "adamw.exp_avg_sq.<param>" and "adamw.step" (one count for all:
// every parameter steps together).
#include "core/train/optimizer.h"

namespace pl::core::train {

class AdamW final : public Optimizer {
 public:
  AdamW(NamedParams params, double beta1, double beta2, double eps, double weight_decay);

  const char* name() const override { return "adamw"; }
  void step(double lr) override;
  std::map<std::string, at::Tensor> state() const override;
  void load_state(const std::map<std::string, at::Tensor>& state) override;
  int64_t steps() const { return step_; }

 private:
  std::vector<at::Tensor> exp_avg_, exp_avg_sq_;  // parallel to params_, undefined before the first step
  int64_t step_ = 0;
  double beta1_, beta2_, eps_, weight_decay_;
};

}  // namespace pl::core::train
