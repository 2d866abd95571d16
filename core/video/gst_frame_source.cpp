#include "core/video/gst_frame_source.h"

#include <algorithm>
#include <cctype>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <gst/app/gstappsink.h>
#include <gst/base/gstbasesrc.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <gst/video/video.h>

#include "core/base/fit.h"
#include "core/log/log.h"
#include "core/video/frame_pool.h"
#include "core/video/gst_errors.h"
#include "core/video/gst_runtime.h"

namespace pl::core {
namespace {

constexpr auto kBusPoll = std::chrono::milliseconds(20);

struct Command {
  enum Kind { Play, Pause, SeekTime, SeekFrame, Rate, ModelBox } kind;
  int64_t value = 0;  // ns or frame index
  double rate = 1.0;
};

int64_t steady_ns() { return Clock::now().time_since_epoch().count(); }

// Stream time (position in the file) of a sample's buffer: gives a frame index that does not depend
// on seeks or rate. -1 without a timestamp.
int64_t stream_time(GstSample* sample, GstBuffer* buffer) {
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  if (!GST_CLOCK_TIME_IS_VALID(pts)) return -1;
  guint64 st = 0;
  const GstSegment* seg = gst_sample_get_segment(sample);
  if (seg && gst_segment_to_stream_time_full(seg, GST_FORMAT_TIME, pts, &st) == 1) return static_cast<int64_t>(st);
  return static_cast<int64_t>(pts);
}

bool looks_like_video_file(const std::string& uri) {
  std::string path = uri.substr(0, uri.find_first_of("?#"));
  for (char& c : path) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* ext : {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".ogv", ".wmv"}) {
    const std::string e(ext);
    if (path.size() > e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

GstElement* make(const char* factory, const char* name, std::vector<std::string>& missing) {
  GstElement* e = gst_element_factory_make(factory, name);
  if (!e) missing.push_back(factory);
  return e;
}

}  // namespace

struct GstFrameSource::Impl {
  GstFrameSource* self;
  SourceSpec spec;
  std::shared_ptr<spdlog::logger> log = pl::log::get("video");

  // --- shared with the public methods (guarded by mutex) ---
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Command> commands;
  bool stop_requested = false;
  GstBus* wake_bus = nullptr;  // a ref to the current pipeline's bus, to interrupt the bus wait
  std::thread control;

  // --- shared with the streaming thread (atomics) ---
  std::atomic<bool> live{false};
  std::atomic<bool> source_live{false};     // set by uridecodebin's source-setup
  std::atomic<bool> deliver_live{false};    // live: pause() freezes delivery
  std::atomic<bool> connected{false};       // a frame arrived on this connection
  std::atomic<int64_t> last_frame_ns{0};
  std::atomic<int64_t> preroll_stream_ns{-1};
  std::atomic<int> fps_n{0}, fps_d{1};
  std::atomic<int64_t> live_counter{0};
  FramePool pool;                           // streaming thread only
  GstCaps* last_caps = nullptr;             // streaming thread only (a ref; reset between pipelines)
  GstVideoInfo video_info;                  // streaming thread only

  // --- the model branch (set_model_box; frame_source.h) ---
  std::atomic<int> box_h{0}, box_w{0};      // asked for by set_model_box()
  std::atomic<bool> branch{false};          // the current pipeline has the branch (before open: asked for)
  std::atomic<bool> stamped{false};         // buffers carry their index in OFFSET (branch; live or no rate)
  std::atomic<int64_t> model_preroll_stream_ns{-1};
  std::mutex model_mutex;                   // the model caps: branch streaming thread and control thread
  GstElement* model_caps = nullptr;         // guarded by model_mutex (set/cleared by the control thread)
  int model_src_w = 0, model_src_h = 0;     // guarded by model_mutex: the full frames' size
  int model_w = 0, model_h = 0;             // guarded by model_mutex: the size the caps ask for
  FramePool model_pool{4};                  // model streaming thread only
  GstCaps* model_last_caps = nullptr;       // model streaming thread only (a ref; reset between pipelines)
  GstVideoInfo model_info;                  // model streaming thread only

  // --- control thread only ---
  GstElement* pipeline = nullptr;
  GstBus* bus = nullptr;
  GstElement* queue = nullptr;
  GstElement* appsink = nullptr;
  GstElement* full_queue = nullptr;         // model branch: the full frames' own queue after the tee
  GstElement* model_queue = nullptr;
  GstElement* model_sink = nullptr;
  GstElement* tail = nullptr;               // where decoded video pads link (the queue)
  bool want_playing = false;
  bool had_frames = false;                  // any connection ever delivered a frame
  int attempt = 0;                          // reconnect attempts since the last good frame
  std::optional<Clock::time_point> reconnect_due;
  Clock::time_point connect_started;
  std::vector<std::string> missing_plugins;
  std::mutex pads_mutex;                    // decodebin pad callbacks (streaming threads)
  bool video_linked = false;                // guarded by pads_mutex
  std::vector<std::string> other_streams;   // guarded by pads_mutex
  double rate = 1.0;
  bool failed = false;
  std::string warning_cause;                // network sources: the cause named by the last element warning
  std::mutex cause_mutex;
  std::string logged_cause;                 // guarded by cause_mutex; set by on_bus_sync (streaming threads)

  Impl(GstFrameSource* s, SourceSpec sp) : self(s), spec(std::move(sp)) {
    gst_video_info_init(&video_info);
    gst_video_info_init(&model_info);
  }
  ~Impl() {
    if (last_caps) gst_caps_unref(last_caps);
    if (model_last_caps) gst_caps_unref(model_last_caps);
  }

  // ---------------------------------------------------------------- control thread
  void run() {
    self->set_state(SourceState::Opening);
    build_and_start();
    while (true) {
      if (!process_commands()) break;
      if (bus) {
        GstMessage* msg = gst_bus_timed_pop(bus, GST_MSECOND * kBusPoll.count());
        if (msg) {
          handle(msg);
          gst_message_unref(msg);
        }
      } else {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait_for(lock, kBusPoll, [&] { return stop_requested || !commands.empty(); });
      }
      check_timers();
    }
    teardown();
  }

  // Returns false when stop was requested.
  bool process_commands() {
    std::deque<Command> todo;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (stop_requested) return false;
      todo.swap(commands);
    }
    for (const Command& c : todo) apply(c);
    return true;
  }

  void apply(const Command& c) {
    switch (c.kind) {
      case Command::Play:
        want_playing = true;
        deliver_live = true;
        if (!pipeline || failed) return;
        if (live) {
          if (connected) self->set_state(SourceState::Playing);
        } else if (self->state() != SourceState::Opening) {
          gst_element_set_state(pipeline, GST_STATE_PLAYING);
        }
        return;
      case Command::Pause:
        want_playing = false;
        deliver_live = false;
        if (!pipeline || failed) return;
        if (live) {
          if (connected) self->set_state(SourceState::Paused);
        } else if (self->state() != SourceState::Opening) {
          gst_element_set_state(pipeline, GST_STATE_PAUSED);
        }
        return;
      case Command::SeekFrame: {
        const int n = fps_n.load(), d = fps_d.load();
        if (n <= 0 || d <= 0) return;
        // An accurate seek delivers the frame whose span contains the target, with its timestamp
        // clipped to the target. Aim 1/8 frame in: past the previous frame's end even when container
        // timestamps are rounded, and close enough to the start that the index rounds back to n.
        const double frame_ns = 1e9 * d / n;
        seek(static_cast<int64_t>((static_cast<double>(c.value) + 0.125) * frame_ns), rate);
        return;
      }
      case Command::SeekTime: {
        // Snap to the frame containing the time, so the delivered frame's index is that frame's.
        const int n = fps_n.load(), d = fps_d.load();
        if (n > 0 && d > 0) {
          apply({Command::SeekFrame, static_cast<int64_t>(std::floor(c.value / 1e9 * n / d + 1e-6))});
        } else {
          seek(c.value, rate);
        }
        return;
      }
      case Command::ModelBox: {
        std::lock_guard<std::mutex> lock(model_mutex);
        update_model_caps();
        return;
      }
      case Command::Rate: {
        rate = c.rate;
        // At the end, a seek to the current position would only end again, and its late EOS could land
        // after the user's next seek and mark the restarted stream as ended: the next seek applies it.
        if (self->state() == SourceState::EndOfStream) return;
        gint64 pos = 0;
        if (!pipeline || !gst_element_query_position(pipeline, GST_FORMAT_TIME, &pos)) pos = 0;
        seek(pos, rate);
        return;
      }
    }
  }

  void seek(int64_t target_ns, double r) {
    if (!pipeline || live || failed) return;
    target_ns = std::max<int64_t>(0, target_ns);
    const auto flags = static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE);
    if (!gst_element_seek(pipeline, r, GST_FORMAT_TIME, flags, GST_SEEK_TYPE_SET, target_ns, GST_SEEK_TYPE_NONE,
                          GST_CLOCK_TIME_NONE)) {
      log->warn("seek to {:.3f} s in {} refused", target_ns / 1e9, spec.describe());
      return;
    }
    // A flushing seek after the end restarts the stream; the state follows from the next ASYNC_DONE.
    if (self->state() == SourceState::EndOfStream)
      self->set_state(want_playing ? SourceState::Playing : SourceState::Paused);
  }

