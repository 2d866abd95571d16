#pragma once
// Helpers for the video tests: tiny clips made at test time, and a recorder for source callbacks.
#include <QtTest>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <gst/gst.h>

#include "core/video/frame_source.h"
#include "core/video/gst_runtime.h"
#include "core/video/index_pattern.h"
#include "core/video/video_writer.h"

namespace pl::test {

// Runs a gst-launch style description to EOS; returns "" or the error text.
inline std::string run_launch(const std::string& description, int timeout_s = 30) {
  pl::core::ensure_gstreamer();
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(description.c_str(), &err);
  if (!p || err) {
    std::string m = err ? err->message : "parse failed";
    g_clear_error(&err);
    if (p) gst_object_unref(p);
    return m;
  }
  gst_element_set_state(p, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(p);
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, GST_SECOND * timeout_s,
                                               static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  std::string result = msg ? "" : "timeout";
  if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* e = nullptr;
    gst_message_parse_error(msg, &e, nullptr);
    result = e ? e->message : "error";
    g_clear_error(&e);
  }
  if (msg) gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  return result;
}

// An H.264 MP4 whose frame i shows index pattern i (core/video/index_pattern.h).
inline void make_pattern_clip(const std::string& path, int frames, cv::Size size = {160, 120}, double fps = 30.0) {
  pl::core::Mp4WriterOptions o;
  o.path = path;
  o.fps = fps;
  o.keyframe_interval = 15;
  pl::core::Mp4Writer w(o);
  for (int i = 0; i < frames; ++i) w.write(pl::core::make_index_pattern(i, size));
  w.finish();
}

inline void write_random_bytes(const std::string& path, size_t n) {
  std::mt19937 rng(42);
  std::ofstream f(path, std::ios::binary);
  for (size_t i = 0; i < n; ++i) f.put(static_cast<char>(rng() & 0xff));
}

// Records everything a FrameSource reports, thread-safely.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<pl::core::Frame> frames;
  std::vector<pl::core::VideoError> errors;
  std::vector<pl::core::ReconnectInfo> reconnects;
  std::vector<pl::core::SourceState> states;

  pl::core::SourceCallbacks callbacks() {
    pl::core::SourceCallbacks cb;
    cb.on_frame = [this](const pl::core::Frame& f) { push([&] { frames.push_back(f); }); };
    cb.on_error = [this](const pl::core::VideoError& e) { push([&] { errors.push_back(e); }); };
    cb.on_reconnect = [this](const pl::core::ReconnectInfo& r) { push([&] { reconnects.push_back(r); }); };
    cb.on_state = [this](pl::core::SourceState s, const pl::core::SourceInfo&) { push([&] { states.push_back(s); }); };
    return cb;
  }
  template <typename F>
  void push(F f) {
    {
      std::lock_guard<std::mutex> l(mu);
      f();
    }
    cv.notify_all();
  }
  template <typename Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, timeout, [&] { return pred(); });
  }
  // Waits for a frame with this index (delivered after `after` frames); returns it or an empty frame.
  pl::core::Frame wait_index(int64_t index, size_t after, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    pl::core::Frame found;
    wait([&] {
      for (size_t i = after; i < frames.size(); ++i)
        if (frames[i].index == index) {
          found = frames[i];
          return true;
        }
      return false;
    }, timeout);
    return found;
  }
  size_t frame_count() {
    std::lock_guard<std::mutex> l(mu);
    return frames.size();
  }
};

}  // namespace pl::test
