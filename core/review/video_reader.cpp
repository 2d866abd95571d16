#include "core/review/video_reader.h"

#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>

#include <cmath>
#include <filesystem>

namespace pl::core::review {
namespace {

// The container's duration in ns (-1 if unknown). OpenCV's GStreamer backend does not report a
// frame count, and a progress bar needs one: ask GStreamer's discoverer (reads the headers only).
int64_t probe_duration_ns(const std::string& path) {
  if (!gst_is_initialized()) gst_init(nullptr, nullptr);
  GError* err = nullptr;
  gchar* uri = gst_filename_to_uri(path.c_str(), &err);
  if (!uri) {
    if (err) g_error_free(err);
    return -1;
  }
  int64_t duration = -1;
  if (GstDiscoverer* d = gst_discoverer_new(5 * GST_SECOND, &err)) {
    if (GstDiscovererInfo* info = gst_discoverer_discover_uri(d, uri, &err)) {
      const GstClockTime t = gst_discoverer_info_get_duration(info);
      if (GST_CLOCK_TIME_IS_VALID(t) && t > 0) duration = static_cast<int64_t>(t);
      g_object_unref(info);
    }
    g_object_unref(d);
  }
  if (err) g_error_free(err);
  g_free(uri);
  return duration;
}

}  // namespace

VideoReader::VideoReader(const std::string& path) : path_(path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw VideoReadError("cannot read video '" + path + "': no such file");
  if (!cap_.open(path, cv::CAP_GSTREAMER) || !cap_.isOpened())
    throw VideoReadError("cannot read video '" + path + "': no decodable video stream (GStreamer could not open it)");
  fps_ = cap_.get(cv::CAP_PROP_FPS);
  if (!std::isfinite(fps_) || fps_ <= 0 || fps_ > 1000) fps_ = 0;
  const double n = cap_.get(cv::CAP_PROP_FRAME_COUNT);
  frame_count_ = std::isfinite(n) && n > 0 ? static_cast<int64_t>(std::llround(n)) : -1;
  if (frame_count_ < 0 && fps_ > 0) {
    const int64_t d = probe_duration_ns(path);
    if (d > 0) frame_count_ = static_cast<int64_t>(std::llround(static_cast<double>(d) * fps_ / 1e9));
  }
  width_ = static_cast<int>(cap_.get(cv::CAP_PROP_FRAME_WIDTH));
  height_ = static_cast<int>(cap_.get(cv::CAP_PROP_FRAME_HEIGHT));
}

bool VideoReader::read(cv::Mat& bgr) {
  if (!cap_.read(bgr) || bgr.empty()) return false;
  if (bgr.type() != CV_8UC3)
    throw VideoReadError("video '" + path_ + "': unexpected decoded frame type " + std::to_string(bgr.type()));
  // Frame time from the index: OpenCV's GStreamer backend answers CAP_PROP_POS_MSEC with the
  // pipeline position, which runs ahead of the frame just returned (opencv/opencv#19025).
  if (fps_ > 0) {
    pts_ns_ = static_cast<int64_t>(std::llround(static_cast<double>(next_) * 1e9 / fps_));
  } else {
    const double ms = cap_.get(cv::CAP_PROP_POS_MSEC);
    pts_ns_ = std::isfinite(ms) && ms >= 0 ? static_cast<int64_t>(std::llround(ms * 1e6)) : -1;
  }
  ++next_;
  return true;
}

}  // namespace pl::core::review
