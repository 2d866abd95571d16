#include "core/pipeline/predictor_segmenter.h"

#include <filesystem>

#include "core/pipeline/cv_predict.h"

#include "model/device.h"

namespace pl::core {

PredictorSegmenter::PredictorSegmenter(const std::string& checkpoint, const inference::PredictorOptions& options)
    : predictor_(std::make_shared<inference::Predictor>(checkpoint, options)), threads_(options.threads) {}

PredictorSegmenter::PredictorSegmenter(std::shared_ptr<inference::Predictor> predictor, int threads)
    : predictor_(std::move(predictor)), threads_(threads) {
  if (!predictor_) throw std::invalid_argument("PredictorSegmenter: no predictor given");
}

SegmentResult PredictorSegmenter::segment(const cv::Mat& bgr) { return segment(bgr, cv::Size()); }

SegmentResult PredictorSegmenter::segment(const cv::Mat& bgr, cv::Size source_size) {
  if (!threads_applied_ && threads_ > 0) pl::model::configure_cpu_threads(threads_);
  threads_applied_ = true;
  CvPrediction p = cv_predict(*predictor_, bgr, source_size, false, mask_at_);
  SegmentResult r;
  r.mask = std::move(p.mask);
  r.preprocess_ms = p.timings.preprocess_ms;
  r.infer_ms = p.timings.infer_ms;
  r.postprocess_ms = p.timings.postprocess_ms;
  return r;
}

std::string PredictorSegmenter::describe() const {
  const auto& i = predictor_->info();
  std::string s = i.preset;
  if (!i.checkpoint.empty()) s += " (" + std::filesystem::path(i.checkpoint).filename().string() + ")";
  s += " on " + i.device;
  if (i.input_h > 0) s += ", " + std::to_string(i.input_h) + "x" + std::to_string(i.input_w) + " input";
  return s;
}

cv::Size PredictorSegmenter::input_box() const {
  const auto& i = predictor_->info();
  return {i.input_w, i.input_h};
}

const inference::PredictorInfo& PredictorSegmenter::info() const { return predictor_->info(); }

}  // namespace pl::core