  // Why a network source failed, in words: the error's own text, else what GStreamer logged on the
  // element's thread just before it posted the error, else the element's last warning.
  std::string network_cause(const GError* err, const gchar* dbg) {
    std::string cause = gst::network_cause(std::string(err ? err->message : "") + " | " + (dbg ? dbg : ""));
    if (cause.empty()) {
      std::lock_guard<std::mutex> lock(cause_mutex);
      cause = std::exchange(logged_cause, {});
    }
    return cause.empty() ? warning_cause : cause;
  }

  // Runs on the thread that posts the message: for an error or warning, the network cause that thread
  // logged just before (gst_errors.h) is kept for handle().
  static GstBusSyncReply on_bus_sync(GstBus*, GstMessage* msg, gpointer user) {
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR || GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
      std::string cause = gst::take_thread_network_cause();
      if (!cause.empty()) {
        auto* impl = static_cast<Impl*>(user);
        std::lock_guard<std::mutex> lock(impl->cause_mutex);
        impl->logged_cause = std::move(cause);
      }
    }
    return GST_BUS_PASS;
  }

  void handle(GstMessage* msg) {
    switch (GST_MESSAGE_TYPE(msg)) {
      case GST_MESSAGE_ERROR: {
        GError* err = nullptr;
        gchar* dbg = nullptr;
        gst_message_parse_error(msg, &err, &dbg);
        gst::ErrorContext ctx{&spec, had_frames, missing_plugins, {}};
        if (spec.kind == SourceKind::Uri) ctx.cause = network_cause(err, dbg);
        VideoError e = gst::classify(err, dbg ? dbg : "", ctx);
        g_clear_error(&err);
        g_free(dbg);
        fail(e);
        return;
      }
      case GST_MESSAGE_WARNING: {
        GError* err = nullptr;
        gchar* dbg = nullptr;
        gst_message_parse_warning(msg, &err, &dbg);
        log->info("{}: GStreamer warning: {}", spec.describe(), redact_credentials(err ? err->message : ""));
        if (spec.kind == SourceKind::Uri) {
          const std::string cause =
              gst::network_cause(std::string(err ? err->message : "") + " | " + (dbg ? dbg : ""));
          if (!cause.empty()) warning_cause = cause;
        }
        g_clear_error(&err);
        g_free(dbg);
        return;
      }
      case GST_MESSAGE_ELEMENT:
        if (gst_is_missing_plugin_message(msg)) {
          gchar* desc = gst_missing_plugin_message_get_description(msg);
          if (desc) missing_plugins.emplace_back(desc);
          g_free(desc);
        }
        return;
      case GST_MESSAGE_EOS:
        if (live && spec.kind != SourceKind::TestPattern) {
          VideoError e{VideoErrorCategory::Network, "The stream '" + spec.describe() + "' ended.", "", true};
          fail(e);
        } else {
          self->set_state(SourceState::EndOfStream);
        }
        return;
      case GST_MESSAGE_ASYNC_DONE:
        if (!live) on_prerolled();
        return;
      case GST_MESSAGE_STATE_CHANGED: {
        if (GST_MESSAGE_SRC(msg) != GST_OBJECT(pipeline) || live) return;
        GstState old_state, new_state, pending;
        gst_message_parse_state_changed(msg, &old_state, &new_state, &pending);
        const SourceState s = self->state();
        if (s == SourceState::Opening || s == SourceState::EndOfStream || s == SourceState::Failed) return;
        if (new_state == GST_STATE_PLAYING) self->set_state(SourceState::Playing);
        // A flushing seek while playing passes through PAUSED: not a pause the user asked for.
        if (new_state == GST_STATE_PAUSED && old_state == GST_STATE_PLAYING && !want_playing)
          self->set_state(SourceState::Paused);
        return;
      }
      case GST_MESSAGE_LATENCY:
        gst_bin_recalculate_latency(GST_BIN(pipeline));
        return;
      case GST_MESSAGE_CLOCK_LOST:
        if (want_playing) {
          gst_element_set_state(pipeline, GST_STATE_PAUSED);
          gst_element_set_state(pipeline, GST_STATE_PLAYING);
        }
        return;
      case GST_MESSAGE_APPLICATION: {
        const GstStructure* st = gst_message_get_structure(msg);
        const char* name = st ? gst_structure_get_name(st) : "";
        if (g_str_equal(name, "polyplens-first-frame")) {
          on_first_live_frame();
        } else if (g_str_equal(name, "polyplens-no-video")) {
          std::vector<std::string> streams;
          {
            std::lock_guard<std::mutex> lock(pads_mutex);
            if (video_linked) return;
            streams = other_streams;
          }
          fail(gst::no_video_error(spec, streams));
        }
        return;
      }
      default:
        return;
    }
  }

