#include "core/export/recorder.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include <opencv2/imgproc.hpp>

#include "core/export/file_writer.h"
#include "core/log/log.h"

namespace pl::core::exporting {
namespace {

constexpr GstClockTime kNs = 1;

std::string take_error(GstMessage* msg) {
  GError* err = nullptr;
  gchar* dbg = nullptr;
  gst_message_parse_error(msg, &err, &dbg);
  std::string text = err ? err->message : "unknown GStreamer error";
  const gchar* from = GST_OBJECT_NAME(GST_MESSAGE_SRC(msg));
  pl::log::get("video")->debug("recorder: error from {}: {} ({})", from ? from : "?", text, dbg ? dbg : "");
  if (err) g_error_free(err);
  g_free(dbg);
  return text;
}

}  // namespace

struct Recorder::Pipeline {
  GstElement* pipeline = nullptr;
  GstElement* src = nullptr;  // the appsrc (a ref of our own)
  GstBus* bus = nullptr;
  guint64 max_bytes = 0;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE, frame_duration = 0;

  ~Pipeline() {
    if (pipeline) gst_element_set_state(pipeline, GST_STATE_NULL);
    if (bus) gst_object_unref(bus);
    if (src) gst_object_unref(src);
    if (pipeline) gst_object_unref(pipeline);
  }
  // The first error on the bus, if any ("" otherwise); waits up to `timeout`.
  std::string poll_error(GstClockTime timeout) {
    GstMessage* msg = gst_bus_timed_pop_filtered(bus, timeout, GST_MESSAGE_ERROR);
    if (!msg) return "";
    std::string e = take_error(msg);
    gst_message_unref(msg);
    return e;
  }
};

void RecorderOptions::validate() const {
  auto bad = [](const std::string& m) { throw std::invalid_argument("recorder: " + m); };
  if (path.empty()) bad("no output path");
  if (width < 2 || height < 2) bad("frame size must be at least 2x2, got " + std::to_string(width) + "x" + std::to_string(height));
  if (!(fps > 0 && fps <= 1000)) bad("fps must be in (0, 1000], got " + std::to_string(fps));
  if (bitrate_kbps < 16 || bitrate_kbps > 200000) bad("bitrate_kbps must be in [16, 200000], got " + std::to_string(bitrate_kbps));
  static const char* presets[] = {"ultrafast", "superfast", "veryfast", "faster", "fast",
                                  "medium", "slow", "slower", "veryslow"};
  if (std::find(std::begin(presets), std::end(presets), speed_preset) == std::end(presets))
    bad("speed_preset must be one of ultrafast..veryslow, got '" + speed_preset + "'");
  if (queue_frames < 1) bad("queue_frames must be >= 1, got " + std::to_string(queue_frames));
  if (fragment_ms < 0) bad("fragment_ms must be >= 0, got " + std::to_string(fragment_ms));
  if (finalize_timeout_ms < 100) bad("finalize_timeout_ms must be >= 100, got " + std::to_string(finalize_timeout_ms));
}

Recorder::Recorder(RecorderOptions options) : options_(std::move(options)) {
  options_.validate();
  width_ = options_.width & ~1;
  height_ = options_.height & ~1;
  stats_.path = options_.path;
}

Recorder::~Recorder() { stop(); }

void Recorder::start() {
  std::lock_guard<std::mutex> control(control_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_) throw RecordError("recorder: already started ('" + options_.path + "')");
  }
  namespace fs = std::filesystem;
  const fs::path out(options_.path);
  std::error_code ec;
  if (fs::exists(out, ec)) throw RecordError("cannot record to '" + options_.path + "': the file exists (not overwritten)");
  try {
    ensure_writable_dir(out.parent_path().empty() ? "." : out.parent_path().string());
  } catch (const ExportError& e) {
    throw RecordError(e.what());
  }

