#pragma once
// SourceSpec: what to open and how. One struct for every kind of input so the UI ("Open video…",
// "Open stream URL…", "Open device…") and the CLI (--input) share one parser and one set of options.
#include <cstdint>
#include <string>

namespace pl::core {

enum class SourceKind {
  File,         // a local video file: any container/codec GStreamer has plugins for
  Uri,          // rtsp://, rtsps://, udp://, http(s)://, ... (uridecodebin)
  Device,       // a V4L2 capture device, /dev/videoN
  TestPattern,  // videotestsrc (live)
  ImageFolder,  // a directory of images, sorted by name (played as frames)
};
const char* to_string(SourceKind k);

// How a non-live source delivers frames.
enum class Playback {
  Realtime,    // at the stream's pace (the viewer); pause/seek/step/rate work
  EveryFrame,  // every frame, as fast as the consumer takes them, none dropped (annotate, export)
};

struct SourceSpec {
  SourceKind kind = SourceKind::File;
  std::string location;             // path, URI, device node or videotestsrc pattern name
  Playback playback = Playback::Realtime;

  // Live sources (Uri, Device, TestPattern).
  int connect_timeout_ms = 10000;   // no first frame within this -> network/stall error
  int stall_timeout_ms = 3000;      // no frame for this long while playing -> reconnect
  int reconnect_initial_ms = 1000;  // backoff 1 s, 2 s, 4 s, 8 s, 8 s, ...
  int reconnect_max_ms = 8000;
  int max_reconnects = -1;          // -1: keep trying; 0: fail on the first loss
  int network_latency_ms = 100;     // rtspsrc jitter buffer (its default of 2000 ms adds delay)
  std::string device_caps;          // optional caps for devices, e.g. "image/jpeg,width=1280,height=720"

  // TestPattern (and the size/rate a folder is played at).
  int width = 640, height = 480;
  double fps = 30.0;
  int64_t num_frames = -1;          // TestPattern: -1 endless

  bool is_live() const { return kind == SourceKind::Uri || kind == SourceKind::Device || kind == SourceKind::TestPattern; }
  // For people and logs, credentials stripped.
  std::string describe() const;
  // Throws std::invalid_argument naming the bad field and value.
  void validate() const;

  // Interprets what a user typed: "clip.mp4", "file:///x.mkv", "rtsp://user:pw@cam/s", "/dev/video0",
  // "test:ball" / "test" (pattern), or a folder of images. Throws std::invalid_argument when empty.
  static SourceSpec parse(const std::string& input);
};

}  // namespace pl::core
