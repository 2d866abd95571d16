#include "core/train/sgd.h"

#include <stdexcept>

#include <torch/torch.h>

namespace pl::core::train {

namespace {
const std::string kMomentum = "momentum.";
}  // namespace

Sgd::Sgd(NamedParams params, double momentum, double weight_decay)
    : Optimizer(std::move(params)), momentum_(momentum), weight_decay_(weight_decay) {}

void Sgd::step(double lr) {
  torch::NoGradGuard no_grad;
  if (momentum_ != 0 && on_cuda() && fused_step(lr)) return;
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

std::map<std::string, at::Tensor> Sgd::state() const {
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, b] : buf_) out[kMomentum + name] = b;
  return out;
}

void Sgd::load_state(const std::map<std::string, at::Tensor>& state) {
  std::map<std::string, at::Tensor> next;
  for (const auto& [key, b] : state) {
    if (key.rfind(kMomentum, 0) != 0)
      throw std::runtime_error("optimizer state '" + key + "' is not SGD's (the run was trained with another optimizer?)");
    const std::string name = key.substr(kMomentum.size());
    next[name] = to_param_like(b, param(name, key), key);
  }
  buf_ = std::move(next);
}

}  // namespace pl::core::train
