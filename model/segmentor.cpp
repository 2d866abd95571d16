#include "model/segmentor.h"

#include <stdexcept>
#include <string>

#include <torch/nn/functional/upsampling.h>

namespace pl::model {
namespace {

torch::Tensor check_input(const torch::Tensor& x) {
  if (!x.defined()) throw std::invalid_argument("AnnSegmentor: input tensor is undefined");
  if (x.dim() != 4 || x.size(1) != 3)
    throw std::invalid_argument("AnnSegmentor: expected an N x 3 x H x W tensor, got shape " + c10::str(x.sizes()));
  return x;
}

}  // namespace

AnnSegmentorImpl::AnnSegmentorImpl(const SegmentorOptions& opts) : opts_(opts) {
  opts_.validate();
  backbone = register_module("backbone", ResNet(ResNetOptions{opts_.depth, opts_.output_stride}));
  ANNHeadOptions head;
  head.low_in_channels = backbone->stage_channels(3);
  head.high_in_channels = backbone->stage_channels(4);
  head.channels = opts_.channels;
  head.project_channels = opts_.project_channels;
  head.num_classes = opts_.num_classes;
  head.key_pool_scales = opts_.key_pool_scales;
  head.dropout = opts_.dropout;
  decode_head = register_module("decode_head", ANNHead(head));
  if (opts_.with_aux)
    auxiliary_head = register_module(
        "auxiliary_head", FCNHead(head.low_in_channels, opts_.aux_channels, opts_.num_classes, opts_.dropout));
}

SegmentorOutput AnnSegmentorImpl::forward(const torch::Tensor& x) {
  auto [c4, c5] = backbone->forward_c4_c5(check_input(x));
  SegmentorOutput out;
  out.decode = decode_head(c4, c5);
  if (auxiliary_head) out.aux = auxiliary_head(c4);
  return out;
}

torch::Tensor AnnSegmentorImpl::predict(const torch::Tensor& x) {
  auto [c4, c5] = backbone->forward_c4_c5(check_input(x));
  // Resize in fp32 whatever the model's precision: K channels only, and exact edges.
  auto logits = decode_head(c4, c5).to(torch::kFloat);
  namespace F = torch::nn::functional;
  return F::interpolate(logits, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{x.size(2), x.size(3)})
                                    .mode(torch::kBilinear)
                                    .align_corners(false));
}

}  // namespace pl::model
