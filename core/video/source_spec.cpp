#include "core/video/source_spec.h"

#include <filesystem>
#include <stdexcept>

#include "core/video/video_error.h"

namespace pl::core {

const char* to_string(SourceKind k) {
  switch (k) {
    case SourceKind::File: return "file";
    case SourceKind::Uri: return "uri";
    case SourceKind::Device: return "device";
    case SourceKind::TestPattern: return "test-pattern";
    case SourceKind::ImageFolder: return "image-folder";
  }
  return "unknown";
}

std::string SourceSpec::describe() const {
  switch (kind) {
    case SourceKind::TestPattern: return "test pattern '" + location + "'";
    case SourceKind::Uri: return redact_credentials(location);
    default: return location;
  }
}

void SourceSpec::validate() const {
  auto bad = [](const std::string& field, const std::string& value, const std::string& want) {
    throw std::invalid_argument("source option " + field + " = " + value + " is invalid: " + want);
  };
  if (location.empty() && kind != SourceKind::TestPattern) bad("location", "''", "name a file, URI or device");
  if (connect_timeout_ms < 100) bad("connect_timeout_ms", std::to_string(connect_timeout_ms), "must be >= 100");
  if (stall_timeout_ms < 100) bad("stall_timeout_ms", std::to_string(stall_timeout_ms), "must be >= 100");
  if (reconnect_initial_ms < 10) bad("reconnect_initial_ms", std::to_string(reconnect_initial_ms), "must be >= 10");
  if (reconnect_max_ms < reconnect_initial_ms)
    bad("reconnect_max_ms", std::to_string(reconnect_max_ms), "must be >= reconnect_initial_ms");
  if (max_reconnects < -1) bad("max_reconnects", std::to_string(max_reconnects), "must be -1 (forever) or >= 0");
  if (network_latency_ms < 0) bad("network_latency_ms", std::to_string(network_latency_ms), "must be >= 0");
  if (width < 16 || width > 8192) bad("width", std::to_string(width), "must be in [16, 8192]");
  if (height < 16 || height > 8192) bad("height", std::to_string(height), "must be in [16, 8192]");
  if (!(fps > 0.0 && fps <= 1000.0)) bad("fps", std::to_string(fps), "must be in (0, 1000]");
  if (num_frames == 0 || num_frames < -1) bad("num_frames", std::to_string(num_frames), "must be -1 or > 0");
}

SourceSpec SourceSpec::parse(const std::string& input) {
  if (input.empty()) throw std::invalid_argument("no video input given (a file, folder, URI or /dev/videoN)");
  SourceSpec s;
  s.location = input;
  if (input == "test" || input.rfind("test:", 0) == 0) {
    s.kind = SourceKind::TestPattern;
    s.location = input.size() > 5 ? input.substr(5) : "smpte";
  } else if (input.rfind("file://", 0) == 0) {
    s.kind = SourceKind::File;
    s.location = input.substr(7);
  } else if (input.find("://") != std::string::npos) {
    s.kind = SourceKind::Uri;
  } else if (input.rfind("/dev/video", 0) == 0) {
    s.kind = SourceKind::Device;
  } else {
    std::error_code ec;
    s.kind = std::filesystem::is_directory(input, ec) ? SourceKind::ImageFolder : SourceKind::File;
  }
  return s;
}

}  // namespace pl::core
