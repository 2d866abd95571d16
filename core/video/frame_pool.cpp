#include "core/video/frame_pool.h"

#include <algorithm>

namespace pl::core {

cv::Mat FramePool::acquire(cv::Size size) {
  // Resolution changed: forget buffers of the old size (their holders keep them alive).
  buffers_.erase(std::remove_if(buffers_.begin(), buffers_.end(), [&](const cv::Mat& m) { return m.size() != size; }),
                 buffers_.end());
  for (const cv::Mat& m : buffers_) {
    // Only the pool holds it: nobody can be reading it, so it may be overwritten.
    if (m.u && __atomic_load_n(&m.u->refcount, __ATOMIC_ACQUIRE) == 1) return m;
  }
  cv::Mat m(size, CV_8UC3);
  if (buffers_.size() < capacity_) buffers_.push_back(m);
  return m;
}

}  // namespace pl::core
