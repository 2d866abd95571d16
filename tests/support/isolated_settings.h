#pragma once
// Gives this test process its own QSettings files. CTest runs the GUI suites side by side (-j2), and
// with the shared default location one suite's init() cleared the settings another was reading.
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>

namespace pl::test {

inline void isolate_settings() {
  static QTemporaryDir dir;  // lives as long as the process
  for (auto format : {QSettings::NativeFormat, QSettings::IniFormat})
    for (auto scope : {QSettings::UserScope, QSettings::SystemScope}) QSettings::setPath(format, scope, dir.path());
  QStandardPaths::setTestModeEnabled(true);
}

}  // namespace pl::test
