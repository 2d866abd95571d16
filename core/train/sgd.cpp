#include "core/train/sgd.h"

#include <stdexcept>

#include <torch/torch.h>

namespace pl::core::train {

Sgd::Sgd(std::vector<std::pair<std::string, at::Tensor>> params, double momentum, double weight_decay)
    : params_(std::move(params)), momentum_(momentum), weight_decay_(weight_decay) {}

void Sgd::zero_grad() {
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

void Sgd::step(double lr) {
  torch::NoGradGuard no_grad;
  if (momentum_ != 0 && !params_.empty() && params_.front().second.is_cuda() && fused_step(lr)) return;
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

// The same arithmetic as the loop in step(), as a few multi-tensor kernels (CUDA: a per-parameter
// loop launches ~4 kernels per parameter, which bounds small models at ~1 ms per step). Only in the
// steady state: every parameter has a gradient and a momentum buffer.
bool Sgd::fused_step(double lr) {
  std::vector<at::Tensor> ps, gs, bs;
  for (auto& [name, p] : params_) {
    const auto it = buf_.find(name);
    if (!p.grad().defined() || it == buf_.end()) return false;
    ps.push_back(p);
    gs.push_back(p.grad());
    bs.push_back(it->second);
  }
  const auto d = weight_decay_ != 0 ? at::_foreach_add(gs, ps, weight_decay_) : gs;
  at::_foreach_mul_(bs, momentum_);
  at::_foreach_add_(bs, d);
  at::_foreach_add_(ps, bs, -lr);
  return true;
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
