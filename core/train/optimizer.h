#pragma once
// The optimisers a training run can use (docs/recipe.md §1, §6): SGD with momentum (the paper's,
// core/train/sgd.h) and AdamW (core/train/adamw.h), behind one interface so the Trainer, TrainStep
// and `polyplens bench train` step either the same way.
//
// State is keyed by parameter name ("momentum.<param>", "adamw.exp_avg.<param>", ...) so a
// checkpoint restores it one to one and a changed model is reported by name instead of silently
// mismatched. The learning rate is passed to every step (the schedule lives in the Trainer).
//
// Threading model: used from one thread (the training thread).
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace pl::core::train {

struct TrainConfig;

using NamedParams = std::vector<std::pair<std::string, at::Tensor>>;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual const char* name() const = 0;
  void zero_grad();
  virtual void step(double lr) = 0;
  // Every state tensor by key (only those that exist yet).
  virtual std::map<std::string, at::Tensor> state() const = 0;
  // Restores state(); throws std::runtime_error naming an unknown key, parameter or a shape mismatch.
  virtual void load_state(const std::map<std::string, at::Tensor>& state) = 0;

 protected:
  explicit Optimizer(NamedParams params) : params_(std::move(params)) {}
  // The parameter called `name`, or a std::runtime_error naming it and the state key `key`.
  const at::Tensor& param(const std::string& name, const std::string& key) const;
  // `t` moved to the parameter's device and dtype after checking its shape.
  at::Tensor to_param_like(const at::Tensor& t, const at::Tensor& p, const std::string& key) const;
  bool on_cuda() const { return !params_.empty() && params_.front().second.is_cuda(); }

  NamedParams params_;
};

// The optimiser TrainConfig asks for (optimizer = sgd | adamw) over the trainable parameters.
std::unique_ptr<Optimizer> make_optimizer(const TrainConfig& cfg, NamedParams params);

}  // namespace pl::core::train
