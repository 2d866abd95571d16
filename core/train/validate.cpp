#include "core/train/validate.h"

#include <algorithm>
#include <chrono>

#include <torch/torch.h>

#include "core/data/letterbox.h"
#include "core/metrics/seg_metrics.h"

namespace pl::core::train {

ValidationResult validate_model(pl::model::AnnSegmentor& model, const std::vector<data::Sample>& samples,
                                const c10::Device& device) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  const auto& o = model->options();
  metrics::SegmentationMeter meter;
  // Batches of letterboxed images: LibTorch sends batch-1 convolutions of small inputs to its slow
  // native path, so one image at a time is several times slower.
  constexpr size_t kBatch = 8;
  for (size_t first = 0; first < samples.size(); first += kBatch) {
    const size_t last = std::min(samples.size(), first + kBatch);
    std::vector<data::Letterbox> boxes;
    std::vector<torch::Tensor> inputs;
    for (size_t i = first; i < last; ++i) {
      const auto& s = samples[i];
      boxes.push_back(data::make_letterbox(s.image.size(1), s.image.size(2), o.input_h, o.input_w));
      inputs.push_back(data::letterbox_input(s.image.to(device), boxes.back(), o.mean, o.std));
    }
    const auto logits = model->predict(torch::cat(inputs)).to(torch::kFloat);
    for (size_t i = first; i < last; ++i) {
      const auto& s = samples[i];
      const auto full = data::logits_to_source(logits.slice(0, int64_t(i - first), int64_t(i - first + 1)), boxes[i - first]);
      const auto pred = full.argmax(1).squeeze(0).to(torch::kUInt8).cpu().contiguous();
      const auto gt = s.label.contiguous();
      meter.add(s.name, pred.data_ptr<uint8_t>(), gt.data_ptr<uint8_t>(), static_cast<size_t>(gt.numel()));
    }
  }
  if (was_training) model->train();
  const auto d = meter.dataset();
  const auto p = meter.per_image();
  ValidationResult r;
  r.polyp_dice = d.per_class[1].dice;
  r.polyp_iou = d.per_class[1].iou;
  r.mDice = d.mDice;
  r.mIoU = d.mIoU;
  r.aAcc = d.aAcc;
  r.per_image_dice = p.mean_dice;
  r.per_image_iou = p.mean_iou;
  r.images = p.images;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace pl::core::train
