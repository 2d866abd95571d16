#include "core/video/video_writer.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <opencv2/imgproc.hpp>

#include "core/log/log.h"
#include "core/video/gst_runtime.h"

namespace pl::core {

void Mp4WriterOptions::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("video writer: " + what); };
  if (path.empty()) bad("no output path given");
  if (!(fps > 0.0 && fps <= 1000.0)) bad("fps must be in (0, 1000], got " + std::to_string(fps));
  if (bitrate_kbps < 0) bad("bitrate_kbps must be >= 0, got " + std::to_string(bitrate_kbps));
  if (quantizer < 0 || quantizer > 50) bad("quantizer must be in [0, 50], got " + std::to_string(quantizer));
  if (keyframe_interval < 1) bad("keyframe_interval must be >= 1, got " + std::to_string(keyframe_interval));
}

struct Mp4Writer::Impl {
  Mp4WriterOptions options;
  GstElement* pipeline = nullptr;
  GstElement* appsrc = nullptr;
  GstBus* bus = nullptr;
  cv::Size size;  // fixed by the first frame (even)
  int64_t frames = 0;
  bool finished = false;

  ~Impl() {
    if (pipeline) {
      gst_element_set_state(pipeline, GST_STATE_NULL);
      gst_object_unref(pipeline);
    }
    if (bus) gst_object_unref(bus);
  }

  [[noreturn]] void fail(VideoErrorCategory c, const std::string& msg, const std::string& detail = "") {
    if (pipeline) gst_element_set_state(pipeline, GST_STATE_NULL);
    finished = true;
    throw VideoException(VideoError{c, msg, detail, false});
  }

  // Surfaces an error the pipeline posted (disk full, encoder failure) at the next call.
  void check_bus(GstClockTime timeout, bool want_eos) {
    const auto types = static_cast<GstMessageType>(GST_MESSAGE_ERROR | (want_eos ? GST_MESSAGE_EOS : 0));
    GstMessage* msg = gst_bus_timed_pop_filtered(bus, timeout, types);
    if (!msg) {
      if (want_eos)
        fail(VideoErrorCategory::WriteError, "Writing '" + options.path + "' did not finish in time.");
      return;
    }
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError* err = nullptr;
      gchar* dbg = nullptr;
      gst_message_parse_error(msg, &err, &dbg);
      const std::string text = err ? err->message : "unknown error";
      const bool resource = err && err->domain == GST_RESOURCE_ERROR;
      std::string detail = dbg ? dbg : "";
      g_clear_error(&err);
      g_free(dbg);
      gst_message_unref(msg);
      fail(resource ? VideoErrorCategory::WriteError : VideoErrorCategory::Internal,
           "Cannot write the video '" + options.path + "': " + text, detail);
    }
    gst_message_unref(msg);
  }

  void start(cv::Size first) {
    size = cv::Size(first.width + (first.width & 1), first.height + (first.height & 1));
    pipeline = gst_pipeline_new("polyplens-writer");
    appsrc = gst_element_factory_make("appsrc", "src");
    GstElement* convert = gst_element_factory_make("videoconvert", "convert");
    GstElement* enc = gst_element_factory_make("x264enc", "enc");
    GstElement* mux = gst_element_factory_make("mp4mux", "mux");
    GstElement* sink = gst_element_factory_make("filesink", "sink");
    if (!appsrc || !convert || !enc || !mux || !sink) {
      for (GstElement* e : {appsrc, convert, enc, mux, sink})
        if (e) gst_object_unref(gst_object_ref_sink(e));
      appsrc = nullptr;
      fail(VideoErrorCategory::MissingPlugin,
           "Cannot write MP4 video: x264enc (" + package_hint("x264enc") + ") or mp4mux (" + package_hint("mp4mux") +
               ") is not installed.");
    }
    const int fps_n = static_cast<int>(std::lround(options.fps * 1000)), fps_d = 1000;
    GstCaps* caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "BGR", "width", G_TYPE_INT, size.width,
                                        "height", G_TYPE_INT, size.height, "framerate", GST_TYPE_FRACTION, fps_n, fps_d,
                                        nullptr);
    g_object_set(appsrc, "caps", caps, "format", GST_FORMAT_TIME, "block", TRUE, "is-live", FALSE, "max-bytes",
                 guint64(size.area()) * 3 * 4, nullptr);
    gst_caps_unref(caps);
    gst_util_set_object_arg(G_OBJECT(enc), "speed-preset", options.speed_preset.c_str());
    g_object_set(enc, "key-int-max", options.keyframe_interval, nullptr);
    if (options.bitrate_kbps > 0) {
      g_object_set(enc, "bitrate", options.bitrate_kbps, nullptr);
    } else {
      gst_util_set_object_arg(G_OBJECT(enc), "pass", "quant");
      g_object_set(enc, "quantizer", options.quantizer, nullptr);
    }
    g_object_set(sink, "location", options.path.c_str(), nullptr);
    gst_bin_add_many(GST_BIN(pipeline), appsrc, convert, enc, mux, sink, nullptr);
    if (!gst_element_link_many(appsrc, convert, enc, mux, sink, nullptr))
      fail(VideoErrorCategory::Internal, "Cannot build the MP4 writer pipeline for '" + options.path + "'.");
    bus = gst_element_get_bus(pipeline);
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) check_bus(GST_SECOND, false);
    check_bus(0, false);
  }
};

