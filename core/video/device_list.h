#pragma once
// Capture devices on this machine (GstDeviceMonitor, class "Video/Source"): what "Open device…"
// lists, with the formats each one offers.
#include <string>
#include <vector>

namespace pl::core {

struct VideoMode {
  std::string format;    // "YUY2", "MJPG", "NV12", ...
  int width = 0, height = 0;
  double max_fps = 0.0;  // highest frame rate offered for this size (0 if unknown)
};

struct VideoDevice {
  std::string name;                  // "HD Pro Webcam C920"
  std::string path;                  // "/dev/video0" (what SourceSpec::location wants); "" if unknown
  std::string api;                   // "v4l2", "libcamera", "pipewire", ...
  std::vector<VideoMode> modes;      // de-duplicated, largest first
  std::vector<std::string> caps;     // the raw caps structures, for logs and advanced users
};

// Probes once (blocking, typically < 100 ms). Never throws; an empty list means none found.
std::vector<VideoDevice> list_video_devices();

}  // namespace pl::core
