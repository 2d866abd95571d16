#include "model/heads/conv_module.h"

#include <torch/nn/init.h>

#include "model/fold_bn.h"

namespace pl::model {

ConvModuleImpl::ConvModuleImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size, bool with_relu)
    : with_relu_(with_relu) {
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, kernel_size)
                                                       .padding(kernel_size / 2)
                                                       .bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(out_channels));
  torch::NoGradGuard no_grad;
  // mmcv initialises every ConvModule for ReLU, even those without an activation.
  torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
  bn->weight.fill_(1.0);
  bn->bias.zero_();
}

torch::Tensor ConvModuleImpl::forward(const torch::Tensor& x) {
  auto y = folded_ ? conv(x) : bn(conv(x));
  return with_relu_ ? torch::relu(y) : y;
}

}  // namespace pl::model

namespace pl::model {

void ConvModuleImpl::fold_bn() {
  if (folded_) return;
  conv = replace_module("conv", fold_conv_bn(conv, bn));
  folded_ = true;
}

}  // namespace pl::model
