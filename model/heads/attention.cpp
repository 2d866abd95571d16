#include "model/heads/attention.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/nn/functional/pooling.h>

namespace pl::model {

PPMConcatImpl::PPMConcatImpl(std::vector<int64_t> pool_scales) : scales_(std::move(pool_scales)) {
  if (scales_.empty()) throw std::invalid_argument("PPMConcat: needs at least one pooling scale");
  for (int64_t s : scales_)
    if (s < 1) throw std::invalid_argument("PPMConcat: pooling scale " + std::to_string(s) + " must be >= 1");
}

torch::Tensor PPMConcatImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> pooled;
  pooled.reserve(scales_.size());
  // CUDA's channels-last adaptive average pooling is ~10x slower than its NCHW kernel (28 % of the
  // whole ANN-R50 forward on an H200, tests/gpu profile): pool an NCHW copy there (a cheap pass).
  const auto in = x.is_cuda() && !x.is_contiguous() ? x.contiguous() : x;
  for (int64_t s : scales_) pooled.push_back(torch::adaptive_avg_pool2d(in, {s, s}).flatten(2));
  return torch::cat(pooled, 2);
}

int64_t PPMConcatImpl::num_points() const {
  int64_t n = 0;
  for (int64_t s : scales_) n += s * s;
  return n;
}

SelfAttentionBlockImpl::SelfAttentionBlockImpl(const SelfAttentionOptions& opts) : opts_(opts) {
  if (opts_.key_in_channels < 1 || opts_.query_in_channels < 1 || opts_.channels < 1 || opts_.out_channels < 1)
    throw std::invalid_argument("SelfAttentionBlock: channel counts must be positive (key_in " +
                                std::to_string(opts_.key_in_channels) + ", query_in " +
                                std::to_string(opts_.query_in_channels) + ", channels " +
                                std::to_string(opts_.channels) + ", out " + std::to_string(opts_.out_channels) + ")");
  if (opts_.share_key_query && opts_.key_in_channels != opts_.query_in_channels)
    throw std::invalid_argument("SelfAttentionBlock: share_key_query needs key_in == query_in channels");
  key_project = register_module("key_project", ConvModule(opts_.key_in_channels, opts_.channels, 1));
  if (!opts_.share_key_query)
    query_project = register_module("query_project", ConvModule(opts_.query_in_channels, opts_.channels, 1));
  value_project = register_module(
      "value_project", torch::nn::Conv2d(torch::nn::Conv2dOptions(opts_.key_in_channels, opts_.channels, 1)));
  out_project = register_module(
      "out_project", torch::nn::Conv2d(torch::nn::Conv2dOptions(opts_.channels, opts_.out_channels, 1)));
  key_downsample = register_module("key_downsample", PPMConcat(opts_.key_pool_scales));
  // Zero out-projection: the attention branch starts silent (mmseg constant_init(out_project, 0)).
  torch::NoGradGuard no_grad;
  out_project->weight.zero_();
  out_project->bias.zero_();
}

torch::Tensor SelfAttentionBlockImpl::forward(const torch::Tensor& query_feats, const torch::Tensor& key_feats) {
  const auto n = query_feats.size(0), h = query_feats.size(2), w = query_feats.size(3);
  const auto c = opts_.channels;
  // Both projections run at full resolution; pooling comes after (docs/model.md §4 step 2). The shared
  // APNB projection is computed once: same output, one BN statistics update instead of two.
  torch::Tensor key_full = key_project(key_feats);
  torch::Tensor query_full;
  if (opts_.share_key_query)
    query_full = query_feats.is_same(key_feats) ? key_full : key_project(query_feats);
  else
    query_full = query_project(query_feats);

  // Channels-last features are N x H x W x C in memory: the N x HW x C query and the context back
  // are views then, not copies, and the context stays channels-last, so out_project and the
  // concatenation after it keep the layout (NCHW here cost the CPU ~90 ms per ANN-R50 frame in
  // oneDNN reorders of the 4096-channel fusion conv).
  const bool nhwc = query_full.is_contiguous(at::MemoryFormat::ChannelsLast) && !query_full.is_contiguous();
  auto query = nhwc ? query_full.permute({0, 2, 3, 1}).reshape({n, h * w, c})  // N x HW x C
                    : query_full.reshape({n, c, h * w}).transpose(1, 2);
  auto key = key_downsample(key_full);                                         // N x C x S
  auto value = key_downsample(value_project(key_feats)).transpose(1, 2);       // N x S x C
  auto sim = torch::bmm(query, key).mul_(1.0 / std::sqrt(static_cast<double>(c))).softmax(-1);
  auto context = torch::bmm(sim, value);                                       // N x HW x C
  context = nhwc ? context.reshape({n, h, w, c}).permute({0, 3, 1, 2}) : context.transpose(1, 2).reshape({n, c, h, w});
  return out_project(context);
}

}  // namespace pl::model
