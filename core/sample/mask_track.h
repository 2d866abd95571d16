#pragma once
// A compact per-frame mask track stored next to a video: the ground truth of the sample clip.
// Format (little endian): "PLMASKS1", uint32 width, uint32 height, uint32 frames, float fps, then per
// frame uint32 byte count + a PNG of the 8-bit mask (0 = background, 255 = polyp; a track that names its
// polyps stores 1-254 instead: every pixel of one polyp carries its number in every frame, so that
// two polyps seen one after the other at the same place stay two polyp events, docs/metrics.md §6).
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace pl::core {

class MaskTrackWriter {
 public:
  // Throws std::runtime_error naming the path when it cannot be created.
  MaskTrackWriter(const std::string& path, int width, int height, double fps);
  void add(const cv::Mat& mask01);  // CV_8U, 0/1 or 0/255, width×height
  // CV_8U width×height: 0 background, 1-254 the polyp's number, 255 a polyp without one.
  void add_labels(const cv::Mat& labels);
  void close();                     // writes the frame count; also done by the destructor
  ~MaskTrackWriter();

 private:
  std::string path_, tmp_;
  std::vector<std::vector<uchar>> frames_;
  int width_, height_;
  double fps_;
  bool closed_ = false;
};

struct MaskTrack {
  int width = 0, height = 0;
  double fps = 0;
  std::vector<std::vector<uchar>> png;  // encoded frames

  size_t size() const { return png.size(); }
  cv::Mat frame(size_t i) const;   // CV_8U 0/1
  cv::Mat labels(size_t i) const;  // CV_8U as stored: 0, 1-254 (named polyps) or 255
};

// Throws std::runtime_error with the path and what is wrong (truncated, not a mask track, bad PNG).
MaskTrack read_mask_track(const std::string& path);

}  // namespace pl::core