  if (!gst_is_initialized()) gst_init(nullptr, nullptr);
  const int key_int = std::max(1, static_cast<int>(std::lround(options_.fps)));
  // Key frames every second so every fragment (and a cut at any second) starts decodable. The file
  // sink is unbuffered so each fragment reaches the disk when the muxer closes it, not 64 KiB later.
  std::string desc =
      "appsrc name=src format=time is-live=false do-timestamp=false block=false ! queue max-size-buffers=4 ! "
      "videoconvert ! video/x-raw,format=I420 ! x264enc name=enc tune=zerolatency ! video/x-h264,profile=high ! "
      "mp4mux name=mux ! filesink name=sink async=false buffer-mode=unbuffered";
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(desc.c_str(), &err);
  if (err) {
    const std::string m = err->message;
    g_error_free(err);
    if (pipe) gst_object_unref(pipe);
    throw RecordError("cannot record to '" + options_.path + "': " + m +
                      " (x264enc is in gstreamer1.0-plugins-ugly, mp4mux in gstreamer1.0-plugins-good)");
  }
  auto p = std::make_unique<Pipeline>();
  p->pipeline = pipe;
  p->src = gst_bin_get_by_name(GST_BIN(pipe), "src");
  GstElement* enc = gst_bin_get_by_name(GST_BIN(pipe), "enc");
  GstElement* mux = gst_bin_get_by_name(GST_BIN(pipe), "mux");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  p->bus = gst_element_get_bus(pipe);

  int fn = 0, fd = 1;
  gst_util_double_to_fraction(options_.fps, &fn, &fd);
  GstCaps* caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "BGR", "width", G_TYPE_INT, width_,
                                      "height", G_TYPE_INT, height_, "framerate", GST_TYPE_FRACTION, fn, fd, nullptr);
  const guint64 frame_bytes = static_cast<guint64>(GST_ROUND_UP_4(width_ * 3)) * static_cast<guint64>(height_);
  p->max_bytes = 2 * frame_bytes;
  g_object_set(p->src, "caps", caps, "max-bytes", p->max_bytes, nullptr);
  gst_caps_unref(caps);
  gst_util_set_object_arg(G_OBJECT(enc), "speed-preset", options_.speed_preset.c_str());
  g_object_set(enc, "bitrate", static_cast<guint>(options_.bitrate_kbps), "key-int-max", static_cast<guint>(key_int), nullptr);
  g_object_set(mux, "fragment-duration", static_cast<guint>(options_.fragment_ms), nullptr);
  g_object_set(sink, "location", options_.path.c_str(), nullptr);
  gst_object_unref(enc);
  gst_object_unref(mux);
  gst_object_unref(sink);
  p->frame_duration = gst_util_uint64_scale(GST_SECOND, static_cast<guint64>(fd), static_cast<guint64>(fn));

  if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    std::string m = p->poll_error(0);
    p.reset();
    std::filesystem::remove(out, ec);  // an empty file filesink may have created
    throw RecordError("cannot record to '" + options_.path + "': " + (m.empty() ? "the pipeline did not start" : m));
  }
  pipeline_ = p.release();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    started_ = true;
    stats_.recording = true;
  }
  thread_ = std::thread(&Recorder::run, this);
  pl::log::get("video")->info("recording {}x{} @ {} fps to '{}' (fragments {} ms)", width_, height_, options_.fps,
                              options_.path, options_.fragment_ms);
}

bool Recorder::push(const cv::Mat& frame) {
  if (frame.empty() || frame.depth() != CV_8U || (frame.channels() != 1 && frame.channels() != 3 && frame.channels() != 4))
    return false;
  const auto now = std::chrono::steady_clock::now();
  // Checked before and after the copy: a full queue must not cost a frame copy, and the state may
  // change while copying.
  auto refuse = [&]() {
    if (!started_ || stopping_ || failed_) return true;
    if (static_cast<int>(queue_.size()) >= options_.queue_frames) {
      ++stats_.dropped;
      return true;
    }
    return false;
  };
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (refuse()) return false;
  }
  Item item{frame.clone(), now};  // the caller may reuse its buffer for the next frame
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (refuse()) return false;
    if (!have_t0_) {
      t0_ = now;
      have_t0_ = true;
    }
    ++stats_.accepted;
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
  return true;
}

void Recorder::fail(const std::string& message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed_) return;
    failed_ = true;
    stats_.error = message;
    queue_.clear();
  }
  pl::log::get("video")->error("recording to '{}' failed: {}", options_.path, message);
  if (options_.on_error) options_.on_error(message);
}