  // Files and non-live URIs: the first frame is ready (after open or after a flushing seek).
  void on_prerolled() {
    if (self->state() == SourceState::Opening) {
      gint64 dur = -1;
      const bool have_dur = gst_element_query_duration(pipeline, GST_FORMAT_TIME, &dur);
      gboolean seekable = FALSE;
      GstQuery* q = gst_query_new_seeking(GST_FORMAT_TIME);
      if (gst_element_query(pipeline, q)) gst_query_parse_seeking(q, nullptr, &seekable, nullptr, nullptr);
      gst_query_unref(q);
      const int n = fps_n.load(), d = fps_d.load();
      self->update_info([&](SourceInfo& i) {
        i.live = false;
        i.seekable = seekable;
        i.duration_ns = have_dur ? dur : -1;
        i.frame_count = (have_dur && n > 0 && d > 0) ? std::llround(dur / 1e9 * n / d) : -1;
      });
      log->info("opened {}: {}x{} at {:.3f} fps, {:.2f} s", spec.describe(), self->info().width, self->info().height,
                d > 0 ? double(n) / d : 0.0, have_dur ? dur / 1e9 : -1.0);
      had_frames = true;
      self->set_state(SourceState::Paused);
      if (want_playing) gst_element_set_state(pipeline, GST_STATE_PLAYING);
      return;
    }
    if (!want_playing && self->state() != SourceState::EndOfStream) self->set_state(SourceState::Paused);
  }

  void on_first_live_frame() {
    if (!connected) return;
    const bool was_reconnect = attempt > 0 || had_frames;
    attempt = 0;
    had_frames = true;
    self->update_info([&](SourceInfo& i) { i.live = true; });
    const SourceInfo info = self->info();
    log->info("{} {}: {}x{} at {:.2f} fps", was_reconnect ? "reconnected to" : "connected to", spec.describe(),
              info.width, info.height, info.fps);
    self->set_state(want_playing ? SourceState::Playing : SourceState::Paused);
  }

  void check_timers() {
    const Clock::time_point now = Clock::now();
    if (reconnect_due && now >= *reconnect_due) {
      reconnect_due.reset();
      build_and_start();
      return;
    }
    if (!pipeline || failed) return;
    const SourceState s = self->state();
    const bool waiting_first = live ? !connected.load() : s == SourceState::Opening;
    if (waiting_first && now - connect_started > std::chrono::milliseconds(spec.connect_timeout_ms)) {
      VideoError e;
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.1f", spec.connect_timeout_ms / 1000.0);
      if (live) {
        e.category = spec.kind == SourceKind::Uri ? VideoErrorCategory::Network : VideoErrorCategory::Stalled;
        e.message = "No picture from " + spec.describe() + " within " + secs + " s.";
        e.transient = true;
      } else {
        // A file that opens but never yields a frame: typically damaged or incomplete.
        e.category = VideoErrorCategory::DecodeError;
        e.message = "Cannot play '" + spec.describe() + "': no frame could be decoded within " + secs +
                    " s (the file may be damaged or incomplete).";
      }
      fail(e);
      return;
    }
    if (live && connected) {
      const double idle_ms = (steady_ns() - last_frame_ns.load()) / 1e6;
      if (idle_ms > spec.stall_timeout_ms) {
        char secs[32];
        std::snprintf(secs, sizeof secs, "%.1f", idle_ms / 1000.0);
        VideoError e{VideoErrorCategory::Stalled, "No frames from " + spec.describe() + " for " + secs + " s.", "", true};
        fail(e);
      }
    }
  }

  // Reports the error; live sources schedule a reconnect, others end Failed.
  void fail(const VideoError& e) {
    log->warn("{}", e.to_string());
    if (!e.detail.empty()) log->debug("detail: {}", e.detail);
    teardown();
    self->report_error(e);
    const bool may_retry = spec.is_live() && e.transient &&
                           (spec.max_reconnects < 0 || attempt < spec.max_reconnects) && !is_stopping();
    if (!may_retry) {
      failed = true;
      self->set_state(SourceState::Failed);
      return;
    }
    ++attempt;
    const int64_t delay = std::min<int64_t>(int64_t{spec.reconnect_initial_ms} << std::min(attempt - 1, 20),
                                            spec.reconnect_max_ms);
    reconnect_due = Clock::now() + std::chrono::milliseconds(delay);
    log->info("reconnecting to {} in {:.1f} s (attempt {})", spec.describe(), delay / 1000.0, attempt);
    self->set_state(SourceState::Reconnecting);
    self->report_reconnect(ReconnectInfo{attempt, static_cast<int>(delay), e});
  }

