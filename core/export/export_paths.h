#pragma once
// Where exports go unless the user picks a folder, and the names of new recordings.
//
// Threading model: free functions, safe from any thread (QStandardPaths is thread-safe).
#include <string>

namespace pl::core::exporting {

// ~/Pictures/PolypLens (QStandardPaths::PicturesLocation; the home folder if there is none).
std::string default_snapshot_dir();
// ~/Videos/PolypLens (QStandardPaths::MoviesLocation; the home folder if there is none).
std::string default_recording_dir();

// "<dir>/<source stem>_<YYYYmmdd-HHMMSS>.mp4", with "_2", "_3", ... when taken. The folder is not
// created here (Recorder::start() does that and reports problems with the path).
std::string new_recording_path(const std::string& dir, const std::string& source);

}  // namespace pl::core::exporting
