#pragma once
// GStreamer process-wide setup: gst_init once, GStreamer's debug log routed into the "video" spdlog
// logger (credentials stripped), and a plugin check that says which package is missing.
//
// Threading model: every function here is thread-safe; ensure_gstreamer() may be called from any
// thread any number of times (the first call initialises).
#include <string>
#include <vector>

namespace pl::core {

// Initialises GStreamer (if nobody has) and installs the log routing. Cheap after the first call.
// GST_DEBUG in the environment still selects categories/levels; without it warnings and errors are
// forwarded.
void ensure_gstreamer();

// Names of the given elements that are not installed (empty when all are present).
std::vector<std::string> missing_elements(const std::vector<std::string>& factory_names);

// A hint naming the Debian package that usually provides an element ("gstreamer1.0-plugins-ugly").
std::string package_hint(const std::string& factory_name);

}  // namespace pl::core