void Recorder::run() {
  Pipeline& p = *pipeline_;
  const bool needs_meta = (width_ * 3) % 4 != 0;  // appsrc's default BGR stride is rounded up to 4
  int64_t index = 0;
  for (;;) {
    Item item;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_ || failed_; });
      if (failed_ || queue_.empty()) break;  // failed, or stopping with everything written
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    cv::Mat f = item.frame;
    if (f.channels() == 1) cv::cvtColor(f, f, cv::COLOR_GRAY2BGR);
    if (f.channels() == 4) cv::cvtColor(f, f, cv::COLOR_BGRA2BGR);
    if (f.cols != width_ || f.rows != height_) cv::resize(f, f, cv::Size(width_, height_), 0, 0, cv::INTER_AREA);
    if (!f.isContinuous()) f = f.clone();

    GstClockTime pts;
    if (options_.wall_clock) {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(item.at - t0_).count();
      pts = static_cast<GstClockTime>(std::max<int64_t>(ns, 0));  // concurrent pushers may race t0_
    } else {
      pts = gst_util_uint64_scale(static_cast<guint64>(index), p.frame_duration, 1);
    }
    if (GST_CLOCK_TIME_IS_VALID(p.last_pts) && pts <= p.last_pts) pts = p.last_pts + kNs;  // strictly increasing
    p.last_pts = pts;

    auto* keep = new cv::Mat(f);
    const gsize size = keep->total() * keep->elemSize();
    GstBuffer* buf = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, keep->data, size, 0, size, keep,
                                                 [](gpointer m) { delete static_cast<cv::Mat*>(m); });
    if (needs_meta) {
      gsize offset[GST_VIDEO_MAX_PLANES] = {0};
      gint stride[GST_VIDEO_MAX_PLANES] = {static_cast<gint>(f.step[0])};
      gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_FORMAT_BGR, static_cast<guint>(width_),
                                     static_cast<guint>(height_), 1, offset, stride);
    }
    GST_BUFFER_PTS(buf) = pts;
    GST_BUFFER_DURATION(buf) = p.frame_duration;

    // Wait for room in appsrc while watching the bus: an encoder that stalls or a sink that fails
    // must not hang this thread.
    std::string error;
    while (error.empty() && gst_app_src_get_current_level_bytes(GST_APP_SRC(p.src)) >= p.max_bytes)
      error = p.poll_error(5 * GST_MSECOND);
    if (error.empty()) error = p.poll_error(0);
    if (!error.empty()) {
      gst_buffer_unref(buf);
      fail(error);
      break;
    }
    if (gst_app_src_push_buffer(GST_APP_SRC(p.src), buf) != GST_FLOW_OK) {
      fail("the encoder refused a frame");
      break;
    }
    ++index;
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.written;
    stats_.media_seconds = static_cast<double>(pts + p.frame_duration) / 1e9;
  }

  bool failed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failed = failed_;
  }
  if (!failed) {
    gst_app_src_end_of_stream(GST_APP_SRC(p.src));
    GstMessage* msg = gst_bus_timed_pop_filtered(
        p.bus, static_cast<GstClockTime>(options_.finalize_timeout_ms) * GST_MSECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    if (!msg) {
      fail("finalising timed out after " + std::to_string(options_.finalize_timeout_ms) +
           " ms; the file may miss its last second");
    } else {
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) fail(take_error(msg));
      gst_message_unref(msg);
    }
  }
  gst_element_set_state(p.pipeline, GST_STATE_NULL);
}

RecorderStats Recorder::stop() {
  std::lock_guard<std::mutex> control(control_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_ || stopped_) return stats_;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  delete pipeline_;
  pipeline_ = nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  stats_.recording = false;
  if (stats_.written == 0) {  // started and stopped without a frame: no empty file left behind
    std::error_code ec;
    std::filesystem::remove(options_.path, ec);
  }
  pl::log::get("video")->info("recording '{}' finished: {} frames, {} dropped, {:.1f} s{}", options_.path,
                              stats_.written, stats_.dropped, stats_.media_seconds,
                              stats_.error.empty() ? "" : " (" + stats_.error + ")");
  return stats_;
}

RecorderStats Recorder::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

bool Recorder::recording() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return started_ && !stopped_ && !failed_;
}

}  // namespace pl::core::exporting
