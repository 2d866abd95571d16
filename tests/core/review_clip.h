#pragma once
// Test clips made at test time: a small H.264 MP4 (GStreamer x264enc through OpenCV) whose frames
// carry a bright red disk exactly on the frames listed, and a segmenter that finds red pixels, so a
// pass over the decoded file must reproduce the list.
#include <set>
#include <string>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/pipeline/frame_segmenter.h"

namespace pl::test {

constexpr int kClipW = 96, kClipH = 64;
constexpr double kClipFps = 10.0;

// Writes `frames` frames; frames in `red` show a disk of `radius` px. Returns false if the writer
// could not be opened.
inline bool write_disk_clip(const std::string& path, int frames, const std::set<int>& red, int radius = 14) {
  const std::string pipeline =
      "appsrc ! videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast "
      "key-int-max=10 ! mp4mux ! filesink location=" + path;
  cv::VideoWriter w(pipeline, cv::CAP_GSTREAMER, 0, kClipFps, cv::Size(kClipW, kClipH), true);
  if (!w.isOpened()) return false;
  for (int i = 0; i < frames; ++i) {
    cv::Mat f(kClipH, kClipW, CV_8UC3, cv::Scalar(90, 110, 100));  // grey-green background
    cv::putText(f, std::to_string(i), {4, 14}, cv::FONT_HERSHEY_PLAIN, 0.9, cv::Scalar(200, 200, 200));
    if (red.count(i)) cv::circle(f, {kClipW / 2 + (i % 7), kClipH / 2}, radius, cv::Scalar(20, 20, 230), cv::FILLED);
    w.write(f);
  }
  w.release();
  return true;
}

// Polyp = strongly red pixel (survives H.264 chroma blur in the disk's interior).
class RedSegmenter : public pl::core::FrameSegmenter {
 public:
  explicit RedSegmenter(int* calls = nullptr) : calls_(calls) {}
  pl::core::SegmentResult segment(const cv::Mat& bgr) override {
    if (calls_) ++*calls_;
    cv::Mat ch[3];
    cv::split(bgr, ch);
    cv::Mat red = (ch[2] > 150) & (ch[1] < 100) & (ch[0] < 100);
    pl::core::SegmentResult r;
    r.mask = red / 255;  // 0/1
    return r;
  }
  std::string describe() const override { return "red-pixel test segmenter"; }

 private:
  int* calls_;
};

}  // namespace pl::test
