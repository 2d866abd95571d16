#include "core/train/validate.h"

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
  for (const auto& s : samples) {
    const auto box = data::make_letterbox(s.image.size(1), s.image.size(2), o.input_h, o.input_w);
    const auto x = data::letterbox_input(s.image.to(device), box, o.mean, o.std);
    const auto logits = data::logits_to_source(model->predict(x).to(torch::kFloat), box);
    const auto pred = logits.argmax(1).squeeze(0).to(torch::kUInt8).cpu().contiguous();
    const auto gt = s.label.contiguous();
    meter.add(s.name, pred.data_ptr<uint8_t>(), gt.data_ptr<uint8_t>(), static_cast<size_t>(gt.numel()));
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
