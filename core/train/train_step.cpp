#include "core/train/train_step.h"

#include <cmath>

#include <torch/torch.h>

#include "core/train/distributed.h"
#include "model/autocast.h"
#include "model/losses.h"

namespace pl::core::train {

TrainStep::TrainStep(pl::model::AnnSegmentor model, Optimizer& optimizer, const c10::Device& device,
                     TrainStepOptions options)
    : model_(std::move(model)), optim_(optimizer), device_(device), options_(options) {}

StepOutcome TrainStep::run(const at::Tensor& images, const at::Tensor& labels, double lr, bool check_finite) {
  optim_.zero_grad();
  pl::model::SegmentorOutput o;
  {
    pl::model::AutocastScope ac(options_.amp, device_.is_cuda());
    auto x = images.to(device_, /*non_blocking=*/true);
    if (options_.channels_last) x = x.contiguous(at::MemoryFormat::ChannelsLast);
    o = model_->forward(x);
  }
  if (options_.amp) {  // the losses are computed in fp32
    o.decode = o.decode.to(torch::kFloat);
    if (o.aux.defined()) o.aux = o.aux.to(torch::kFloat);
  }
  const auto loss = pl::model::segmentation_loss(o, labels.to(device_, /*non_blocking=*/true), options_.aux_weight,
                                                 options_.dice_weight);
  StepOutcome out;
  out.parts = torch::stack({loss.total.detach(), loss.decode.detach(),
                            loss.aux.defined() ? loss.aux.detach() : torch::zeros_like(loss.decode)})
                  .to(torch::kDouble);
  if (dist_) {
    try {
      dist_->allreduce_sum(out.parts);
    } catch (const std::exception& e) {
      dist_->fail("the loss all-reduce", e);
    }
    out.parts.div_(dist_->world());
  }
  if (check_finite) {
    out.total = out.parts[0].item<double>();
    out.finite = std::isfinite(out.total);
    if (!out.finite) return out;
  }
  if (grad_sync_) grad_sync_->begin();
  loss.total.backward();
  if (grad_sync_) grad_sync_->end();
  optim_.step(lr);
  return out;
}

void to_channels_last(pl::model::AnnSegmentor& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model->parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
}

}  // namespace pl::core::train
