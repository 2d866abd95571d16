#include "ui/training_tab.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QThread>
#include <QTime>
#include <QTimer>
#include <QVBoxLayout>

#include "core/log/log.h"
#include "core/train/trainer.h"
#include "ui/settings.h"
#include "ui/training_charts.h"
#include "ui/training_form.h"

namespace pl::ui {

using core::train::TrainPhase;

namespace {

QString duration_text(double seconds) {
  if (!(seconds > 0)) return QStringLiteral("—");
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) return QObject::tr("%1 h %2 min").arg(s / 3600).arg((s / 60) % 60);
  if (s >= 60) return QObject::tr("%1 min %2 s").arg(s / 60).arg(s % 60);
  return QObject::tr("%1 s").arg(s);
}

QString phase_text(TrainPhase p) { return QString::fromUtf8(core::train::phase_name(p)); }

}  // namespace

TrainingTab::TrainingTab(Settings& settings, QWidget* parent) : QWidget(parent), settings_(settings) {
  form_ = new TrainingForm(settings_, this);
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(form_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setMinimumWidth(360);

  charts_ = new TrainingCharts(this);
  progress_bar_ = new QProgressBar(this);
  progress_bar_->setRange(0, 1);
  progress_bar_->setValue(0);
  progress_bar_->setFormat(QStringLiteral("%p%"));
  status_ = new QLabel(tr("Idle. Check the data set summary, then press Start."), this);
  status_->setWordWrap(true);
  log_ = new QPlainTextEdit(this);
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);
  log_->setFont(QFont(QStringLiteral("monospace")));
  log_->setMinimumHeight(100);

  start_ = new QPushButton(tr("Start"), this);
  pause_ = new QPushButton(tr("Pause"), this);
  resume_ = new QPushButton(tr("Resume"), this);
  cancel_ = new QPushButton(tr("Cancel"), this);
  use_ = new QPushButton(tr("Use in Live tab"), this);
  start_->setToolTip(tr("Train a new model with these settings into the output folder"));
  resume_->setToolTip(tr("Continue a paused run, or a stopped one from its last.pt"));
  cancel_->setToolTip(tr("Stop after the current iteration; last.pt stays resumable"));
  use_->setToolTip(tr("Load the best checkpoint (else the last one) in the Live / Review tab"));
  auto* buttons = new QHBoxLayout;
  for (QPushButton* b : {start_, pause_, resume_, cancel_}) buttons->addWidget(b);
  buttons->addStretch(1);
  buttons->addWidget(use_);

  auto* right = new QWidget(this);
  auto* rv = new QVBoxLayout(right);
  rv->setContentsMargins(0, 0, 0, 0);
  auto* split = new QSplitter(Qt::Vertical, right);
  split->addWidget(charts_);
  split->addWidget(log_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 1);
  rv->addWidget(split, 1);
  rv->addWidget(progress_bar_);
  rv->addWidget(status_);
  rv->addLayout(buttons);

  auto* layout = new QHBoxLayout(this);
  layout->addWidget(scroll, 0);
  layout->addWidget(right, 1);

  connect(start_, &QPushButton::clicked, this, [this] { start(false); });
  connect(pause_, &QPushButton::clicked, this, &TrainingTab::pause);
  connect(resume_, &QPushButton::clicked, this, &TrainingTab::resume);
  connect(cancel_, &QPushButton::clicked, this, &TrainingTab::cancel);
  connect(use_, &QPushButton::clicked, this, [this] {
    const QString path = usable_checkpoint();
    if (!path.isEmpty()) Q_EMIT use_checkpoint(path);
  });
  connect(form_, &TrainingForm::summary_ready, this, [this] { update_buttons(); });
  update_buttons();
}

TrainingTab::~TrainingTab() {
  if (thread_) {
    trainer_->cancel();
    thread_->wait();
    delete thread_;
  }
}

bool TrainingTab::is_paused() const { return trainer_ && trainer_->is_paused(); }

