#pragma once
// FramePool: recycles frame buffers so that copying a 1080p frame out of GStreamer does not pay for a
// fresh 6 MB allocation (mmap + ~1500 page faults, ~1 ms) every frame.
//
// A pooled cv::Mat is free again once nobody but the pool references it (its refcount is back to 1).
// Threading model: acquire() from one thread (the streaming thread); the Mats it hands out may be
// released on any thread (cv::Mat's refcount is atomic).
#include <cstddef>
#include <vector>

#include <opencv2/core.hpp>

namespace pl::core {

class FramePool {
 public:
  explicit FramePool(std::size_t capacity = 8) : capacity_(capacity) {}

  // A CV_8UC3 buffer of `size` that nobody else holds; allocated fresh when all are in use.
  cv::Mat acquire(cv::Size size);

 private:
  std::size_t capacity_;
  std::vector<cv::Mat> buffers_;
};

}  // namespace pl::core
