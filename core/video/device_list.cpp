#include "core/video/device_list.h"

#include <algorithm>

#include <gst/gst.h>

#include "core/log/log.h"
#include "core/video/gst_runtime.h"

namespace pl::core {
namespace {

std::string string_property(GstStructure* props, std::initializer_list<const char*> keys) {
  if (!props) return {};
  for (const char* k : keys) {
    if (const gchar* v = gst_structure_get_string(props, k)) return v;
  }
  return {};
}

double max_framerate(const GstStructure* s) {
  const GValue* v = gst_structure_get_value(s, "framerate");
  if (!v) return 0.0;
  auto frac = [](const GValue* f) {
    const int d = gst_value_get_fraction_denominator(f);
    return d > 0 ? double(gst_value_get_fraction_numerator(f)) / d : 0.0;
  };
  if (GST_VALUE_HOLDS_FRACTION(v)) return frac(v);
  double best = 0.0;
  if (GST_VALUE_HOLDS_LIST(v)) {
    for (guint i = 0; i < gst_value_list_get_size(v); ++i) {
      const GValue* e = gst_value_list_get_value(v, i);
      if (GST_VALUE_HOLDS_FRACTION(e)) best = std::max(best, frac(e));
    }
  } else if (GST_VALUE_HOLDS_FRACTION_RANGE(v)) {
    best = frac(gst_value_get_fraction_range_max(v));
  }
  return best;
}

}  // namespace

std::vector<VideoDevice> list_video_devices() {
  ensure_gstreamer();
  std::vector<VideoDevice> out;
  GstDeviceMonitor* monitor = gst_device_monitor_new();
  gst_device_monitor_add_filter(monitor, "Video/Source", nullptr);
  if (!gst_device_monitor_start(monitor)) {
    pl::log::get("video")->info("no device monitor providers could start; no capture devices listed");
    gst_object_unref(monitor);
    return out;
  }
  GList* devices = gst_device_monitor_get_devices(monitor);
  for (GList* l = devices; l; l = l->next) {
    GstDevice* dev = GST_DEVICE(l->data);
    VideoDevice d;
    gchar* name = gst_device_get_display_name(dev);
    d.name = name ? name : "";
    g_free(name);
    GstStructure* props = gst_device_get_properties(dev);
    d.path = string_property(props, {"api.v4l2.path", "device.path", "object.path"});
    d.api = string_property(props, {"device.api"});
    if (props) gst_structure_free(props);
    if (GstCaps* caps = gst_device_get_caps(dev)) {
      for (guint i = 0; i < gst_caps_get_size(caps); ++i) {
        const GstStructure* s = gst_caps_get_structure(caps, i);
        gchar* str = gst_structure_to_string(s);
        d.caps.emplace_back(str);
        g_free(str);
        VideoMode m;
        const std::string media = gst_structure_get_name(s);
        const gchar* fmt = gst_structure_get_string(s, "format");
        m.format = fmt ? fmt : (media == "image/jpeg" ? "MJPG" : media);
        if (!gst_structure_get_int(s, "width", &m.width) || !gst_structure_get_int(s, "height", &m.height)) continue;
        m.max_fps = max_framerate(s);
        auto same = [&](const VideoMode& o) { return o.format == m.format && o.width == m.width && o.height == m.height; };
        auto it = std::find_if(d.modes.begin(), d.modes.end(), same);
        if (it == d.modes.end()) d.modes.push_back(m);
        else it->max_fps = std::max(it->max_fps, m.max_fps);
      }
      gst_caps_unref(caps);
    }
    std::sort(d.modes.begin(), d.modes.end(), [](const VideoMode& a, const VideoMode& b) {
      return a.width * a.height != b.width * b.height ? a.width * a.height > b.width * b.height : a.max_fps > b.max_fps;
    });
    out.push_back(std::move(d));
  }
  g_list_free_full(devices, gst_object_unref);
  gst_device_monitor_stop(monitor);
  gst_object_unref(monitor);
  return out;
}

}  // namespace pl::core
