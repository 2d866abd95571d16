#pragma once
// The ANN attention core (mmseg `SelfAttentionBlock` as ANN configures it, docs/model.md §4): query at full
// resolution, key and value pyramid-pooled to S = sum(s^2) points (110 for scales 1,3,6,8), so the
// similarity map is HW x S instead of HW x HW.
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "model/heads/conv_module.h"

namespace pl::model {

// Adaptive average pooling to s x s for every scale, flattened row-major and concatenated in scale
// order: N x C x H x W -> N x C x sum(s^2). The grid is s x s for any H, W (rectangular bins).
class PPMConcatImpl : public torch::nn::Module {
 public:
  explicit PPMConcatImpl(std::vector<int64_t> pool_scales);
  torch::Tensor forward(const torch::Tensor& x);
  int64_t num_points() const;

 private:
  std::vector<int64_t> scales_;
};
TORCH_MODULE(PPMConcat);

struct SelfAttentionOptions {
  int64_t key_in_channels = 0;
  int64_t query_in_channels = 0;
  int64_t channels = 256;       // key/query/value width
  int64_t out_channels = 0;
  bool share_key_query = false;  // APNB: one projection for key and query
  std::vector<int64_t> key_pool_scales{1, 3, 6, 8};
};

// forward(query_feats, key_feats) -> N x out_channels x Hq x Wq (the query's spatial size).
// With share_key_query the mmseg alias `query_project` is not registered: the state dict holds the
// shared projection once, as `key_project`, and the parameter is counted (and decayed) once.
class SelfAttentionBlockImpl : public torch::nn::Module {
 public:
  explicit SelfAttentionBlockImpl(const SelfAttentionOptions& opts);
  torch::Tensor forward(const torch::Tensor& query_feats, const torch::Tensor& key_feats);

  ConvModule key_project{nullptr}, query_project{nullptr};  // query_project null when shared
  torch::nn::Conv2d value_project{nullptr}, out_project{nullptr};
  PPMConcat key_downsample{nullptr};

 private:
  SelfAttentionOptions opts_;
};
TORCH_MODULE(SelfAttentionBlock);

}  // namespace pl::model
