#include "core/pipeline/frame_segmenter.h"

#include <stdexcept>

namespace pl::core {

FrameSegmenter::~FrameSegmenter() = default;

std::unique_ptr<FrameSegmenter> share_segmenter(std::shared_ptr<FrameSegmenter> segmenter) {
  if (!segmenter) throw std::invalid_argument("share_segmenter: no segmenter given");
  struct Shared : FrameSegmenter {
    std::shared_ptr<FrameSegmenter> inner;
    SegmentResult segment(const cv::Mat& bgr) override { return inner->segment(bgr); }
    std::string describe() const override { return inner->describe(); }
  };
  auto out = std::make_unique<Shared>();
  out->inner = std::move(segmenter);
  return out;
}

}  // namespace pl::core
