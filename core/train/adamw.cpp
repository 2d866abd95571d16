#include "core/train/adamw.h"

#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

namespace pl::core::train {
namespace {
const std::string kExpAvg = "adamw.exp_avg.", kExpAvgSq = "adamw.exp_avg_sq.", kStep = "adamw.step";
}  // namespace

AdamW::AdamW(NamedParams params, double beta1, double beta2, double eps, double weight_decay)
    : Optimizer(std::move(params)), beta1_(beta1), beta2_(beta2), eps_(eps), weight_decay_(weight_decay) {
  exp_avg_.resize(params_.size());
  exp_avg_sq_.resize(params_.size());
}

// torch.optim.AdamW's multi-tensor arithmetic (_multi_tensor_adamw), in the same order, as a few
// _foreach kernels: one launch per operation on CUDA instead of several per parameter.
void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> ps, gs, ms, vs;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i].second;
    if (!p.grad().defined()) continue;
    if (!exp_avg_[i].defined()) {
      exp_avg_[i] = torch::zeros_like(p, at::MemoryFormat::Preserve);
      exp_avg_sq_[i] = torch::zeros_like(p, at::MemoryFormat::Preserve);
    }
    ps.push_back(p);
    gs.push_back(p.grad());
    ms.push_back(exp_avg_[i]);
    vs.push_back(exp_avg_sq_[i]);
  }
  if (ps.empty()) return;
  ++step_;
  if (weight_decay_ != 0) at::_foreach_mul_(ps, 1.0 - lr * weight_decay_);
  at::_foreach_mul_(ms, beta1_);
  at::_foreach_add_(ms, gs, 1.0 - beta1_);
  at::_foreach_mul_(vs, beta2_);
  at::_foreach_addcmul_(vs, gs, gs, 1.0 - beta2_);
  const double bc1 = 1.0 - std::pow(beta1_, static_cast<double>(step_));
  const double bc2 = 1.0 - std::pow(beta2_, static_cast<double>(step_));
  auto denom = at::_foreach_sqrt(vs);
  at::_foreach_div_(denom, std::sqrt(bc2));
  at::_foreach_add_(denom, eps_);
  at::_foreach_addcdiv_(ps, ms, denom, -lr / bc1);
}

std::map<std::string, at::Tensor> AdamW::state() const {
  std::map<std::string, at::Tensor> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!exp_avg_[i].defined()) continue;
    out[kExpAvg + params_[i].first] = exp_avg_[i];
    out[kExpAvgSq + params_[i].first] = exp_avg_sq_[i];
  }
  if (step_ > 0) out[kStep] = torch::tensor({step_}, torch::kLong);
  return out;
}

void AdamW::load_state(const std::map<std::string, at::Tensor>& state) {
  std::vector<at::Tensor> m(params_.size()), v(params_.size());
  int64_t steps = 0;
  auto index_of = [&](const std::string& name, const std::string& key) {
    const at::Tensor& p = param(name, key);
    for (size_t i = 0; i < params_.size(); ++i)
      if (params_[i].second.is_same(p)) return i;
    return params_.size();  // not reached: param() throws for unknown names
  };
  for (const auto& [key, t] : state) {
    if (key == kStep) {
      if (t.numel() != 1) throw std::runtime_error("optimizer state '" + key + "' must hold one count");
      steps = t.to(torch::kCPU).to(torch::kLong).item<int64_t>();
    } else if (key.rfind(kExpAvgSq, 0) == 0) {
      const auto i = index_of(key.substr(kExpAvgSq.size()), key);
      v[i] = to_param_like(t, params_[i].second, key);
    } else if (key.rfind(kExpAvg, 0) == 0) {
      const auto i = index_of(key.substr(kExpAvg.size()), key);
      m[i] = to_param_like(t, params_[i].second, key);
    } else {
      throw std::runtime_error("optimizer state '" + key + "' is not AdamW's (the run was trained with another optimizer?)");
    }
  }
  for (size_t i = 0; i < params_.size(); ++i)
    if (m[i].defined() != v[i].defined())
      throw std::runtime_error("optimizer state for '" + params_[i].first + "' has only one of exp_avg/exp_avg_sq");
  if (steps < 0) throw std::runtime_error("optimizer state '" + kStep + "' is negative");
  exp_avg_ = std::move(m);
  exp_avg_sq_ = std::move(v);
  step_ = steps;
}

}  // namespace pl::core::train
