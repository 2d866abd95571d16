#pragma once
// The Training tab. This build shows where training will live; the trainer is wired in once the
// core training library is part of the build.
#include <QString>
#include <QWidget>

namespace pl::ui {

class Settings;

class TrainingTab : public QWidget {
  Q_OBJECT

 public:
  explicit TrainingTab(Settings& settings, QWidget* parent = nullptr);
  ~TrainingTab() override;

  bool is_running() const { return false; }
  bool stop_and_wait(int timeout_ms = 120000);

 Q_SIGNALS:
  void use_checkpoint(const QString& path);
  void running_changed(bool running);
};

}  // namespace pl::ui