QString TrainingTab::status_text() const { return status_->text(); }
QString TrainingTab::log_text() const { return log_->toPlainText(); }

QString TrainingTab::usable_checkpoint() const {
  const QDir dir(run_dir_.isEmpty() ? form_->output_folder() : run_dir_);
  for (const char* name : {"best.pt", "last.pt"}) {
    if (QFileInfo::exists(dir.filePath(name))) return dir.filePath(name);
  }
  return {};
}

void TrainingTab::log(const QString& line) {
  log_->appendPlainText(QTime::currentTime().toString("HH:mm:ss  ") + line);
}

bool TrainingTab::start(bool resume) {
  if (thread_) return false;
  core::train::TrainConfig config = form_->config();
  const QDir out(QString::fromStdString(config.out_dir));
  if (config.out_dir.empty()) {
    log(tr("Cannot start: choose an output folder."));
    status_->setText(tr("Choose an output folder for the run."));
    return false;
  }
  if (resume) {
    QFile json(out.filePath("config.json"));
    if (json.open(QIODevice::ReadOnly)) {
      try {
        config = core::train::TrainConfig::from_json(json.readAll().toStdString());
        config.out_dir = out.absolutePath().toStdString();
        form_->set_config(config);
      } catch (const std::exception& e) {
        log(tr("Cannot read %1: %2. Resuming with the settings shown.").arg(json.fileName(), e.what()));
        config = form_->config();
      }
    }
    config.resume = true;
  } else if (QFileInfo::exists(out.filePath("last.pt"))) {
    log(tr("Cannot start: %1 already holds a run (last.pt). Press Resume to continue it, or choose another "
           "output folder.").arg(out.absolutePath()));
    status_->setText(tr("The output folder already holds a run."));
    return false;
  }
  try {
    trainer_ = std::make_shared<core::train::Trainer>(config);
  } catch (const std::exception& e) {
    log(tr("Cannot start: %1").arg(e.what()));
    status_->setText(tr("Cannot start: %1").arg(e.what()));
    return false;
  }
  created_dir_ = !out.exists();
  if (!QDir().mkpath(out.absolutePath())) {
    log(tr("Cannot create the output folder %1.").arg(out.absolutePath()));
    trainer_.reset();
    return false;
  }
  settings_.set_last_folder("output", out.absolutePath());
  run_dir_ = out.absolutePath();
  log_every_ = std::max(1, config.log_every);
  charted_first_ = false;
  charts_->clear();
  progress_bar_->setRange(0, 1);
  progress_bar_->setValue(0);
  if (resume) {
    const int points = charts_->load_metrics(out.filePath("metrics.jsonl"));
    if (points > 0) log(tr("Charts: %1 points of the run so far (metrics.jsonl)").arg(points));
  } else {
    settings_.set_training_config(QString::fromStdString(config.to_json()));
    settings_.set_training_recipe(form_->recipe_choice());
  }
  progress_ = {};
  last_phase_ = TrainPhase::Loading;
  log(resume ? tr("Resuming %1 from last.pt").arg(run_dir_)
             : tr("Training %1 (%2 epochs, batch %3, lr %4) into %5")
                   .arg(QString::fromStdString(config.preset))
                   .arg(config.epochs)
                   .arg(config.batch)
                   .arg(config.lr)
                   .arg(run_dir_));
  status_->setText(tr("Loading the data set…"));

  auto trainer = trainer_;
  thread_ = QThread::create([this, trainer] {
    const auto on_progress = [this](const core::train::TrainProgress& p) {
      QMetaObject::invokeMethod(this, [this, p] { apply(p); }, Qt::QueuedConnection);
    };
    core::train::TrainResult r;
    try {
      r = trainer->run(on_progress);
    } catch (const std::exception& e) {  // run() reports failures itself; this is the last line of defence
      r.phase = TrainPhase::Failed;
      r.message = e.what();
    }
    QMetaObject::invokeMethod(this, [this, r] { finish(r); }, Qt::QueuedConnection);
  });
  thread_->setObjectName(QStringLiteral("trainer"));
  thread_->start();
  form_->set_editable(false);
  update_buttons();
  Q_EMIT running_changed(true);
  return true;
}

