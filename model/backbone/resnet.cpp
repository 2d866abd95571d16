#include "model/backbone/resnet.h"

#include <stdexcept>
#include <string>

#include <torch/nn/init.h>

#include "model/fold_bn.h"

namespace pl::model {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t dilation = 1) {
  // "same" padding for odd kernels; no conv in a ResNet has a bias (BN follows).
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k)
                               .stride(stride)
                               .padding(dilation * (k - 1) / 2)
                               .dilation(dilation)
                               .bias(false));
}

}  // namespace

void ResNetOptions::validate() const {
  if (depth != 18 && depth != 34 && depth != 50 && depth != 101)
    throw std::invalid_argument("ResNetOptions.depth = " + std::to_string(depth) +
                                ": must be one of 18, 34, 50, 101");
  if (output_stride != 8 && output_stride != 16)
    throw std::invalid_argument("ResNetOptions.output_stride = " + std::to_string(output_stride) +
                                ": must be 8 or 16");
}

BasicBlockImpl::BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t dilation,
                               torch::nn::Sequential ds) {
  conv1 = register_module("conv1", conv(inplanes, planes, 3, stride, dilation));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
  if (ds) downsample = register_module("downsample", ds);
}

namespace {

// A folded downsample branch is a one-conv Sequential; its BN is already in the conv.
torch::nn::Sequential fold_downsample(torch::nn::Module& block, const torch::nn::Sequential& ds) {
  torch::nn::Conv2d conv(std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(ds->ptr(0)));
  torch::nn::BatchNorm2d bn(std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(ds->ptr(1)));
  return block.replace_module("downsample", torch::nn::Sequential(fold_conv_bn(conv, bn)));
}

}  // namespace

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  if (folded_)  // conv_add_relu: one fused cuDNN call per conv on CUDA (model/fold_bn.h)
    return conv_add_relu(conv2, conv_add_relu(conv1, x), downsample ? downsample->forward(x) : x);
  auto out = torch::relu(bn1(conv1(x)));
  out = bn2(conv2(out));
  out += downsample ? downsample->forward(x) : x;
  return torch::relu(out);
}

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t dilation,
                               torch::nn::Sequential ds) {
  conv1 = register_module("conv1", conv(inplanes, planes, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3, stride, dilation));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
  conv3 = register_module("conv3", conv(planes, planes * kExpansion, 1));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(planes * kExpansion));
  if (ds) downsample = register_module("downsample", ds);
}

void BasicBlockImpl::fold_bn() {
  if (folded_) return;
  conv1 = replace_module("conv1", fold_conv_bn(conv1, bn1));
  conv2 = replace_module("conv2", fold_conv_bn(conv2, bn2));
  if (downsample) downsample = fold_downsample(*this, downsample);
  folded_ = true;
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  if (folded_) {
    auto out = conv_add_relu(conv2, conv_add_relu(conv1, x));
    return conv_add_relu(conv3, out, downsample ? downsample->forward(x) : x);
  }
  auto out = torch::relu(bn1(conv1(x)));
  out = torch::relu(bn2(conv2(out)));
  out = bn3(conv3(out));
  out += downsample ? downsample->forward(x) : x;
  return torch::relu(out);
}

void BottleneckImpl::fold_bn() {
  if (folded_) return;
  conv1 = replace_module("conv1", fold_conv_bn(conv1, bn1));
  conv2 = replace_module("conv2", fold_conv_bn(conv2, bn2));
  conv3 = replace_module("conv3", fold_conv_bn(conv3, bn3));
  if (downsample) downsample = fold_downsample(*this, downsample);
  folded_ = true;
}