  // Queues a request for the control thread and wakes it (from any thread).
  void post(Command c) {
    std::lock_guard<std::mutex> lock(mutex);
    commands.push_back(c);
    if (wake_bus)
      gst_bus_post(wake_bus, gst_message_new_application(nullptr, gst_structure_new_empty("polyplens-wake")));
    wake.notify_all();
  }

  bool is_stopping() {
    std::lock_guard<std::mutex> lock(mutex);
    return stop_requested;
  }

  // ---------------------------------------------------------------- pipeline construction
  void build_and_start() {
    missing_plugins.clear();
    {
      std::lock_guard<std::mutex> lock(pads_mutex);
      video_linked = false;
      other_streams.clear();
    }
    connected = false;
    if (last_caps) gst_caps_unref(last_caps);
    last_caps = nullptr;
    if (model_last_caps) gst_caps_unref(model_last_caps);
    model_last_caps = nullptr;
    connect_started = Clock::now();
    std::vector<std::string> missing;
    if (!build(missing)) {
      if (pipeline) {
        gst_object_unref(pipeline);
        pipeline = nullptr;
      }
      std::string names;
      for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m + " (" + package_hint(m) + ")";
      fail(VideoError{VideoErrorCategory::MissingPlugin,
                      "Cannot open " + spec.describe() + ": GStreamer elements missing: " + names + ".", "", false});
      return;
    }
    bus = gst_element_get_bus(pipeline);
    warning_cause.clear();
    {
      std::lock_guard<std::mutex> lock(cause_mutex);
      logged_cause.clear();
    }
    if (spec.kind == SourceKind::Uri) gst_bus_set_sync_handler(bus, &Impl::on_bus_sync, this, nullptr);
    {
      std::lock_guard<std::mutex> lock(mutex);
      wake_bus = GST_BUS(gst_object_ref(bus));
    }
    // A FAILURE return from set_state is followed by an ERROR message on the bus, which fail() handles.
    if (expect_live()) {
      // Straight to PLAYING: a live source produces nothing in PAUSED, and a sink waiting for a
      // preroll buffer there would wait forever (uridecodebin hides the source's NO_PREROLL).
      go_live();
      return;
    }
    source_live = false;
    const GstStateChangeReturn r = gst_element_set_state(pipeline, GST_STATE_PAUSED);
    if (r == GST_STATE_CHANGE_NO_PREROLL || source_live) {
      go_live();
    } else {
      live = false;
    }
  }

  bool expect_live() const {
    if (spec.kind == SourceKind::TestPattern || spec.kind == SourceKind::Device) return true;
    if (spec.kind != SourceKind::Uri) return false;
    const std::string scheme = spec.location.substr(0, spec.location.find("://"));
    for (const char* s : {"rtsp", "rtsps", "rtspt", "rtspu", "udp", "rtp", "srt", "rtmp", "rtmps", "tcp"})
      if (g_ascii_strcasecmp(scheme.c_str(), s) == 0) return true;
    return is_http() && !looks_like_video_file(spec.location);
  }

  bool is_http() const {
    if (spec.kind != SourceKind::Uri) return false;
    const std::string scheme = spec.location.substr(0, spec.location.find("://"));
    return g_ascii_strcasecmp(scheme.c_str(), "http") == 0 || g_ascii_strcasecmp(scheme.c_str(), "https") == 0;
  }

  // Live: deliver at once, drop when behind, never wait for a preroll.
  void go_live() {
    live = true;
    g_object_set(appsink, "sync", FALSE, "drop", TRUE, "max-buffers", 1, "async", FALSE, nullptr);
    g_object_set(queue, "leaky", 2 /* downstream */, "max-size-buffers", 1, nullptr);
    if (full_queue) g_object_set(full_queue, "leaky", 2 /* downstream */, "max-size-buffers", 1, nullptr);
    if (model_queue) g_object_set(model_queue, "max-size-buffers", 1, nullptr);
    if (model_sink) g_object_set(model_sink, "sync", FALSE, "async", FALSE, nullptr);
    stamped = branch.load();
    deliver_live = want_playing;
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
  }

  bool build(std::vector<std::string>& missing) {
    pipeline = gst_pipeline_new("polyplens-source");
    queue = make("queue", "q", missing);
    GstElement* convert = make("videoconvert", "convert", missing);
    GstElement* caps = make("capsfilter", "bgr", missing);
    appsink = make("appsink", "sink", missing);
    GstElement* head = nullptr;      // element whose output is already video (test pattern)
    GstElement* source = nullptr;
    GstElement* decoder = nullptr;
    GstElement* src_caps = nullptr;
    switch (spec.kind) {
      case SourceKind::File:
        source = make("filesrc", "src", missing);
        decoder = make("decodebin", "decode", missing);
        if (source) g_object_set(source, "location", spec.location.c_str(), nullptr);
        break;
      case SourceKind::Uri:
        if (is_http() && expect_live()) {
          // HTTP camera streams: souphttpsrc is-live ! decodebin. (Inside uridecodebin a live HTTP
          // source stalls behind its download buffering.)
          source = make("souphttpsrc", "src", missing);
          decoder = make("decodebin", "decode", missing);
          if (source) {
            g_object_set(source, "location", spec.location.c_str(), nullptr);
            on_source_setup(nullptr, source, this);
          }
          break;
        }
        decoder = make("uridecodebin", "decode", missing);
        if (decoder) {
          g_object_set(decoder, "uri", spec.location.c_str(), nullptr);
          g_signal_connect(decoder, "source-setup", G_CALLBACK(&Impl::on_source_setup), this);
        }
        break;
      case SourceKind::Device:
        source = make("v4l2src", "src", missing);
        decoder = make("decodebin", "decode", missing);
        if (source) g_object_set(source, "device", spec.location.c_str(), nullptr);
        if (!spec.device_caps.empty()) {
          src_caps = make("capsfilter", "devcaps", missing);
          if (src_caps) {
            GstCaps* c = gst_caps_from_string(spec.device_caps.c_str());
            if (!c) {
              missing.push_back("valid device caps '" + spec.device_caps + "'");
            } else {
              g_object_set(src_caps, "caps", c, nullptr);
              gst_caps_unref(c);
            }
          }
        }
        break;
      case SourceKind::TestPattern: {
        head = make("videotestsrc", "src", missing);
        src_caps = make("capsfilter", "testcaps", missing);
        if (head) {
          gst_util_set_object_arg(G_OBJECT(head), "pattern", spec.location.empty() ? "smpte" : spec.location.c_str());
          g_object_set(head, "is-live", TRUE, "num-buffers", static_cast<gint>(spec.num_frames), nullptr);
        }
        if (src_caps) {
          const int fn = static_cast<int>(std::lround(spec.fps * 1000)), fd = 1000;
          GstCaps* c = gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, spec.width, "height", G_TYPE_INT,
                                           spec.height, "framerate", GST_TYPE_FRACTION, fn, fd, nullptr);
          g_object_set(src_caps, "caps", c, nullptr);
          gst_caps_unref(c);
        }
        break;
      }
      case SourceKind::ImageFolder:
        missing.push_back("(image folders are played by ImageFolderSource)");
        break;
    }
    if (!missing.empty()) {
      for (GstElement* e : {queue, convert, caps, appsink, head, source, decoder, src_caps})
        if (e) gst_object_unref(gst_object_ref_sink(e));
      queue = appsink = nullptr;
      return false;
    }

