#pragma once
// The Training tab: the form (data, preset, hyperparameters, device, output) on the left; live
// charts, progress (epoch, iteration, images/s, ETA) and the log on the right; Start / Pause /
// Resume / Cancel; "Use in Live tab" for the best or last checkpoint.
//
// Threading model: the Trainer runs on a QThread owned by this tab (Trainer::run blocks). Its progress
// callback runs on that thread and only posts a copy of the report to the GUI thread
// (QMetaObject::invokeMethod, queued); every widget is touched on the GUI thread. pause(), resume()
// and cancel() are thread-safe atomics on the Trainer. The destructor cancels and joins, so no report
// can arrive after the tab is gone.
#include <QString>
#include <QWidget>
#include <memory>

#include "core/train/progress.h"

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QThread;

namespace pl::core::train {
class Trainer;
}

namespace pl::ui {

class Settings;
class TrainingCharts;
class TrainingForm;

class TrainingTab : public QWidget {
  Q_OBJECT

 public:
  explicit TrainingTab(Settings& settings, QWidget* parent = nullptr);
  ~TrainingTab() override;

  bool is_running() const { return thread_ != nullptr; }
  bool is_paused() const;
  // Starts a run with the form's settings; with `resume`, continues the output folder's last.pt
  // (and takes its config.json). Returns false, with the reason in the log, when it cannot start.
  bool start(bool resume = false);
  void pause();
  void resume();  // a paused run continues; a stopped one restarts from last.pt
  void cancel();  // stops after the current iteration, leaving a resumable last.pt
  // Cancels a running training and waits for it (the GUI keeps repainting meanwhile). Returns false if
  // it did not stop within `timeout_ms`.
  bool stop_and_wait(int timeout_ms = 120000);

  TrainingForm* form() const { return form_; }
  TrainingCharts* charts() const { return charts_; }
  QString status_text() const;
  QString log_text() const;
  // The checkpoint "Use in Live tab" would open: best.pt, else last.pt, of the latest run; "" if none.
  QString usable_checkpoint() const;
  const core::train::TrainProgress& last_progress() const { return progress_; }

 Q_SIGNALS:
  void use_checkpoint(const QString& path);
  void running_changed(bool running);
  void progress_changed();  // a report was applied (tests wait on it)
  void run_finished(int phase);  // a core::train::TrainPhase: Finished, Cancelled or Failed

 private:
  void apply(const core::train::TrainProgress& p);
  void finish(const core::train::TrainResult& r);
  void log(const QString& line);
  void update_buttons();

  Settings& settings_;
  TrainingForm* form_ = nullptr;
  TrainingCharts* charts_ = nullptr;
  QProgressBar* progress_bar_ = nullptr;
  QLabel* status_ = nullptr;
  QPlainTextEdit* log_ = nullptr;
  QPushButton *start_ = nullptr, *pause_ = nullptr, *resume_ = nullptr, *cancel_ = nullptr, *use_ = nullptr;

  std::shared_ptr<core::train::Trainer> trainer_;  // shared with the worker thread's lambda
  QThread* thread_ = nullptr;
  core::train::TrainProgress progress_;
  core::train::TrainPhase last_phase_ = core::train::TrainPhase::Loading;
  QString run_dir_;
  int log_every_ = 10;
  bool charted_first_ = false;  // the run's first iteration has its chart point
  bool created_dir_ = false;    // start() created the output folder (removed again if nothing came of it)
};

}  // namespace pl::ui
