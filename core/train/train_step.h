#pragma once
// One training iteration as the Trainer runs it, shared by the Trainer and `polyplens bench train`
// (so the benchmark measures the real thing): forward in train mode under bf16 autocast where
// enabled (channels-last input on CUDA), the losses in fp32 (model/losses.h: CE + aux CE, optional
// soft Dice), backward, optimiser step (core/train/optimizer.h).
//
// Nothing here waits for the device unless asked: run() returns the detached loss parts
// {total, decode, aux} as a float64 tensor on the device. With check_finite it reads the total
// back first and, when it is NaN/inf, returns without backward or step (the weights stay as they
// were); the Trainer asks for that every step on the CPU and at log steps on CUDA.
//
// In a data-parallel run (set_distributed(), core/train/distributed.h) the loss parts are averaged
// over the ranks before the check, so every rank takes the same decision, and the gradients are
// averaged in buckets during backward before the optimiser steps: every rank steps identically.
//
// Threading model: used from one thread (the training thread).
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "core/train/optimizer.h"
#include "model/segmentor.h"

namespace pl::core::train {

class DistContext;
class GradSync;

struct TrainStepOptions {
  bool amp = false;            // bf16 autocast of the forward pass
  bool channels_last = false;  // NHWC weights and input (CUDA)
  double aux_weight = 0.4, dice_weight = 0.0;
};

struct StepOutcome {
  at::Tensor parts;   // float64 {total, decode, aux} on the device, detached
  bool finite = true; // false only when check_finite found a NaN/inf loss (no step was taken)
  double total = 0;   // the loss, when check_finite read it back
};

class TrainStep {
 public:
  TrainStep(pl::model::AnnSegmentor model, Optimizer& optimizer, const c10::Device& device, TrainStepOptions options);

  StepOutcome run(const at::Tensor& images, const at::Tensor& labels, double lr, bool check_finite);

  const TrainStepOptions& options() const { return options_; }
  // Both outlive the step, or both null (a single process).
  void set_distributed(DistContext* dist, GradSync* grad_sync) {
    dist_ = dist;
    grad_sync_ = grad_sync;
  }

 private:
  pl::model::AnnSegmentor model_;
  Optimizer& optim_;
  c10::Device device_;
  TrainStepOptions options_;
  DistContext* dist_ = nullptr;
  GradSync* grad_sync_ = nullptr;
};

// Converts the model's 4-D parameters to channels-last in place (CUDA training).
void to_channels_last(pl::model::AnnSegmentor& model);

}  // namespace pl::core::train