    g_signal_connect(pipeline, "deep-element-added", G_CALLBACK(&Impl::on_element_added), this);

    GstCaps* bgr = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "BGR", nullptr);
    g_object_set(caps, "caps", bgr, nullptr);
    gst_caps_unref(bgr);
    // Conversion to BGR is the biggest per-frame cost at 1080p: give it both cores.
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(convert), "n-threads"))
      g_object_set(convert, "n-threads", std::max(1u, std::min(4u, std::thread::hardware_concurrency())), nullptr);
    g_object_set(queue, "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time", guint64{0}, nullptr);
    const bool every = spec.playback == Playback::EveryFrame;
    g_object_set(appsink, "sync", every ? FALSE : TRUE, "drop", FALSE, "max-buffers", 2, "enable-last-sample", FALSE,
                 "qos", every ? FALSE : TRUE, nullptr);
    GstAppSinkCallbacks cbs{};
    cbs.new_sample = &Impl::on_new_sample;
    cbs.new_preroll = &Impl::on_new_preroll;
    gst_app_sink_set_callbacks(GST_APP_SINK(appsink), &cbs, this, nullptr);

    gst_bin_add_many(GST_BIN(pipeline), queue, convert, caps, appsink, nullptr);
    bool ok = gst_element_link_many(queue, convert, caps, nullptr);
    if (ok && !add_model_branch(caps)) ok = gst_element_link(caps, appsink);
    tail = queue;
    if (head) {
      gst_bin_add_many(GST_BIN(pipeline), head, src_caps, nullptr);
      ok = ok && gst_element_link_many(head, src_caps, queue, nullptr);
    } else {
      if (source) gst_bin_add(GST_BIN(pipeline), source);
      if (src_caps) gst_bin_add(GST_BIN(pipeline), src_caps);
      gst_bin_add(GST_BIN(pipeline), decoder);
      if (source && src_caps) ok = ok && gst_element_link_many(source, src_caps, decoder, nullptr);
      else if (source) ok = ok && gst_element_link(source, decoder);
      g_signal_connect(decoder, "pad-added", G_CALLBACK(&Impl::on_pad_added), this);
      g_signal_connect(decoder, "no-more-pads", G_CALLBACK(&Impl::on_no_more_pads), this);
    }
    if (!ok) {
      missing.push_back("(linking the pipeline failed)");
      return false;
    }
    return true;
  }

  static void on_source_setup(GstElement*, GstElement* source, gpointer user) {
    auto* impl = static_cast<Impl*>(user);
    GObjectClass* klass = G_OBJECT_GET_CLASS(source);
    // rtspsrc: its 2 s jitter buffer would be most of our delay budget; TCP fallback stays enabled.
    if (g_object_class_find_property(klass, "latency"))
      g_object_set(source, "latency", static_cast<guint>(impl->spec.network_latency_ms), nullptr);
    if (g_object_class_find_property(klass, "tcp-timeout"))
      g_object_set(source, "tcp-timeout", guint64{1000000} * static_cast<guint64>(impl->spec.connect_timeout_ms / 1000 + 1),
                   nullptr);
    // souphttpsrc: give up on a dead server instead of retrying forever; we reconnect ourselves.
    if (g_object_class_find_property(klass, "retries")) g_object_set(source, "retries", 0, nullptr);
    // HTTP camera streams (MJPEG, ...) are live; a URL naming a video file is played like a file.
    if (g_object_class_find_property(klass, "is-live") && !looks_like_video_file(impl->spec.location))
      g_object_set(source, "is-live", TRUE, nullptr);
    // uridecodebin answers the PAUSED request with ASYNC even for live sources, so liveness is read
    // here: bins (rtspsrc) are network streams; plain sources say whether they are live.
    impl->source_live = GST_IS_BASE_SRC(source) ? gst_base_src_is_live(GST_BASE_SRC(source)) : TRUE;
    if (g_object_class_find_property(klass, "timeout") && g_str_has_prefix(G_OBJECT_TYPE_NAME(source), "GstSoup"))
      g_object_set(source, "timeout", static_cast<guint>(impl->spec.connect_timeout_ms / 1000 + 1), nullptr);
  }

  static void on_element_added(GstBin*, GstBin*, GstElement* element, gpointer) {
    GstElementFactory* f = gst_element_get_factory(element);
    // MJPEG over HTTP: without single-stream, multipartdemux never says "no more pads" on an endless
    // stream, so decodebin would hold the video back until the connection closes.
    if (f && g_str_equal(GST_OBJECT_NAME(f), "multipartdemux")) g_object_set(element, "single-stream", TRUE, nullptr);
  }

  static void on_pad_added(GstElement* decoder, GstPad* pad, gpointer user) {
    auto* impl = static_cast<Impl*>(user);
    GstCaps* caps = gst_pad_get_current_caps(pad);
    if (!caps) caps = gst_pad_query_caps(pad, nullptr);
    const GstStructure* s = caps && gst_caps_get_size(caps) > 0 ? gst_caps_get_structure(caps, 0) : nullptr;
    const std::string media = s ? gst_structure_get_name(s) : "unknown";
    if (caps) gst_caps_unref(caps);
    std::lock_guard<std::mutex> lock(impl->pads_mutex);
    if (media.rfind("video/", 0) != 0 || impl->video_linked) {
      const std::string kind = media.substr(0, media.find('/'));
      if (std::find(impl->other_streams.begin(), impl->other_streams.end(), kind) == impl->other_streams.end())
        impl->other_streams.push_back(kind);
      return;
    }
    GstPad* sink = gst_element_get_static_pad(impl->tail, "sink");
    const GstPadLinkReturn r = gst_pad_link(pad, sink);
    gst_object_unref(sink);
    if (r == GST_PAD_LINK_OK) {
      impl->video_linked = true;
    } else {
      impl->log->warn("could not link the decoded video of {} ({})", impl->spec.describe(), gst_pad_link_get_name(r));
    }
    (void)decoder;
  }

  static void on_no_more_pads(GstElement* decoder, gpointer user) {
    auto* impl = static_cast<Impl*>(user);
    {
      std::lock_guard<std::mutex> lock(impl->pads_mutex);
      if (impl->video_linked) return;
    }
    gst_element_post_message(decoder, gst_message_new_application(
                                          GST_OBJECT(decoder), gst_structure_new_empty("polyplens-no-video")));
  }

  void teardown() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (wake_bus) gst_object_unref(wake_bus);
      wake_bus = nullptr;
    }
    if (pipeline) {
      gst_element_set_state(pipeline, GST_STATE_NULL);  // joins the streaming threads
      gst_object_unref(pipeline);
      pipeline = nullptr;
    }
    if (bus) {
      gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);  // the streaming threads are joined
      gst_bus_set_flushing(bus, TRUE);
      gst_object_unref(bus);
      bus = nullptr;
    }
    queue = appsink = tail = full_queue = model_queue = model_sink = nullptr;
    {
      std::lock_guard<std::mutex> lock(model_mutex);
      model_caps = nullptr;
      model_w = model_h = model_src_w = model_src_h = 0;
    }
    connected = false;
  }

  // ---------------------------------------------------------------- streaming thread
  static GstFlowReturn on_new_preroll(GstAppSink* sink, gpointer user) {
    auto* impl = static_cast<Impl*>(user);
    GstSample* sample = gst_app_sink_pull_preroll(sink);
    if (!sample) return GST_FLOW_OK;
    // EveryFrame gets every buffer through new_sample; only the viewer shows the paused frame. The
    // caps are read either way, so size, rate and frame count are known once opening completes.
    if (impl->spec.playback == Playback::Realtime && !impl->live) impl->on_sample(sample, true);
    else if (GstCaps* caps = gst_sample_get_caps(sample)) impl->update_caps(caps);
    gst_sample_unref(sample);
    return GST_FLOW_OK;
  }

  static GstFlowReturn on_new_sample(GstAppSink* sink, gpointer user) {
    auto* impl = static_cast<Impl*>(user);
    GstSample* sample = gst_app_sink_pull_sample(sink);
    if (!sample) return GST_FLOW_EOS;
    impl->on_sample(sample, false);
    gst_sample_unref(sample);
    return GST_FLOW_OK;
  }

  // Streaming thread: remembers the negotiated format; false if the caps are not raw video.
  bool update_caps(GstCaps* caps) {
    if (caps == last_caps) return true;
    if (!gst_video_info_from_caps(&video_info, caps)) return false;
    if (last_caps) gst_caps_unref(last_caps);
    last_caps = gst_caps_ref(caps);
    fps_n = GST_VIDEO_INFO_FPS_N(&video_info);
    fps_d = std::max(1, GST_VIDEO_INFO_FPS_D(&video_info));
    const int w = GST_VIDEO_INFO_WIDTH(&video_info), h = GST_VIDEO_INFO_HEIGHT(&video_info);
    const double fps = fps_n > 0 ? double(fps_n) / fps_d : 0.0;
    self->update_info([&](SourceInfo& i) {
      i.width = w;
      i.height = h;
      i.fps = fps;
    });
    return true;
  }

  void on_sample(GstSample* sample, bool preroll) {
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    GstCaps* caps = gst_sample_get_caps(sample);
    if (!buffer || !caps || !update_caps(caps)) return;

    const int64_t stream_ns = stream_time(sample, buffer);
    if (!preroll && stream_ns >= 0 && preroll_stream_ns.exchange(-1) == stream_ns) return;  // shown as preroll already
    if (preroll) preroll_stream_ns = stream_ns;

    Frame f;
    GstVideoFrame vf;
    if (!gst_video_frame_map(&vf, &video_info, buffer, GST_MAP_READ)) return;
    const int w = GST_VIDEO_FRAME_WIDTH(&vf), h = GST_VIDEO_FRAME_HEIGHT(&vf);
    const cv::Mat wrapped(h, w, CV_8UC3, GST_VIDEO_FRAME_PLANE_DATA(&vf, 0),
                          static_cast<size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0)));
    f.bgr = pool.acquire(cv::Size(w, h));
    wrapped.copyTo(f.bgr);
    gst_video_frame_unmap(&vf);
    f.captured = Clock::now();
    f.preroll = preroll;
    f.pts_ns = stream_ns;
    f.source_size = cv::Size(w, h);
    last_frame_ns = f.captured.time_since_epoch().count();

    if (live) {
      f.index = stamped ? static_cast<int64_t>(GST_BUFFER_OFFSET(buffer)) : live_counter++;
      if (!connected.exchange(true))
        gst_element_post_message(appsink, gst_message_new_application(
                                              GST_OBJECT(appsink), gst_structure_new_empty("polyplens-first-frame")));
      if (!deliver_live) return;
    } else {
      const int n = fps_n, d = fps_d;
      f.index = (n > 0 && stream_ns >= 0) ? std::llround(stream_ns / 1e9 * n / d)
                : branch ? static_cast<int64_t>(GST_BUFFER_OFFSET(buffer))
                         : live_counter++;
    }
    self->deliver(f);
  }

  // ---------------------------------------------------------------- the model branch
  //   ... ! BGR ! tee ! queue ! appsink                                        (full frames, as before)
  //               tee ! queue (leaky) ! videoscale ! BGR CWxCH ! appsink       (model frames)
  // CWxCH = fit_into(frame, box), set on the capsfilter when the frame's caps reach videoscale (so a
  // size change renegotiates) or when set_model_box() changes the box. Returns false, with the
  // pipeline as it was, when no box is set or the branch cannot be built (logged).
  bool add_model_branch(GstElement* caps) {
    const int bh = box_h, bw = box_w;
    branch = false;
    stamped = false;
    if (bh <= 0 || bw <= 0) return false;
    std::vector<std::string> missing;
    GstElement* tee = make("tee", "modeltee", missing);
    GstElement* fq = make("queue", "fullq", missing);
    GstElement* mq = make("queue", "modelq", missing);
    GstElement* scale = make("videoscale", "modelscale", missing);
    GstElement* mcaps = make("capsfilter", "modelcaps", missing);
    GstElement* msink = make("appsink", "modelsink", missing);
    GstElement* all[] = {tee, fq, mq, scale, mcaps, msink};
    if (!missing.empty()) {
      for (GstElement* e : all)
        if (e) gst_object_unref(gst_object_ref_sink(e));
      log->warn("{}: no model branch (missing {}); the model gets full frames", spec.describe(), missing.front());
      return false;
    }
    g_object_set(fq, "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time", guint64{0}, nullptr);
    // Leaky, so a slow model branch never holds the full frames back. A file's decoder runs a few
    // frames ahead of the clock, and both sinks wait for it (Realtime): room for those, so none is
    // dropped when nobody is slow. Live: one (go_live).
    g_object_set(mq, "leaky", 2 /* downstream */, "max-size-buffers", 4, "max-size-bytes", 0, "max-size-time",
                 guint64{0}, nullptr);
    // Multi-tap bilinear: antialiased like the predictor's own letterbox (core/data/letterbox.h); a
    // 4K frame to 320x180 takes ~5 ms of one core here, on GStreamer's thread, not the app's.
    gst_util_set_object_arg(G_OBJECT(scale), "method", "bilinear2");
    g_object_set(scale, "add-borders", FALSE, nullptr);
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(scale), "n-threads"))
      g_object_set(scale, "n-threads", std::max(1u, std::min(2u, std::thread::hardware_concurrency())), nullptr);
    GstCaps* bgr = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "BGR", nullptr);
    g_object_set(mcaps, "caps", bgr, nullptr);
    gst_caps_unref(bgr);
    const bool every = spec.playback == Playback::EveryFrame;
    g_object_set(msink, "sync", every ? FALSE : TRUE, "drop", TRUE, "max-buffers", 1, "enable-last-sample", FALSE,
                 "qos", FALSE, nullptr);
    GstAppSinkCallbacks cbs{};
    cbs.new_sample = &Impl::on_new_model_sample;
    cbs.new_preroll = &Impl::on_new_model_preroll;
    gst_app_sink_set_callbacks(GST_APP_SINK(msink), &cbs, this, nullptr);

    gst_bin_add_many(GST_BIN(pipeline), tee, fq, mq, scale, mcaps, msink, nullptr);
    const bool linked = gst_element_link(caps, tee) && gst_element_link_many(tee, fq, appsink, nullptr) &&
                        gst_element_link_many(tee, mq, scale, mcaps, msink, nullptr);
    if (!linked) {
      for (GstElement* e : all) gst_bin_remove(GST_BIN(pipeline), e);  // unlinks them
      log->warn("{}: no model branch (linking it failed); the model gets full frames", spec.describe());
      return false;
    }
    GstPad* pad = gst_element_get_static_pad(scale, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &Impl::on_model_caps_event, this, nullptr);
    gst_object_unref(pad);
    pad = gst_element_get_static_pad(tee, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &Impl::on_tee_buffer, this, nullptr);
    gst_object_unref(pad);
    {
      std::lock_guard<std::mutex> lock(model_mutex);
      model_caps = mcaps;
      model_w = model_h = model_src_w = model_src_h = 0;
    }
    full_queue = fq;
    model_queue = mq;
    model_sink = msink;
    branch = true;
    return true;
  }

  // Under model_mutex: asks the capsfilter for fit_into(full frame, box) if that changed.
  void update_model_caps() {
    if (!model_caps || model_src_w <= 0 || model_src_h <= 0) return;
    const FitSize c = fit_into(model_src_h, model_src_w, box_h, box_w);
    if (c.empty() || (c.w == model_w && c.h == model_h)) return;
    model_w = static_cast<int>(c.w);
    model_h = static_cast<int>(c.h);
    GstCaps* caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "BGR", "width", G_TYPE_INT, model_w,
                                        "height", G_TYPE_INT, model_h, nullptr);
    g_object_set(model_caps, "caps", caps, nullptr);
    gst_caps_unref(caps);
    log->info("{}: model frames {}x{} from {}x{} (input box {}x{})", spec.describe(), model_w, model_h, model_src_w,
              model_src_h, box_w.load(), box_h.load());
  }

  // Model branch streaming thread: the full frames' caps are on their way into videoscale.
  static GstPadProbeReturn on_model_caps_event(GstPad*, GstPadProbeInfo* info, gpointer user) {
    GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (!ev || GST_EVENT_TYPE(ev) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
    GstCaps* caps = nullptr;
    gst_event_parse_caps(ev, &caps);
    GstVideoInfo vi;
    if (!caps || !gst_video_info_from_caps(&vi, caps)) return GST_PAD_PROBE_OK;
    auto* impl = static_cast<Impl*>(user);
    std::lock_guard<std::mutex> lock(impl->model_mutex);
    impl->model_src_w = GST_VIDEO_INFO_WIDTH(&vi);
    impl->model_src_h = GST_VIDEO_INFO_HEIGHT(&vi);
    impl->update_model_caps();
    return GST_PAD_PROBE_OK;
  }

  // Streaming thread before the tee: numbers each buffer (OFFSET) so that both branches give a live
  // frame, or one of a file without a frame rate, the same index.
  static GstPadProbeReturn on_tee_buffer(GstPad*, GstPadProbeInfo* info, gpointer user) {
    auto* impl = static_cast<Impl*>(user);
    GstBuffer* b = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));  // shares the memory
    GST_BUFFER_OFFSET(b) = static_cast<guint64>(impl->live_counter++);
    GST_PAD_PROBE_INFO_DATA(info) = b;
    return GST_PAD_PROBE_OK;
  }

  static GstFlowReturn on_new_model_preroll(GstAppSink* sink, gpointer user) {
    auto* impl = static_cast<Impl*>(user);
    GstSample* sample = gst_app_sink_pull_preroll(sink);
    if (!sample) return GST_FLOW_OK;
    if (impl->spec.playback == Playback::Realtime && !impl->live) impl->on_model_sample(sample, true);
    gst_sample_unref(sample);
    return GST_FLOW_OK;
  }

  static GstFlowReturn on_new_model_sample(GstAppSink* sink, gpointer user) {
    auto* impl = static_cast<Impl*>(user);
    GstSample* sample = gst_app_sink_pull_sample(sink);
    if (!sample) return GST_FLOW_EOS;
    impl->on_model_sample(sample, false);
    gst_sample_unref(sample);
    return GST_FLOW_OK;
  }

  // Model branch streaming thread: the scaled frame, with the full frame's index and timestamp.
  void on_model_sample(GstSample* sample, bool preroll) {
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    GstCaps* caps = gst_sample_get_caps(sample);
    if (!buffer || !caps) return;
    if (caps != model_last_caps) {
      if (!gst_video_info_from_caps(&model_info, caps)) return;
      if (model_last_caps) gst_caps_unref(model_last_caps);
      model_last_caps = gst_caps_ref(caps);
    }
    const int64_t stream_ns = stream_time(sample, buffer);
    if (!preroll && stream_ns >= 0 && model_preroll_stream_ns.exchange(-1) == stream_ns) return;
    if (preroll) model_preroll_stream_ns = stream_ns;
    if (live && !deliver_live) return;

    Frame f;
    GstVideoFrame vf;
    if (!gst_video_frame_map(&vf, &model_info, buffer, GST_MAP_READ)) return;
    const int w = GST_VIDEO_FRAME_WIDTH(&vf), h = GST_VIDEO_FRAME_HEIGHT(&vf);
    const cv::Mat wrapped(h, w, CV_8UC3, GST_VIDEO_FRAME_PLANE_DATA(&vf, 0),
                          static_cast<size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0)));
    f.bgr = model_pool.acquire(cv::Size(w, h));
    wrapped.copyTo(f.bgr);
    gst_video_frame_unmap(&vf);
    f.captured = Clock::now();
    f.preroll = preroll;
    f.pts_ns = stream_ns;
    {
      std::lock_guard<std::mutex> lock(model_mutex);
      f.source_size = cv::Size(model_src_w, model_src_h);
    }
    if (f.source_size.empty()) return;
    const int n = GST_VIDEO_INFO_FPS_N(&model_info), d = std::max(1, GST_VIDEO_INFO_FPS_D(&model_info));
    if (!live && n > 0 && stream_ns >= 0) f.index = std::llround(stream_ns / 1e9 * n / d);
    else f.index = static_cast<int64_t>(GST_BUFFER_OFFSET(buffer));
    self->deliver_model(f);
  }
};

