#pragma once
// Folding an eval-mode BatchNorm into the convolution before it, for inference: one pass over the
// feature map instead of two. A folded model is inference-only (its BN statistics are frozen into
// the conv weights) and must not be trained or saved as a checkpoint.
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

namespace pl::model {

// A new conv (with bias) computing bn(conv(x)) with bn's running statistics; inputs unchanged.
torch::nn::Conv2d fold_conv_bn(const torch::nn::Conv2d& conv, const torch::nn::BatchNorm2d& bn);

}  // namespace pl::model
