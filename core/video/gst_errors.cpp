#include "core/video/gst_errors.h"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace pl::core::gst {
namespace {

struct ThreadCause {
  std::string cause;
  std::chrono::steady_clock::time_point when;
};
thread_local ThreadCause t_cause;  // each streaming thread's own: no lock

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string what(const SourceSpec& spec) {
  switch (spec.kind) {
    case SourceKind::File: return "the file '" + spec.describe() + "'";
    case SourceKind::Uri: return "the stream '" + spec.describe() + "'";
    case SourceKind::Device: return "the capture device '" + spec.describe() + "'";
    case SourceKind::TestPattern: return "the " + spec.describe();
    case SourceKind::ImageFolder: return "the folder '" + spec.describe() + "'";
  }
  return "'" + spec.describe() + "'";
}

}  // namespace

std::string network_cause(const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Most specific first; HTTP/RTSP status codes by their words (a bare "401" can be part of a port).
  static const std::pair<const char*, const char*> causes[] = {
      {"connection refused", "connection refused"},
      {"name or service not known", "could not resolve host"},
      {"temporary failure in name resolution", "could not resolve host"},
      {"error resolving", "could not resolve host"},
      {"could not resolve", "could not resolve host"},
      {"no route to host", "no route to host"},
      {"network is unreachable", "network unreachable"},
      {"connection reset", "connection reset by the server"},
      {"unauthorized", "401 Unauthorized"},
      {"forbidden", "403 Forbidden"},
      {"not found (404)", "404 Not Found"},
      {"404 not found", "404 Not Found"},
      {"service unavailable", "503 Service Unavailable"},
      {"timed out", "timeout"},
      {"timeout", "timeout"},
  };
  for (const auto& [needle, cause] : causes) {
    if (t.find(needle) != std::string::npos) return cause;
  }
  return {};
}

void note_thread_network_cause(const std::string& cause) { t_cause = {cause, std::chrono::steady_clock::now()}; }

std::string take_thread_network_cause() {
  ThreadCause c = std::move(t_cause);
  t_cause = {};
  if (c.cause.empty() || std::chrono::steady_clock::now() - c.when > std::chrono::seconds(10)) return {};
  return c.cause;
}

VideoError no_video_error(const SourceSpec& spec, const std::vector<std::string>& streams_seen) {
  VideoError e;
  e.category = VideoErrorCategory::NoVideo;
  e.message = "Cannot play " + what(spec) + ": it contains no video stream" +
              (streams_seen.empty() ? std::string(".") : " (only " + join(streams_seen) + ").");
  return e;
}

