#pragma once
// VideoReader: every frame of a video file, in order, as fast as it decodes — for the work that has to
// see all frames (the background detection pass, batch export), unlike the playback sources of
// core/video that keep to the clock and drop frames when behind.
//
// Decoding goes through OpenCV's GStreamer backend (decodebin), so it reads what playback reads.
// Frame indices count decoded frames from 0, which matches the playback index (pts x fps) for the
// constant-frame-rate files this is used on.
//
// Threading model: not thread-safe; create and use it on one thread (the job's worker thread).
#include <cstdint>
#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

namespace pl::core::review {

class VideoReadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class VideoReader {
 public:
  // Throws VideoReadError naming the path when the file is missing or holds no decodable video.
  explicit VideoReader(const std::string& path);

  // The next frame (CV_8UC3 BGR); false at the end of the file.
  bool read(cv::Mat& bgr);
  int64_t next_index() const { return next_; }  // index the next read() returns
  int64_t last_pts_ns() const { return pts_ns_; }  // time of the last frame read (index / fps), -1 if unknown

  int64_t frame_count() const { return frame_count_; }  // container duration x fps, -1 if unknown
  double fps() const { return fps_; }                   // 0 if unknown
  int width() const { return width_; }
  int height() const { return height_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  cv::VideoCapture cap_;
  int64_t next_ = 0, frame_count_ = -1, pts_ns_ = -1;
  double fps_ = 0;
  int width_ = 0, height_ = 0;
};

}  // namespace pl::core::review
