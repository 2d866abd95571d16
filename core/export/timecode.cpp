#include "core/export/timecode.h"

#include <cmath>
#include <cstdio>

namespace pl::core::exporting {

std::string timecode(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "";
  const long long ms = std::llround(seconds * 1000.0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, (ms / 60000) % 60, (ms / 1000) % 60,
                ms % 1000);
  return buf;
}

}  // namespace pl::core::exporting