void TrainingTab::pause() {
  if (!trainer_ || !thread_) return;
  trainer_->pause();
  status_->setText(tr("Pausing after the current iteration…"));
  update_buttons();
}

void TrainingTab::resume() {
  if (thread_) {
    if (trainer_->is_paused()) {
      trainer_->resume();
      log(tr("Resumed"));
      update_buttons();
    }
    return;
  }
  start(true);
}

void TrainingTab::cancel() {
  if (!trainer_ || !thread_) return;
  trainer_->cancel();
  status_->setText(tr("Stopping after the current iteration; writing a resumable last.pt…"));
  update_buttons();
}

bool TrainingTab::stop_and_wait(int timeout_ms) {
  if (!thread_) return true;
  cancel();
  QEventLoop loop;
  QTimer timer;
  timer.setSingleShot(true);
  connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
  connect(this, &TrainingTab::run_finished, &loop, &QEventLoop::quit);
  timer.start(timeout_ms);
  if (thread_) loop.exec();
  return thread_ == nullptr;
}

void TrainingTab::apply(const core::train::TrainProgress& p) {
  const int64_t previous_iteration = progress_.iteration;
  progress_ = p;
  if (p.phase != last_phase_) {
    log(tr("Phase: %1").arg(phase_text(p.phase)));
    last_phase_ = p.phase;
  }
  if (!p.message.empty()) log(QString::fromStdString(p.message));

  if (p.total_iterations > 0) {
    const int scale = p.total_iterations > 1000000 ? 1000 : 1;  // QProgressBar is int
    progress_bar_->setRange(0, static_cast<int>(p.total_iterations / scale));
    progress_bar_->setValue(static_cast<int>(p.iteration / scale));
  }
  if (p.phase == TrainPhase::Training && p.iteration > previous_iteration) {
    // The trainer's losses are means over its log window. The run's first iteration gets a point of
    // its own: on a CPU the first log point can be minutes away (its loss is read back every step
    // there; on CUDA only at log points, so it shows as 0 until then and is not drawn).
    const bool log_point = p.iteration % log_every_ == 0 || p.iteration == p.total_iterations;
    const bool first = !charted_first_ && p.loss > 0;
    if (log_point || first) {
      charted_first_ = true;
      charts_->add_losses(p.iteration, p.loss_decode, p.loss_aux, p.loss);
      log(tr("epoch %1/%2  it %3/%4  loss %5 (decode %6, aux %7)  lr %8  %9 img/s")
              .arg(p.epoch)
              .arg(p.epochs)
              .arg(p.iteration)
              .arg(p.total_iterations)
              .arg(p.loss, 0, 'f', 4)
              .arg(p.loss_decode, 0, 'f', 4)
              .arg(p.loss_aux, 0, 'f', 4)
              .arg(p.lr, 0, 'g', 4)
              .arg(p.images_per_s, 0, 'f', 1));
    }
  }
  if (p.validation) {
    const auto& v = *p.validation;
    charts_->add_validation(v.epoch, v.polyp_dice, v.polyp_iou, v.mDice, v.mIoU);
    log(tr("validation epoch %1: polyp Dice %2, IoU %3 · mDice %4, mIoU %5 (%6 images)%7")
            .arg(v.epoch)
            .arg(v.polyp_dice, 0, 'f', 4)
            .arg(v.polyp_iou, 0, 'f', 4)
            .arg(v.mDice, 0, 'f', 4)
            .arg(v.mIoU, 0, 'f', 4)
            .arg(v.images)
            .arg(v.is_best ? tr("  — best so far, best.pt written") : QString()));
  }

  QString text;
  switch (p.phase) {
    case TrainPhase::Loading:
      text = tr("Loading the data set…");
      break;
    case TrainPhase::Paused:
      text = tr("Paused at epoch %1, iteration %2. Resume continues; Cancel leaves a resumable last.pt.")
                 .arg(p.epoch)
                 .arg(p.iteration);
      break;
    default:
      text = tr("%1 · epoch %2/%3 · iteration %4/%5 · %6 images/s · ETA %7")
                 .arg(phase_text(p.phase))
                 .arg(p.epoch)
                 .arg(p.epochs)
                 .arg(p.iteration)
                 .arg(p.total_iterations)
                 .arg(p.images_per_s, 0, 'f', 1)
                 .arg(duration_text(p.eta_s));
  }
  status_->setText(text);
  update_buttons();
  Q_EMIT progress_changed();
}

