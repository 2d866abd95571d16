#include "core/train/optimizer.h"

#include <stdexcept>

#include <torch/torch.h>

#include "core/train/adamw.h"
#include "core/train/sgd.h"
#include "core/train/train_config.h"

namespace pl::core::train {

void Optimizer::zero_grad() {
  if (!params_.empty() && params_.front().second.is_cuda()) {
    // One fused kernel for all gradients instead of one launch per parameter.
    std::vector<at::Tensor> grads;
    for (auto& [name, p] : params_)
      if (p.grad().defined()) grads.push_back(p.mutable_grad().detach_());
    if (!grads.empty()) at::_foreach_zero_(grads);
    return;
  }
  for (auto& [name, p] : params_) {
    auto& g = p.mutable_grad();
    if (g.defined()) {
      g.detach_();
      g.zero_();
    }
  }
}

const at::Tensor& Optimizer::param(const std::string& name, const std::string& key) const {
  for (const auto& [pname, p] : params_)
    if (pname == name) return p;
  throw std::runtime_error("optimizer state '" + key + "' is for unknown parameter '" + name + "'");
}

at::Tensor Optimizer::to_param_like(const at::Tensor& t, const at::Tensor& p, const std::string& key) const {
  if (!t.sizes().equals(p.sizes()))
    throw std::runtime_error("optimizer state '" + key + "' has shape " + c10::str(t.sizes()) +
                             " but the parameter is " + c10::str(p.sizes()));
  return t.to(p.device(), p.scalar_type()).clone();
}

std::unique_ptr<Optimizer> make_optimizer(const TrainConfig& cfg, NamedParams params) {
  if (cfg.optimizer == "sgd") return std::make_unique<Sgd>(std::move(params), cfg.momentum, cfg.weight_decay);
  if (cfg.optimizer == "adamw")
    return std::make_unique<AdamW>(std::move(params), cfg.beta1, cfg.beta2, cfg.adam_eps, cfg.weight_decay);
  throw std::invalid_argument("unknown optimizer '" + cfg.optimizer + "' (valid: sgd, adamw)");
}

}  // namespace pl::core::train
