#include "core/pipeline/frame_segmenter.h"

#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace pl::core {

FrameSegmenter::~FrameSegmenter() = default;

SegmentResult FrameSegmenter::segment(const cv::Mat& bgr, cv::Size source_size) {
  SegmentResult r = segment(bgr);
  if (source_size.empty() || source_size == bgr.size() || r.mask.empty() || r.mask.size() == source_size) return r;
  cv::Mat full;
  cv::resize(r.mask, full, source_size, 0, 0, cv::INTER_NEAREST);
  r.mask = std::move(full);
  return r;
}

std::unique_ptr<FrameSegmenter> share_segmenter(std::shared_ptr<FrameSegmenter> segmenter) {
  if (!segmenter) throw std::invalid_argument("share_segmenter: no segmenter given");
  struct Shared : FrameSegmenter {
    std::shared_ptr<FrameSegmenter> inner;
    SegmentResult segment(const cv::Mat& bgr) override { return inner->segment(bgr); }
    SegmentResult segment(const cv::Mat& bgr, cv::Size source_size) override { return inner->segment(bgr, source_size); }
    cv::Size input_box() const override { return inner->input_box(); }
    std::string describe() const override { return inner->describe(); }
  };
  auto out = std::make_unique<Shared>();
  out->inner = std::move(segmenter);
  return out;
}

}  // namespace pl::core
