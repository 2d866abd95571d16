#include "core/export/export_paths.h"

#include <ctime>
#include <filesystem>

#include <QDir>
#include <QStandardPaths>

#include "core/export/file_writer.h"

namespace pl::core::exporting {
namespace {

std::string app_subdir(QStandardPaths::StandardLocation where) {
  QString base = QStandardPaths::writableLocation(where);
  if (base.isEmpty()) base = QDir::homePath();
  return (base + "/PolypLens").toStdString();
}

}  // namespace

std::string default_snapshot_dir() { return app_subdir(QStandardPaths::PicturesLocation); }
std::string default_recording_dir() { return app_subdir(QStandardPaths::MoviesLocation); }

std::string new_recording_path(const std::string& dir, const std::string& source) {
  const std::string stem = unique_stem(dir, source_stem(source) + "_" + file_time(std::time(nullptr)), {".mp4"});
  return (std::filesystem::path(dir) / (stem + ".mp4")).string();
}

}  // namespace pl::core::exporting
