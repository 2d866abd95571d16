#include "core/video/gst_runtime.h"

#include <cstdlib>
#include <map>
#include <mutex>

#include <gst/gst.h>

#include "core/log/log.h"
#include "core/video/gst_errors.h"
#include "core/video/video_error.h"

namespace pl::core {
namespace {

spdlog::level::level_enum to_spdlog(GstDebugLevel level) {
  // GStreamer's ERROR/WARNING lines are usually internal detail (our own error reports say what went
  // wrong in words), so they land one level lower than their name suggests.
  switch (level) {
    case GST_LEVEL_ERROR: return spdlog::level::warn;
    case GST_LEVEL_WARNING: return spdlog::level::info;
    case GST_LEVEL_FIXME:
    case GST_LEVEL_INFO: return spdlog::level::debug;
    default: return spdlog::level::trace;
  }
}

void log_function(GstDebugCategory* category, GstDebugLevel level, const gchar* file, const gchar* function,
                  gint line, GObject* object, GstDebugMessage* message, gpointer user_data) {
  (void)file;
  (void)function;
  (void)line;
  auto* logger = static_cast<spdlog::logger*>(user_data);
  const gchar* text = nullptr;
  if (level <= GST_LEVEL_WARNING) {
    // Network sources often say why they failed only here ("Connection refused"), not in their error
    // message: keep it for the source's error report (gst_errors.h), whatever the logger's level.
    text = gst_debug_message_get(message);
    if (text) {
      const std::string cause = gst::network_cause(text);
      if (!cause.empty()) gst::note_thread_network_cause(cause);
    }
  }
  const spdlog::level::level_enum lvl = to_spdlog(level);
  if (!logger->should_log(lvl)) return;
  if (!text) text = gst_debug_message_get(message);
  std::string who;
  // GST_OBJECT_NAME without the object lock, like GStreamer's own log printer: the caller often holds
  // that lock already (gst_object_get_name here deadlocks in gst_pad_set_active).
  if (object && GST_IS_OBJECT(object) && GST_OBJECT_NAME(object)) who = std::string(" ") + GST_OBJECT_NAME(object);
  logger->log(lvl, "[gst {}{}] {}", gst_debug_category_get_name(category), who,
              redact_credentials(text ? text : ""));
}

}  // namespace

void ensure_gstreamer() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!gst_is_initialized()) gst_init(nullptr, nullptr);
    // The logger lives for the whole process (spdlog's registry keeps it), so a raw pointer is safe.
    static std::shared_ptr<spdlog::logger> logger = pl::log::get("video");
    gst_debug_remove_log_function(gst_debug_log_default);
    gst_debug_add_log_function(log_function, logger.get(), nullptr);
    const char* env = std::getenv("GST_DEBUG");
    if (!env || !*env) gst_debug_set_default_threshold(GST_LEVEL_WARNING);
    logger->debug("GStreamer {} initialised", gst_version_string());
  });
}

std::vector<std::string> missing_elements(const std::vector<std::string>& factory_names) {
  ensure_gstreamer();
  std::vector<std::string> missing;
  for (const auto& name : factory_names) {
    GstElementFactory* f = gst_element_factory_find(name.c_str());
    if (!f) {
      missing.push_back(name);
    } else {
      gst_object_unref(f);
    }
  }
  return missing;
}

std::string package_hint(const std::string& factory_name) {
  static const std::map<std::string, std::string> packages = {
      {"x264enc", "gstreamer1.0-plugins-ugly"}, {"avdec_h264", "gstreamer1.0-libav"},
      {"mp4mux", "gstreamer1.0-plugins-good"},  {"qtdemux", "gstreamer1.0-plugins-good"},
      {"rtspsrc", "gstreamer1.0-plugins-good"}, {"v4l2src", "gstreamer1.0-plugins-good"},
      {"souphttpsrc", "gstreamer1.0-plugins-good"}, {"pngenc", "gstreamer1.0-plugins-good"},
  };
  auto it = packages.find(factory_name);
  return it != packages.end() ? it->second : "gstreamer1.0-plugins-base/-good/-bad/-ugly or gstreamer1.0-libav";
}

}  // namespace pl::core