VideoError classify(const GError* error, const std::string& debug, const ErrorContext& ctx) {
  const SourceSpec& spec = *ctx.spec;
  const bool network = spec.kind == SourceKind::Uri;
  const bool device = spec.kind == SourceKind::Device;
  VideoError e;
  e.detail = redact_credentials((error ? std::string(error->message) : std::string()) +
                                (debug.empty() ? "" : " | " + debug));
  const std::string gst_text = error ? redact_credentials(error->message) : "unknown error";
  // For a network source, the cause in words when something said it; GStreamer's sentence otherwise.
  const std::string reason = network && !ctx.cause.empty() ? ctx.cause + "." : gst_text;
  auto set = [&](VideoErrorCategory c, std::string msg, bool transient) {
    e.category = c;
    e.message = std::move(msg);
    e.transient = transient;
  };

  if (!ctx.missing_plugins.empty()) {
    set(VideoErrorCategory::MissingPlugin,
        "Cannot play " + what(spec) + ": no GStreamer plugin is installed for " + join(ctx.missing_plugins) +
            ". Install gstreamer1.0-libav and gstreamer1.0-plugins-good/-bad/-ugly.",
        false);
    return e;
  }
  if (!error) {
    set(VideoErrorCategory::Internal, "Video pipeline for " + what(spec) + " failed.", false);
    return e;
  }

  if (network && (ctx.cause == "401 Unauthorized" || ctx.cause == "403 Forbidden")) {
    set(VideoErrorCategory::PermissionDenied,
        "Cannot open " + what(spec) + ": access denied (" + ctx.cause + "); check the user name and password.", false);
    return e;
  }
  if (error->domain == GST_RESOURCE_ERROR) {
    switch (error->code) {
      case GST_RESOURCE_ERROR_NOT_FOUND:
        if (device && ctx.had_frames) {
          set(VideoErrorCategory::DeviceLost, "Lost " + what(spec) + ": it was unplugged or switched off.", true);
        } else if (network) {
          set(VideoErrorCategory::Network, "Cannot reach " + what(spec) + ": " + reason, true);
        } else {
          set(VideoErrorCategory::NotFound, "Cannot open " + what(spec) + ": it does not exist.", false);
        }
        return e;
      case GST_RESOURCE_ERROR_NOT_AUTHORIZED:
        set(VideoErrorCategory::PermissionDenied,
            "Cannot open " + what(spec) + ": access denied" + (network ? " (check the user name and password)." : "."),
            false);
        return e;
      case GST_RESOURCE_ERROR_BUSY:
        set(VideoErrorCategory::Busy, "Cannot open " + what(spec) + ": it is in use by another program.", true);
        return e;
      case GST_RESOURCE_ERROR_OPEN_READ:
      case GST_RESOURCE_ERROR_OPEN_READ_WRITE:
      case GST_RESOURCE_ERROR_READ:
      case GST_RESOURCE_ERROR_SEEK:
      case GST_RESOURCE_ERROR_SETTINGS:
      case GST_RESOURCE_ERROR_FAILED:
        if (network) {
          set(VideoErrorCategory::Network,
              (ctx.had_frames ? "Lost " : "Cannot connect to ") + what(spec) + ": " + reason, true);
        } else if (device) {
          if (ctx.had_frames) {
            set(VideoErrorCategory::DeviceLost, "Lost " + what(spec) + ": " + gst_text, true);
          } else {
            set(VideoErrorCategory::NotFound, "Cannot open " + what(spec) + " as a camera: " + gst_text, false);
          }
        } else if (error->code == GST_RESOURCE_ERROR_OPEN_READ) {
          set(VideoErrorCategory::PermissionDenied, "Cannot read " + what(spec) + ": " + gst_text, false);
        } else {
          set(VideoErrorCategory::DecodeError, "Cannot read " + what(spec) + ": " + gst_text, false);
        }
        return e;
      default:
        break;
    }
  }
  if (error->domain == GST_STREAM_ERROR) {
    switch (error->code) {
      case GST_STREAM_ERROR_TYPE_NOT_FOUND:
      case GST_STREAM_ERROR_WRONG_TYPE:
        set(VideoErrorCategory::NoVideo,
            "Cannot play " + what(spec) + ": it is not a video format PolypLens can read (the data is not recognised).",
            network);
        return e;
      case GST_STREAM_ERROR_CODEC_NOT_FOUND:
        set(VideoErrorCategory::MissingPlugin,
            "Cannot play " + what(spec) + ": no decoder is installed for its video. Install gstreamer1.0-libav and "
            "gstreamer1.0-plugins-good/-bad/-ugly.",
            false);
        return e;
      case GST_STREAM_ERROR_DECODE:
      case GST_STREAM_ERROR_DEMUX:
      case GST_STREAM_ERROR_FORMAT:
      case GST_STREAM_ERROR_FAILED:
        set(VideoErrorCategory::DecodeError, "Cannot decode " + what(spec) + ": " + gst_text, network || device);
        return e;
      default:
        break;
    }
  }
  if (error->domain == GST_CORE_ERROR && error->code == GST_CORE_ERROR_MISSING_PLUGIN) {
    set(VideoErrorCategory::MissingPlugin,
        "Cannot open " + what(spec) + ": a required GStreamer plugin is missing (" + gst_text + ").", false);
    return e;
  }
  if (error->domain == GST_CORE_ERROR && error->code == GST_CORE_ERROR_NEGOTIATION) {
    set(VideoErrorCategory::DecodeError,
        "Cannot play " + what(spec) + ": its video format could not be converted (" + gst_text + ").", false);
    return e;
  }
  if (network && !ctx.cause.empty()) {
    set(VideoErrorCategory::Network, (ctx.had_frames ? "Lost " : "Cannot connect to ") + what(spec) + ": " + reason, true);
    return e;
  }
  set(VideoErrorCategory::Internal, "Video error on " + what(spec) + ": " + gst_text, network || device);
  return e;
}

}  // namespace pl::core::gst
