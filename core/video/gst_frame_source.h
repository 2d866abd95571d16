#pragma once
// GstFrameSource: FrameSource over a GStreamer pipeline for files, network URIs, V4L2 devices and the
// test pattern (see SourceSpec). GStreamer stays out of this header.
//
//   file     filesrc ! decodebin ! queue ! videoconvert ! BGR ! appsink
//   uri      uridecodebin (rtspsrc latency = spec.network_latency_ms) ! queue ! videoconvert ! ...
//   device   v4l2src [! caps] ! decodebin ! queue ! ...
//   test     videotestsrc is-live ! caps ! queue ! ...
// Live pipelines (those that do not preroll) use appsink sync=false and a leaky queue of one buffer,
// so a slow consumer drops frames instead of building latency; files use sync=true (Realtime) or
// sync=false with back-pressure (EveryFrame). The appsink callback copies the pixels into a pooled
// cv::Mat and releases the GStreamer buffer before calling on_frame.
// With a model box (set_model_box), a tee after the BGR caps feeds a second branch, a leaky queue,
// videoscale and an appsink, whose frames are scaled to the model's content size and go to
// on_model_frame (docs/architecture.md "The video pipeline").
//
// Threading model
//   - Control thread (one per source, started by open()): builds and tears down pipelines, reads the
//     bus, runs the stall watchdog and the reconnect timer, and carries out start/pause/seek/step/
//     rate requests posted by the public methods. It is the only thread that touches the pipeline's
//     state. on_state/on_error/on_reconnect run here.
//   - Streaming thread (GStreamer's, appsink): converts the sample and calls on_frame. The model
//     branch has its own (its queue's): it scales, copies out and calls on_model_frame. They share
//     only atomics with the control thread (and the model branch's size, under a mutex) and talk to
//     it by posting application messages on the bus.
//     For network sources, a bus sync handler on the posting thread hands the failure's cause that
//     GStreamer logged there ("connection refused") to the control thread under a mutex.
//   - Public methods: any thread; only stop() blocks (it joins the control thread, which sets the
//     pipeline to NULL, which waits for an on_frame in progress to return).
//   Live sources: pause() freezes delivery but keeps the pipeline running (the connection and the
//   watchdog stay alive); losses are reported with on_error(transient) then on_reconnect, with
//   backoff spec.reconnect_initial_ms doubling up to spec.reconnect_max_ms.
//   Files: frame index = round(stream time x fps), so it survives seeks; seeks are accurate; step()
//   seeks to the neighbouring frame while paused.
#include <memory>

#include "core/video/frame_source.h"
#include "core/video/source_spec.h"

namespace pl::core {

class GstFrameSource : public FrameSource {
 public:
  // Throws std::invalid_argument if the spec is invalid or names an image folder.
  explicit GstFrameSource(SourceSpec spec);
  ~GstFrameSource() override;

  void open() override;
  void start() override;
  void pause() override;
  void stop() override;
  bool seek_to_frame(int64_t index) override;
  bool seek_to_time(int64_t pts_ns) override;
  bool step(int frames) override;
  bool set_rate(double rate) override;
  // The model branch (frame_source.h): a tee after the BGR conversion, its second branch a leaky
  // queue, videoscale (multi-tap bilinear) and an appsink for frames of fit_into(frame, box).
  void set_model_box(int in_h, int in_w) override;
  bool has_model_branch() const override;

  const SourceSpec& spec() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pl::core
