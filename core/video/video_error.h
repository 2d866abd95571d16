#pragma once
// Errors from video sources and writers: a category the UI can act on (retry, install a plugin, pick
// another file) plus a sentence a person understands that names the input.
#include <string>

namespace pl::core {

enum class VideoErrorCategory {
  InvalidInput,      // the user's string is not a file, URI or device we understand
  NotFound,          // file or device does not exist
  PermissionDenied,  // exists but cannot be opened (file mode, device permissions, 401/403)
  Busy,              // device already in use
  MissingPlugin,     // a GStreamer element/decoder for this input is not installed
  NoVideo,           // opened, but holds no decodable video stream (random bytes, audio-only)
  DecodeError,       // corrupt or unsupported stream data
  Network,           // connection refused / unreachable / dropped
  DeviceLost,        // a capture device that was working went away
  Stalled,           // a live source stopped delivering frames (watchdog)
  WriteError,        // an output could not be written (disk full, bad path)
  Internal,          // anything else (negotiation failures, bugs)
};

const char* to_string(VideoErrorCategory c);

struct VideoError {
  VideoErrorCategory category = VideoErrorCategory::Internal;
  std::string message;  // for people: "Cannot open 'clip.mp4': the file does not exist."
  std::string detail;   // for logs: GStreamer's own debug string (credentials stripped)
  bool transient = false;  // worth retrying (network hiccup, device replugged, stall)

  std::string to_string() const;  // "[not-found] Cannot open ..."
};

// Replaces user:password@ in URLs (and password=... query values) with "***" so credentials never
// reach logs or the screen.
std::string redact_credentials(const std::string& text);

}  // namespace pl::core
