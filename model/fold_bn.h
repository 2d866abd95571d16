#pragma once
// Folding an eval-mode BatchNorm into the convolution before it, for inference: one pass over the
// feature map instead of two. A folded model is inference-only (its BN statistics are frozen into
// the conv weights) and must not be trained or saved as a checkpoint.
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

namespace pl::model {

// A new conv (with bias) computing bn(conv(x)) with bn's running statistics; inputs unchanged.
torch::nn::Conv2d fold_conv_bn(const torch::nn::Conv2d& conv, const torch::nn::BatchNorm2d& bn);

// relu(conv(x) + z) (z optional: the residual) for a folded conv at inference. On CUDA this is one
// cuDNN call (convolution + bias + add + ReLU fused: no separate bias-add, add and ReLU passes over
// the feature map, which cost a third of the forward time on an H200); elsewhere, or when cuDNN
// refuses the fusion (it then stays off for the process), the plain conv, add and ReLU.
torch::Tensor conv_add_relu(torch::nn::Conv2d conv, const torch::Tensor& x, const torch::Tensor& z = {});

// The CUDA fusion above: on by default, off with POLYPLENS_CUDA_FUSION=0 or set_cuda_conv_fusion(false).
void set_cuda_conv_fusion(bool on);
bool cuda_conv_fusion();

}  // namespace pl::model
