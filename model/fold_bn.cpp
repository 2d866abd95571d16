#include "model/fold_bn.h"

namespace pl::model {

torch::nn::Conv2d fold_conv_bn(const torch::nn::Conv2d& conv, const torch::nn::BatchNorm2d& bn) {
  torch::NoGradGuard no_grad;
  const auto& o = conv->options;
  torch::nn::Conv2d fused(torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                              .stride(o.stride())
                              .padding(o.padding())
                              .dilation(o.dilation())
                              .groups(o.groups())
                              .bias(true));
  fused->to(conv->weight.device(), conv->weight.scalar_type());
  const auto w = conv->weight.to(torch::kDouble);
  const auto scale = bn->weight.to(torch::kDouble) / (bn->running_var.to(torch::kDouble) + bn->options.eps()).sqrt();
  auto b = -bn->running_mean.to(torch::kDouble);
  if (conv->bias.defined()) b = b + conv->bias.to(torch::kDouble);
  fused->weight.copy_(w * scale.reshape({-1, 1, 1, 1}));
  fused->bias.copy_(b * scale + bn->bias.to(torch::kDouble));
  fused->eval();
  return fused;
}

}  // namespace pl::model
