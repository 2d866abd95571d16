#pragma once
// The Training tab: the form (data, preset, hyperparameters, device, output) on the left; live
// charts, progress (epoch, iteration, images/s, ETA) and the log on the right; Start / Pause /
// Resume / Cancel; "Use in Live tab" for the best or last checkpoint.
//
// With Processes = 1 the Trainer runs in this process; with N > 1 the tab starts
// `polyplens train --nproc N` (docs/distributed.md §6) and shows its N ranks as one run: progress,
// charts and ETA come from the run folder's metrics.jsonl (rank 0 alone writes it), the processes'
// output goes to the log, and Pause / Resume / Cancel are the launcher's signals.
//
// Threading model: the Trainer runs on a QThread owned by this tab (Trainer::run blocks). Its progress
// callback runs on that thread and only posts a copy of the report to the GUI thread
// (QMetaObject::invokeMethod, queued); every widget is touched on the GUI thread. pause(), resume()
// and cancel() are thread-safe atomics on the Trainer. The destructor cancels and joins, so no report
// can arrive after the tab is gone. A multi-process run is a QProcess driven from the GUI thread
// (its output and a timer that tails metrics.jsonl); the destructor cancels it and waits for it, so
// no rank outlives the tab.
#include <QString>
#include <QStringList>
#include <QWidget>
#include <memory>
#include <optional>

#include "core/train/progress.h"

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QProcess;
class QPushButton;
class QTemporaryDir;
class QThread;
class QTimer;

namespace pl::core::train {
class Trainer;
struct TrainConfig;
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

  bool is_running() const { return thread_ != nullptr || process_ != nullptr; }
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

  // The polyplens program a multi-process run starts: set_executable()'s path, else $POLYPLENS_EXE,
  // else this program when it is polyplens, else polyplens next to it.
  QString executable() const;
  void set_executable(const QString& path) { executable_ = path; }
  // Processes of the current (or last) run: 1 = in this process.
  int run_processes() const { return run_processes_; }

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
  // Multi-process runs (docs/distributed.md §6).
  bool start_processes(const core::train::TrainConfig& config, bool resume, const QString& program);
  void read_process_output(bool is_stderr);
  void process_line(const QString& line, bool is_stderr);
  void read_metrics();
  void apply_metrics_line(const QByteArray& line);
  void show_process_status();
  void process_ended(int exit_code, bool crashed, const QString& error);
  QString processes_text() const;

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

  // A multi-process run: the launcher, its output, and how far metrics.jsonl was read.
  QProcess* process_ = nullptr;
  QTimer* tail_timer_ = nullptr;
  std::unique_ptr<QTemporaryDir> recipe_dir_;  // the recipe file the launcher was given
  QString executable_;
  QString backend_;              // "Gloo" or "NCCL"
  int run_processes_ = 1;
  bool paused_ = false;
  bool cancel_requested_ = false;
  QByteArray out_buf_, err_buf_;  // partial lines
  QStringList error_lines_;       // the processes' last error lines
  qint64 metrics_offset_ = 0;
  quint64 metrics_inode_ = 0;     // a resumed rank 0 rewrites metrics.jsonl (a new file): read it again
  std::optional<core::train::ValidationResult> best_;
};

}  // namespace pl::ui
