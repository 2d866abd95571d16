#include "core/video/video_error.h"

#include <regex>

namespace pl::core {

const char* to_string(VideoErrorCategory c) {
  switch (c) {
    case VideoErrorCategory::InvalidInput: return "invalid-input";
    case VideoErrorCategory::NotFound: return "not-found";
    case VideoErrorCategory::PermissionDenied: return "permission-denied";
    case VideoErrorCategory::Busy: return "busy";
    case VideoErrorCategory::MissingPlugin: return "missing-plugin";
    case VideoErrorCategory::NoVideo: return "no-video";
    case VideoErrorCategory::DecodeError: return "decode-error";
    case VideoErrorCategory::Network: return "network";
    case VideoErrorCategory::DeviceLost: return "device-lost";
    case VideoErrorCategory::Stalled: return "stalled";
    case VideoErrorCategory::WriteError: return "write-error";
    case VideoErrorCategory::Internal: return "internal";
  }
  return "unknown";
}

std::string VideoError::to_string() const {
  return std::string("[") + pl::core::to_string(category) + "] " + message;
}

std::string redact_credentials(const std::string& text) {
  // scheme://user:pass@host -> scheme://***@host ; also password=..., passwd=..., pwd=... values.
  static const std::regex userinfo(R"(([A-Za-z][A-Za-z0-9+.\-]*://)[^/\s@]+@)");
  static const std::regex query(R"(((?:password|passwd|pwd|token|user-pw|user-id)=)[^&\s"']+)",
                                std::regex::icase);
  std::string out = std::regex_replace(text, userinfo, "$1***@");
  return std::regex_replace(out, query, "$1***");
}

}  // namespace pl::core
