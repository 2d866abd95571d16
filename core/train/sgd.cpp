#include "core/train/sgd.h"

#include <stdexcept>

#include <torch/torch.h>

namespace pl::core::train {

Sgd::Sgd(std::vector<std::pair<std::string, at::Tensor>> params, double momentum, double weight_decay)
    : params_(std::move(params)), momentum_(momentum), weight_decay_(weight_decay) {}

void Sgd::zero_grad() {
  for (auto& [name, p] : params_) {
    auto& g = p.mutable_grad();
    if (g.defined()) {
      g.detach_();
      g.zero_();
    }
  }
}

void Sgd::step(double lr) {
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : params_) {
    if (!p.grad().defined()) continue;
    at::Tensor d = p.grad();
    if (weight_decay_ != 0) d = d.add(p, weight_decay_);
    if (momentum_ != 0) {
      auto it = buf_.find(name);
      if (it == buf_.end()) {
        it = buf_.emplace(name, d.clone().detach()).first;
      } else {
        it->second.mul_(momentum_).add_(d);
      }
      d = it->second;
    }
    p.add_(d, -lr);
  }
}

std::map<std::string, at::Tensor> Sgd::buffers() const { return buf_; }

void Sgd::load_buffers(const std::map<std::string, at::Tensor>& buffers) {
  std::map<std::string, at::Tensor> next;
  for (const auto& [name, b] : buffers) {
    const at::Tensor* param = nullptr;
    for (const auto& [pname, p] : params_)
      if (pname == name) param = &p;
    if (!param) throw std::runtime_error("optimizer state has a momentum buffer for unknown parameter '" + name + "'");
    if (!b.sizes().equals(param->sizes()))
      throw std::runtime_error("optimizer state for '" + name + "' has shape " + c10::str(b.sizes()) +
                               " but the parameter is " + c10::str(param->sizes()));
    next[name] = b.to(param->device(), param->scalar_type()).clone();
  }
  buf_ = std::move(next);
}

}  // namespace pl::core::train
