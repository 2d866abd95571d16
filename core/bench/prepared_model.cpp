#include "core/bench/prepared_model.h"

#include <stdexcept>

#include <torch/torch.h>

#include "model/autocast.h"
#include "core/bench/torch_util.h"
#include "model/inference.h"
#include "model/segmentor.h"

namespace pl::core::bench {
namespace {

pl::model::InferenceOptions inference_options(const ModelVariant& v) {
  pl::model::InferenceOptions o;
  o.fold_bn = v.fold_bn;
  o.channels_last = v.channels_last;
  o.dtype = v.dtype == "bf16-autocast" ? "fp32" : v.dtype;  // autocast runs an fp32 model
  return o;
}

}  // namespace

PreparedModel::PreparedModel(const pl::model::SegmentorOptions& options, const ModelVariant& variant,
                             const std::string& device, uint64_t seed)
    : variant_(variant), device_(device) {
  if (auto why = variant_unsupported_reason(variant, device); !why.empty())
    throw std::invalid_argument("variant " + variant.label() + " " + variant.dtype + ": " + why);
  torch::manual_seed(seed);
  model_ = std::make_shared<pl::model::AnnSegmentorImpl>(options);
  pl::model::AnnSegmentor holder(model_);
  pl::model::prepare_for_inference(holder, inference_options(variant_), device_of(device));
}

PreparedModel::~PreparedModel() = default;

at::Tensor PreparedModel::forward(const at::Tensor& x) {
  pl::model::AutocastScope autocast(variant_.dtype == "bf16-autocast", device_ == "cuda");
  pl::model::AnnSegmentor holder(model_);
  auto y = pl::model::infer_logits(holder, x, inference_options(variant_));
  synchronize(y.device());
  return y;
}

}  // namespace pl::core::bench
