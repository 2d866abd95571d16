#include "core/train/weight_ema.h"

#include <algorithm>
#include <stdexcept>

#include <torch/torch.h>

#include "core/train/train_step.h"
#include "model/checkpoint.h"

namespace pl::core::train {

WeightEma::WeightEma(pl::model::AnnSegmentor& live, double decay) : live_(live), ema_(live->options()), decay_(decay) {
  torch::NoGradGuard no_grad;
  const auto src = pl::model::state_dict(live_);
  const auto device = src.empty() ? torch::Device(torch::kCPU) : src.begin()->second.device();
  ema_->to(device);
  ema_->eval();
  for (auto& p : ema_->parameters()) p.requires_grad_(false);
  // The average keeps the live weights' memory format (channels-last on CUDA).
  for (const auto& [name, s] : src)
    if (s.dim() == 4 && !s.is_contiguous() && s.is_contiguous(at::MemoryFormat::ChannelsLast)) {
      to_channels_last(ema_);
      break;
    }
  // state_dict() aliases the models' storage: the lists below are the weights themselves.
  for (auto& [name, d] : pl::model::state_dict(ema_)) {
    const auto& s = src.at(name);
    d.copy_(s);
    const bool floating = at::isFloatingType(s.scalar_type());
    (floating ? live_float_ : live_int_).push_back(s);
    (floating ? ema_float_ : ema_int_).push_back(d);
  }
}

double WeightEma::decay_at(double decay, int64_t t) {
  return std::min(decay, (1.0 + static_cast<double>(t)) / (10.0 + static_cast<double>(t)));
}

void WeightEma::update(int64_t t) {
  torch::NoGradGuard no_grad;
  const double d = decay_at(decay_, t);
  if (!ema_float_.empty()) {
    at::_foreach_mul_(ema_float_, d);
    at::_foreach_add_(ema_float_, live_float_, 1.0 - d);
  }
  for (size_t i = 0; i < ema_int_.size(); ++i) ema_int_[i].copy_(live_int_[i]);
}

void load_weights(pl::model::AnnSegmentor& model, const std::map<std::string, at::Tensor>& weights,
                  const std::string& what) {
  torch::NoGradGuard no_grad;
  auto dst = pl::model::state_dict(model);
  for (const auto& [name, t] : weights)
    if (!dst.count(name)) throw std::runtime_error(what + ": '" + name + "' is not part of the model");
  for (auto& [name, d] : dst) {
    const auto it = weights.find(name);
    if (it == weights.end()) throw std::runtime_error(what + ": no weights for '" + name + "'");
    if (!it->second.sizes().equals(d.sizes()))
      throw std::runtime_error(what + ": '" + name + "' has shape " + c10::str(it->second.sizes()) + " but the model has " +
                               c10::str(d.sizes()));
    d.copy_(it->second);
  }
}

}  // namespace pl::core::train