void TrainingTab::finish(const core::train::TrainResult& r) {
  if (thread_) {
    thread_->wait();
    delete thread_;
    thread_ = nullptr;
  }
  trainer_.reset();
  form_->set_editable(true);
  const QString message = QString::fromStdString(r.message);
  switch (r.phase) {
    case TrainPhase::Finished:
      status_->setText(tr("Finished after %1 iterations.%2")
                           .arg(r.iterations_done)
                           .arg(r.best ? tr(" Best polyp Dice %1 (epoch %2).")
                                             .arg(r.best->polyp_dice, 0, 'f', 4)
                                             .arg(r.best->epoch)
                                       : QString()));
      break;
    case TrainPhase::Cancelled:
      status_->setText(tr("Stopped at iteration %1. last.pt is resumable: press Resume to continue.")
                           .arg(r.iterations_done));
      break;
    default:
      status_->setText(tr("<span style='color:#e6463c'>Training failed: %1</span>").arg(message.toHtmlEscaped()));
      progress_bar_->setRange(0, 1);
      progress_bar_->setValue(0);
      break;
  }
  const QDir out(run_dir_);
  const bool holds_checkpoint = out.exists("last.pt") || out.exists("best.pt");
  if (r.phase == TrainPhase::Failed && created_dir_ && !holds_checkpoint && !run_dir_.isEmpty()) {
    // Nothing came of it: no empty run folder is left behind.
    QDir(run_dir_).removeRecursively();
    log(tr("Removed the run folder %1 (no checkpoint was written).").arg(run_dir_));
    run_dir_.clear();
  }
  if (r.phase == TrainPhase::Finished) {
    // The next Start trains into a new folder; this run stays usable ("Use in Live tab" keeps it).
    const QString next = TrainingForm::new_run_folder();
    form_->set_output_folder(next);
    log(tr("The next run goes to %1").arg(next));
  }
  log(tr("Run %1%2").arg(phase_text(r.phase), message.isEmpty() ? QString() : QStringLiteral(": ") + message));
  if (!r.best_checkpoint.empty()) log(tr("Best checkpoint: %1").arg(QString::fromStdString(r.best_checkpoint)));
  if (!r.last_checkpoint.empty()) log(tr("Last checkpoint: %1").arg(QString::fromStdString(r.last_checkpoint)));
  pl::log::get("ui")->info("training run ended: {} {}", core::train::phase_name(r.phase), r.message);
  update_buttons();
  Q_EMIT running_changed(false);
  Q_EMIT run_finished(static_cast<int>(r.phase));
}

void TrainingTab::update_buttons() {
  const bool running = thread_ != nullptr;
  const bool paused = running && trainer_ && trainer_->is_paused();
  const QString dir = form_->output_folder();
  const bool resumable = !running && !dir.isEmpty() && QFileInfo::exists(QDir(dir).filePath("last.pt"));
  start_->setEnabled(!running);
  pause_->setEnabled(running && !paused);
  resume_->setEnabled(paused || resumable);
  cancel_->setEnabled(running);
  use_->setEnabled(!usable_checkpoint().isEmpty());
}

}  // namespace pl::ui
