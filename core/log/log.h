#pragma once
// Logging: one named spdlog logger per component ("app", "video", "model", "train", "ui").
// Level from POLYPLENS_LOG (trace/debug/info/warn/error/off; default info). Everything also goes to a
// rotating file in the user's data directory ($XDG_DATA_HOME/polyplens/polyplens.log, 5 MB x 3).
//
// Threading model: init() may be called from any thread, any number of times (first call wins);
// get() is thread-safe (spdlog's registry is locked) and the returned loggers are thread-safe.
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace pl::log {

// Sets up the sinks and the level. Safe to call repeatedly; later calls are no-ops.
void init();

// The logger for a component; created on first use with the shared sinks (calls init() if needed).
std::shared_ptr<spdlog::logger> get(const std::string& component);

// Where the log file goes (empty if the data directory could not be created).
std::string log_file_path();

// The user's data directory for PolypLens ($XDG_DATA_HOME/polyplens or ~/.local/share/polyplens).
std::string user_data_dir();

}  // namespace pl::log