// -------------------------------------------------------------------- public API

GstFrameSource::GstFrameSource(SourceSpec spec) {
  spec.validate();
  if (spec.kind == SourceKind::ImageFolder)
    throw std::invalid_argument("GstFrameSource cannot play the image folder '" + spec.location +
                                "'; use make_frame_source()");
  ensure_gstreamer();
  impl_ = std::make_unique<Impl>(this, std::move(spec));
  update_info([&](SourceInfo& i) {
    i.description = impl_->spec.describe();
    i.live = impl_->spec.is_live();
    i.seekable = false;
  });
}

GstFrameSource::~GstFrameSource() { stop(); }

const SourceSpec& GstFrameSource::spec() const { return impl_->spec; }

void GstFrameSource::open() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->control.joinable() || impl_->stop_requested) return;
  impl_->control = std::thread([this] { impl_->run(); });
}

void GstFrameSource::start() { impl_->post({Command::Play}); }

void GstFrameSource::pause() { impl_->post({Command::Pause}); }

void GstFrameSource::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stop_requested = true;
    if (impl_->wake_bus)
      gst_bus_post(impl_->wake_bus, gst_message_new_application(nullptr, gst_structure_new_empty("polyplens-wake")));
    impl_->wake.notify_all();
  }
  if (impl_->control.joinable()) impl_->control.join();
  if (state() != SourceState::Idle) set_state(SourceState::Stopped);
}

