#include "core/pipeline/frame_segmenter.h"

namespace pl::core {

FrameSegmenter::~FrameSegmenter() = default;

}  // namespace pl::core