Mp4Writer::Mp4Writer(Mp4WriterOptions options) : impl_(std::make_unique<Impl>()) {
  options.validate();
  impl_->options = std::move(options);
  const auto missing = missing_elements({"appsrc", "videoconvert", "x264enc", "mp4mux", "filesink"});
  if (!missing.empty())
    throw VideoException(VideoError{VideoErrorCategory::MissingPlugin,
                                    "Cannot write MP4 video: the GStreamer element " + missing.front() +
                                        " is not installed (" + package_hint(missing.front()) + ").",
                                    "", false});
}

Mp4Writer::~Mp4Writer() {
  try {
    finish();
  } catch (const std::exception& e) {
    pl::log::get("video")->error("{}", e.what());
  }
}

void Mp4Writer::write(const cv::Mat& bgr) {
  Impl& d = *impl_;
  if (d.finished) throw std::logic_error("Mp4Writer::write after finish()");
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw std::invalid_argument("Mp4Writer::write needs a non-empty CV_8UC3 image, got type " +
                                std::to_string(bgr.type()));
  if (!d.pipeline) d.start(bgr.size());
  cv::Mat frame;
  if (bgr.size() == d.size) {
    frame = bgr.isContinuous() ? bgr : bgr.clone();  // continuous: one fill below
  } else if (bgr.cols + (bgr.cols & 1) == d.size.width && bgr.rows + (bgr.rows & 1) == d.size.height) {
    cv::copyMakeBorder(bgr, frame, 0, d.size.height - bgr.rows, 0, d.size.width - bgr.cols, cv::BORDER_REPLICATE);
  } else {
    cv::resize(bgr, frame, d.size, 0, 0, cv::INTER_AREA);
  }
  // Copied, not wrapped: the encoder reads frames later (look-ahead), and callers reuse their buffers
  // (compose_overlay_into), so sharing the caller's pixels would encode whatever is there by then.
  const gsize bytes = frame.total() * frame.elemSize();
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, bytes, nullptr);
  gst_buffer_fill(buf, 0, frame.data, bytes);
  const double frame_ns = 1e9 / d.options.fps;
  GST_BUFFER_PTS(buf) = static_cast<GstClockTime>(std::llround(d.frames * frame_ns));
  GST_BUFFER_DURATION(buf) = static_cast<GstClockTime>(std::llround((d.frames + 1) * frame_ns)) - GST_BUFFER_PTS(buf);
  const GstFlowReturn r = gst_app_src_push_buffer(GST_APP_SRC(d.appsrc), buf);
  if (r != GST_FLOW_OK) d.check_bus(GST_SECOND, false);
  ++d.frames;
  d.check_bus(0, false);
}

void Mp4Writer::finish() {
  Impl& d = *impl_;
  if (d.finished) return;
  d.finished = true;
  if (!d.pipeline) return;  // no frame was written: no file
  gst_app_src_end_of_stream(GST_APP_SRC(d.appsrc));
  d.check_bus(120 * GST_SECOND, true);
  gst_element_set_state(d.pipeline, GST_STATE_NULL);
}

int64_t Mp4Writer::frames_written() const { return impl_->frames; }
const std::string& Mp4Writer::path() const { return impl_->options.path; }

}  // namespace pl::core