ResNetImpl::ResNetImpl(const ResNetOptions& opts) : opts_(opts) {
  opts_.validate();
  bottleneck_ = opts_.depth >= 50;
  std::vector<int64_t> blocks;
  switch (opts_.depth) {
    case 18: blocks = {2, 2, 2, 2}; break;
    case 34: blocks = {3, 4, 6, 3}; break;
    case 50: blocks = {3, 4, 6, 3}; break;
    default: blocks = {3, 4, 23, 3}; break;
  }
  const bool dilate3 = opts_.output_stride == 8;
  conv1 = register_module("conv1", conv(3, 64, 7, 2));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
  maxpool = register_module(
      "maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
  layer1 = register_module("layer1", make_layer(64, blocks[0], 1, false));
  layer2 = register_module("layer2", make_layer(128, blocks[1], 2, false));
  layer3 = register_module("layer3", make_layer(256, blocks[2], 2, dilate3));
  layer4 = register_module("layer4", make_layer(512, blocks[3], 2, true));
  init_weights();
}

// Mirrors torchvision's ResNet._make_layer: a dilated stage's first block keeps the previous
// dilation, later blocks use the doubled one (= mmseg's contract_dilation, docs/model.md §2).
torch::nn::Sequential ResNetImpl::make_layer(int64_t planes, int64_t blocks, int64_t stride, bool dilate) {
  const int64_t expansion = bottleneck_ ? BottleneckImpl::kExpansion : BasicBlockImpl::kExpansion;
  const int64_t previous_dilation = dilation_;
  if (dilate) {
    dilation_ *= stride;
    stride = 1;
  }
  torch::nn::Sequential ds{nullptr};
  if (stride != 1 || inplanes_ != planes * expansion) {
    ds = torch::nn::Sequential(conv(inplanes_, planes * expansion, 1, stride),
                               torch::nn::BatchNorm2d(planes * expansion));
  }
  torch::nn::Sequential layer;
  for (int64_t i = 0; i < blocks; ++i) {
    const int64_t s = i == 0 ? stride : 1;
    const int64_t d = i == 0 ? previous_dilation : dilation_;
    auto block_ds = i == 0 ? ds : torch::nn::Sequential{nullptr};
    if (bottleneck_)
      layer->push_back(Bottleneck(inplanes_, planes, s, d, block_ds));
    else
      layer->push_back(BasicBlock(inplanes_, planes, s, d, block_ds));
    inplanes_ = planes * expansion;
  }
  return layer;
}

// mmseg's ResNet init without a checkpoint: Kaiming-normal (fan_out) convs, BN 1/0, and the last BN
// of every residual block set to 0 so each block starts as identity (docs/model.md §12).
void ResNetImpl::init_weights() {
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* b = m->as<torch::nn::BatchNorm2d>()) {
      b->weight.fill_(1.0);
      b->bias.zero_();
    }
  }
  for (auto& m : modules(false)) {
    if (auto* b = m->as<Bottleneck>()) b->bn3->weight.zero_();
    if (auto* b = m->as<BasicBlock>()) b->bn2->weight.zero_();
  }
}

torch::Tensor ResNetImpl::stem(const torch::Tensor& x) {
  return maxpool(folded_ ? conv_add_relu(conv1, x) : torch::relu(bn1(conv1(x))));
}

void ResNetImpl::fold_bn() {
  if (folded_) return;
  conv1 = replace_module("conv1", fold_conv_bn(conv1, bn1));
  for (auto& m : modules(false)) {
    if (auto* b = m->as<Bottleneck>()) b->fold_bn();
    if (auto* b = m->as<BasicBlock>()) b->fold_bn();
  }
  folded_ = true;
}

std::vector<torch::Tensor> ResNetImpl::forward_features(const torch::Tensor& x) {
  std::vector<torch::Tensor> out;
  out.push_back(layer1->forward(stem(x)));
  out.push_back(layer2->forward(out.back()));
  out.push_back(layer3->forward(out.back()));
  out.push_back(layer4->forward(out.back()));
  return out;
}

std::pair<torch::Tensor, torch::Tensor> ResNetImpl::forward_c4_c5(const torch::Tensor& x) {
  auto c4 = layer3->forward(layer2->forward(layer1->forward(stem(x))));
  auto c5 = layer4->forward(c4);
  return {c4, c5};
}

int64_t ResNetImpl::stage_channels(int stage) const {
  if (stage < 1 || stage > 4) throw std::out_of_range("ResNet stage " + std::to_string(stage) + " (1..4)");
  return (int64_t{64} << (stage - 1)) * (bottleneck_ ? BottleneckImpl::kExpansion : BasicBlockImpl::kExpansion);
}

}  // namespace pl::model
