#pragma once
// PredictorSegmenter: the trained model (core::inference::Predictor) behind the FrameSegmenter
// interface that InferenceWorker, LiveSession and annotate_video() call. No torch in this header.
//
// Threading model: may be built on a loader thread (loading takes seconds); afterwards one thread at
// a time calls segment() (the inference worker). LibTorch's intra-op thread count is per calling
// thread, so it is applied again on the first segment() call of the using thread.
#include <memory>
#include <string>

#include "core/inference/predictor.h"
#include "core/pipeline/cv_predict.h"
#include "core/pipeline/frame_segmenter.h"

namespace pl::core {

class PredictorSegmenter : public FrameSegmenter {
 public:
  // Loads a checkpoint. Throws what Predictor throws (missing/corrupt file, CUDA asked for but absent).
  PredictorSegmenter(const std::string& checkpoint, const inference::PredictorOptions& options = {});
  // Wraps a Predictor someone else owns (e.g. shared with a review job); `threads` as in the options.
  explicit PredictorSegmenter(std::shared_ptr<inference::Predictor> predictor, int threads = 0);

  SegmentResult segment(const cv::Mat& bgr) override;
  // No resize when `bgr` already has the content size for `source_size` (cv_predict.h).
  SegmentResult segment(const cv::Mat& bgr, cv::Size source_size) override;
  // The predictor's input_h x input_w (as cv::Size: width = input_w).
  cv::Size input_box() const override;
  // Masks at the model's content size instead of the frame's (the live view, which upsamples them
  // on the GPU or in core/overlay; saves resizing logits to a 4K frame). Default: the frame's size.
  void set_mask_at_model_resolution(bool on) { mask_at_ = on ? MaskAt::Content : MaskAt::Frame; }
  // "<preset> (<checkpoint file>) on <device>, <H>x<W> input"
  std::string describe() const override;
  const inference::PredictorInfo& info() const;

 private:
  std::shared_ptr<inference::Predictor> predictor_;
  int threads_ = 0;
  bool threads_applied_ = false;  // using thread only
  MaskAt mask_at_ = MaskAt::Frame;
};

}  // namespace pl::core
