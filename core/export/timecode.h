#pragma once
// Time as people read it in reports and file names.
#include <string>

namespace pl::core::exporting {

// Seconds -> "HH:MM:SS.mmm" ("00:01:02.345"); negative or non-finite -> "".
std::string timecode(double seconds);

}  // namespace pl::core::exporting
