#pragma once
// The live pipeline's model: a core::inference::Predictor behind the FrameSegmenter interface that
// LiveSession's inference worker calls.
//
// Threading model: built on a loader thread (loading a checkpoint takes seconds), then handed to the
// LiveSession, whose worker thread is the only caller of segment() from then on.
#include <memory>
#include <string>

#include "core/inference/predictor.h"
#include "core/pipeline/frame_segmenter.h"

namespace pl::ui {

class PredictorSegmenter : public core::FrameSegmenter {
 public:
  // Throws what Predictor throws (bad file, wrong format, CUDA asked for but absent).
  PredictorSegmenter(const std::string& checkpoint, const core::inference::PredictorOptions& options);

  core::SegmentResult segment(const cv::Mat& bgr) override;
  std::string describe() const override;
  const core::inference::PredictorInfo& info() const { return predictor_.info(); }

 private:
  core::inference::Predictor predictor_;
  int threads_ = 0;
  bool threads_set_ = false;  // worker thread only
};

// The pipeline and the review jobs own their segmenter (unique_ptr); a loaded model travels through
// QFuture as a shared_ptr. This wraps it; the wrapper is the only user once handed over.
std::unique_ptr<core::FrameSegmenter> share(std::shared_ptr<PredictorSegmenter> segmenter);

}  // namespace pl::ui
