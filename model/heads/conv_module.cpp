#include "model/heads/conv_module.h"

#include <stdexcept>
#include <string>

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
  if (!split_weights_.empty() && !torch::GradMode::is_enabled()) {
    const int64_t step = x.size(1) / int64_t(split_weights_.size());
    const int64_t padding = conv->weight.size(2) / 2;  // "same" padding, as the constructor sets it
    auto y = torch::conv2d(x.narrow(1, 0, step), split_weights_[0], conv->bias, 1, padding);
    for (size_t i = 1; i < split_weights_.size(); ++i)
      y += torch::conv2d(x.narrow(1, int64_t(i) * step, step), split_weights_[i], {}, 1, padding);
    return with_relu_ ? torch::relu(y) : y;
  }
  if (folded_ && with_relu_) return conv_add_relu(conv, x);  // fused on CUDA (model/fold_bn.h)
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

void ConvModuleImpl::split_input_channels(int parts) {
  split_weights_.clear();
  if (parts <= 1) return;
  const int64_t in = conv->weight.size(1);
  if (!folded_ || in % parts != 0)
    throw std::invalid_argument("ConvModule::split_input_channels(" + std::to_string(parts) + "): needs a folded conv"
                                " whose " + std::to_string(in) + " input channels divide evenly");
  const auto format = conv->weight.suggest_memory_format();
  for (const auto& w : conv->weight.detach().chunk(parts, 1)) split_weights_.push_back(w.contiguous(format));
}

}  // namespace pl::model