bool GstFrameSource::seek_to_frame(int64_t index) {
  const SourceInfo i = info();
  if (!i.seekable || index < 0 || (i.frame_count > 0 && index >= i.frame_count)) return false;
  impl_->post({Command::SeekFrame, index});
  return true;
}

bool GstFrameSource::seek_to_time(int64_t pts_ns) {
  const SourceInfo i = info();
  if (!i.seekable || pts_ns < 0 || (i.duration_ns > 0 && pts_ns >= i.duration_ns)) return false;
  impl_->post({Command::SeekTime, pts_ns});
  return true;
}

bool GstFrameSource::step(int frames) {
  const SourceInfo i = info();
  if (!i.seekable || frames == 0) return false;
  int64_t target = std::max<int64_t>(0, last_frame_index() + frames);
  if (i.frame_count > 0) target = std::min(target, i.frame_count - 1);
  pause();
  return seek_to_frame(target);
}

void GstFrameSource::set_model_box(int in_h, int in_w) {
  const bool valid = in_h > 0 && in_w > 0;
  impl_->box_h = valid ? in_h : 0;
  impl_->box_w = valid ? in_w : 0;
  bool opened = false;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    opened = impl_->control.joinable();
  }
  if (!opened) impl_->branch = valid;
  else if (valid) impl_->post({Command::ModelBox});
}

bool GstFrameSource::has_model_branch() const { return impl_->branch; }

bool GstFrameSource::set_rate(double rate) {
  if (!info().seekable || !(rate >= 0.0625 && rate <= 16.0)) return false;
  impl_->post({Command::Rate, 0, rate});
  return true;
}

}  // namespace pl::core
