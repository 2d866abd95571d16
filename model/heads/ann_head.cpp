#include "model/heads/ann_head.h"

#include <torch/nn/init.h>

namespace pl::model {

AFNBImpl::AFNBImpl(int64_t low_in_channels, int64_t high_in_channels, int64_t channels, int64_t out_channels,
                   std::vector<int64_t> key_pool_scales) {
  SelfAttentionOptions sa;
  sa.key_in_channels = low_in_channels;
  sa.query_in_channels = high_in_channels;
  sa.channels = channels;
  sa.out_channels = out_channels;
  sa.share_key_query = false;
  sa.key_pool_scales = std::move(key_pool_scales);
  stages = register_module("stages", torch::nn::ModuleList(SelfAttentionBlock(sa)));  // query_scales = (1,)
  bottleneck = register_module("bottleneck", ConvModule(out_channels + high_in_channels, out_channels, 1,
                                                        /*with_relu=*/false));
}

torch::Tensor AFNBImpl::forward(const torch::Tensor& low_feats, const torch::Tensor& high_feats) {
  torch::Tensor context;
  for (const auto& stage : *stages) {
    auto prior = stage->as<SelfAttentionBlock>()->forward(high_feats, low_feats);
    context = context.defined() ? context + prior : prior;
  }
  return bottleneck(torch::cat({context, high_feats}, 1));
}

APNBImpl::APNBImpl(int64_t in_channels, int64_t channels, int64_t out_channels,
                   std::vector<int64_t> key_pool_scales) {
  SelfAttentionOptions sa;
  sa.key_in_channels = in_channels;
  sa.query_in_channels = in_channels;
  sa.channels = channels;
  sa.out_channels = out_channels;
  sa.share_key_query = true;
  sa.key_pool_scales = std::move(key_pool_scales);
  stages = register_module("stages", torch::nn::ModuleList(SelfAttentionBlock(sa)));
  bottleneck = register_module("bottleneck", ConvModule(in_channels + out_channels, out_channels, 1));
}

torch::Tensor APNBImpl::forward(const torch::Tensor& x) {
  torch::Tensor context;
  for (const auto& stage : *stages) {
    auto prior = stage->as<SelfAttentionBlock>()->forward(x, x);
    context = context.defined() ? context + prior : prior;
  }
  return bottleneck(torch::cat({context, x}, 1));
}

ANNHeadImpl::ANNHeadImpl(const ANNHeadOptions& o) {
  fusion = register_module("fusion", AFNB(o.low_in_channels, o.high_in_channels, o.project_channels,
                                          o.high_in_channels, o.key_pool_scales));
  bottleneck = register_module("bottleneck", ConvModule(o.high_in_channels, o.channels, 3));
  context = register_module("context", APNB(o.channels, o.project_channels, o.channels, o.key_pool_scales));
  dropout = register_module("dropout", torch::nn::Dropout2d(torch::nn::Dropout2dOptions(o.dropout)));
  conv_seg = register_module("conv_seg", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.channels, o.num_classes, 1)));
  torch::NoGradGuard no_grad;
  torch::nn::init::normal_(conv_seg->weight, 0.0, 0.01);  // mmseg BaseDecodeHead init_cfg
  conv_seg->bias.zero_();
}

torch::Tensor ANNHeadImpl::forward(const torch::Tensor& low_feats, const torch::Tensor& high_feats) {
  auto x = fusion(low_feats, high_feats);
  x = bottleneck(dropout(x));
  x = context(x);
  return conv_seg(dropout(x));
}

}  // namespace pl::model
