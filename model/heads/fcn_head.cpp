#include "model/heads/fcn_head.h"

#include <torch/nn/init.h>

#include "model/heads/conv_module.h"

namespace pl::model {

FCNHeadImpl::FCNHeadImpl(int64_t in_channels, int64_t channels, int64_t num_classes, double p) {
  convs = register_module("convs", torch::nn::Sequential(ConvModule(in_channels, channels, 3)));
  dropout = register_module("dropout", torch::nn::Dropout2d(torch::nn::Dropout2dOptions(p)));
  conv_seg = register_module("conv_seg", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, num_classes, 1)));
  torch::NoGradGuard no_grad;
  torch::nn::init::normal_(conv_seg->weight, 0.0, 0.01);
  conv_seg->bias.zero_();
}

torch::Tensor FCNHeadImpl::forward(const torch::Tensor& x) { return conv_seg(dropout(convs->forward(x))); }

}  // namespace pl::model
