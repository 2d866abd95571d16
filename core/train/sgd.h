#pragma once
// SGD with momentum and weight decay, identical in arithmetic to torch.optim.SGD (dampening 0, no
// Nesterov): the paper's optimiser (docs/recipe.md §1). Written out rather than using
// torch::optim::SGD so that the momentum buffers are keyed by parameter name in checkpoints
// ("momentum.<param>", core/train/optimizer.h).
#include "core/train/optimizer.h"

namespace pl::core::train {

class Sgd final : public Optimizer {
 public:
  Sgd(NamedParams params, double momentum, double weight_decay);

  const char* name() const override { return "sgd"; }
  // p <- p - lr * buf, buf <- momentum * buf + (grad + wd * p) (buf = grad + wd * p at first step).
  void step(double lr) override;
  std::map<std::string, at::Tensor> state() const override;
  void load_state(const std::map<std::string, at::Tensor>& state) override;

 private:
  bool fused_step(double lr);  // CUDA multi-tensor path; false when not every buffer exists yet

  std::map<std::string, at::Tensor> buf_;
  double momentum_, weight_decay_;
};

}  // namespace pl::core::train
