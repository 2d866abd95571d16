#include "ui/predictor_segmenter.h"

#include <filesystem>

#include "model/device.h"

namespace pl::ui {

PredictorSegmenter::PredictorSegmenter(const std::string& checkpoint,
                                       const core::inference::PredictorOptions& options)
    : predictor_(checkpoint, options), threads_(options.threads) {}

core::SegmentResult PredictorSegmenter::segment(const cv::Mat& bgr) {
  // LibTorch's intra-op thread count is per calling thread (OpenMP); the Predictor set it on the
  // loader thread, so set it again on the inference thread before its first frame.
  if (!threads_set_ && threads_ > 0) pl::model::configure_cpu_threads(threads_);
  threads_set_ = true;
  core::inference::Prediction p = predictor_.predict(bgr);
  core::SegmentResult r;
  r.mask = std::move(p.mask);
  r.preprocess_ms = p.timings.preprocess_ms;
  r.infer_ms = p.timings.infer_ms;
  r.postprocess_ms = p.timings.postprocess_ms;
  return r;
}

std::string PredictorSegmenter::describe() const {
  const auto& i = predictor_.info();
  return i.preset + " (" + std::filesystem::path(i.checkpoint).filename().string() + ") on " + i.device;
}

std::unique_ptr<core::FrameSegmenter> share(std::shared_ptr<PredictorSegmenter> segmenter) {
  struct Shared : core::FrameSegmenter {
    std::shared_ptr<PredictorSegmenter> inner;
    core::SegmentResult segment(const cv::Mat& bgr) override { return inner->segment(bgr); }
    std::string describe() const override { return inner->describe(); }
  };
  auto out = std::make_unique<Shared>();
  out->inner = std::move(segmenter);
  return out;
}

}  // namespace pl::ui
