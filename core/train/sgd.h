#pragma once
// SGD with momentum and weight decay, identical in arithmetic to torch.optim.SGD (dampening 0, no
// Nesterov), over named parameters. Written out rather than using torch::optim::SGD so that the
// momentum buffers are keyed by parameter name in checkpoints: an exact resume restores them one
// to one, and a changed model is reported by name instead of silently mismatched.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace pl::core::train {

class Sgd {
 public:
  Sgd(std::vector<std::pair<std::string, at::Tensor>> params, double momentum, double weight_decay);

  void zero_grad();
  // p <- p - lr * buf, buf <- momentum * buf + (grad + wd * p) (buf = grad + wd * p at first step).
  void step(double lr);

  // Momentum buffers by parameter name (only those that exist yet).
  std::map<std::string, at::Tensor> buffers() const;
  // Restores buffers; throws std::runtime_error naming an unknown parameter or a shape mismatch.
  void load_buffers(const std::map<std::string, at::Tensor>& buffers);

 private:
  bool fused_step(double lr);  // CUDA multi-tensor path; false when not every buffer exists yet

  std::vector<std::pair<std::string, at::Tensor>> params_;
  std::map<std::string, at::Tensor> buf_;
  double momentum_, weight_decay_;
};

}  // namespace pl::core::train
