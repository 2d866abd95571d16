#include "ui/training_tab.h"

#include <signal.h>
#include <sys/stat.h>

#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QRegularExpression>
#include <QSplitter>
#include <QTemporaryDir>
#include <QThread>
#include <QTime>
#include <QTimer>
#include <QVBoxLayout>

#include "core/base/json.h"
#include "core/log/log.h"
#include "core/train/launcher.h"
#include "core/train/trainer.h"
#include "model/device.h"
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

// The settings a recipe file may not carry (core/train/recipes.h): they belong to the run and go on
// the command line.
constexpr const char* kRunKeys[] = {"data_root", "extra_data_roots", "out_dir", "resume", "recipe"};

quint64 inode_of(const QString& path) {
  struct stat st {};
  return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? static_cast<quint64>(st.st_ino) : 0;
}

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
  tail_timer_ = new QTimer(this);
  tail_timer_->setInterval(250);
  connect(tail_timer_, &QTimer::timeout, this, &TrainingTab::read_metrics);
  update_buttons();
}

TrainingTab::~TrainingTab() {
  if (thread_) {
    trainer_->cancel();
    thread_->wait();
    delete thread_;
  }
  if (process_) {
    // Cancel (the ranks write a resumable last.pt) and wait; a launcher that does not stop is killed,
    // and its ranks end with it (they are started with a parent-death signal, docs/distributed.md §4).
    process_->disconnect(this);
    const auto pid = static_cast<pid_t>(process_->processId());
    if (pid > 0 && !cancel_requested_) {
      ::kill(pid, SIGTERM);
      if (paused_) ::kill(pid, SIGUSR2);
    }
    if (!process_->waitForFinished(120000)) {
      process_->kill();
      process_->waitForFinished(10000);
    }
    delete process_;
    process_ = nullptr;
  }
}

bool TrainingTab::is_paused() const { return (trainer_ && trainer_->is_paused()) || (process_ && paused_); }

QString TrainingTab::executable() const {
  if (!executable_.isEmpty()) return executable_;
  if (const QString env = qEnvironmentVariable("POLYPLENS_EXE"); !env.isEmpty()) return env;
  const QString self = QCoreApplication::applicationFilePath();
  if (QFileInfo(self).fileName() == QLatin1String("polyplens")) return self;
  return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("polyplens"));
}

QString TrainingTab::processes_text() const {
  return tr("%1 processes (%2)").arg(run_processes_).arg(backend_);
}

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
  if (is_running()) return false;
  core::train::TrainConfig config = form_->config();
  const QDir out(QString::fromStdString(config.out_dir));
  if (config.out_dir.empty()) {
    log(tr("Cannot start: choose an output folder."));
    status_->setText(tr("Choose an output folder for the run."));
    return false;
  }
  const auto refuse = [this](const QString& why) {
    log(tr("Cannot start: %1").arg(why));
    status_->setText(tr("Cannot start: %1").arg(why));
    return false;
  };
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
  const int nproc = form_->processes();
  QString program;
  if (nproc > 1) {
    // The launcher checks all of this too, but after the window has promised a run.
    try {
      config.validate();
    } catch (const std::exception& e) {
      return refuse(QString::fromStdString(e.what()));
    }
    if (config.batch % nproc != 0)
      return refuse(tr("batch %1 is the global batch and must split into %2 equal shares, one per process")
                        .arg(config.batch)
                        .arg(nproc));
    program = executable();
    if (!QFileInfo(program).isFile() || !QFileInfo(program).isExecutable())
      return refuse(tr("the polyplens program that runs the %1 processes was not found at %2 (set POLYPLENS_EXE "
                       "to its path)")
                        .arg(nproc)
                        .arg(program));
  } else {
    try {
      trainer_ = std::make_shared<core::train::Trainer>(config);
    } catch (const std::exception& e) {
      return refuse(QString::fromStdString(e.what()));
    }
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
  settings_.set_training_processes(nproc);
  progress_ = {};
  last_phase_ = TrainPhase::Loading;
  run_processes_ = nproc;
  log(resume ? tr("Resuming %1 from last.pt").arg(run_dir_)
             : tr("Training %1 (%2 epochs, batch %3, lr %4) into %5")
                   .arg(QString::fromStdString(config.preset))
                   .arg(config.epochs)
                   .arg(config.batch)
                   .arg(config.lr)
                   .arg(run_dir_));
  status_->setText(tr("Loading the data set…"));
  if (nproc > 1) return start_processes(config, resume, program);

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
  if (process_) {
    // The ranks take SIGUSR1 once they train (before, it would end them): pause waits for the first
    // iteration in metrics.jsonl.
    if (paused_ || cancel_requested_ || progress_.phase != TrainPhase::Training) return;
    ::kill(static_cast<pid_t>(process_->processId()), SIGUSR1);  // the launcher passes it on to every rank
    paused_ = true;
    show_process_status();
    update_buttons();
    return;
  }
  if (!trainer_ || !thread_) return;
  trainer_->pause();
  status_->setText(tr("Pausing after the current iteration…"));
  update_buttons();
}

void TrainingTab::resume() {
  if (process_) {
    if (paused_) {
      ::kill(static_cast<pid_t>(process_->processId()), SIGUSR2);
      paused_ = false;
      log(tr("Resumed"));
      show_process_status();
      update_buttons();
    }
    return;
  }
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
  if (process_) {
    if (cancel_requested_) return;  // a second signal would make the ranks exit without a checkpoint
    const auto pid = static_cast<pid_t>(process_->processId());
    ::kill(pid, SIGTERM);  // the launcher passes it on: every rank stops and rank 0 writes last.pt
    if (paused_) ::kill(pid, SIGUSR2);
    cancel_requested_ = true;
    paused_ = false;
    status_->setText(tr("Stopping %1 after the current iteration; writing a resumable last.pt…").arg(processes_text()));
    update_buttons();
    return;
  }
  if (!trainer_ || !thread_) return;
  trainer_->cancel();
  status_->setText(tr("Stopping after the current iteration; writing a resumable last.pt…"));
  update_buttons();
}

bool TrainingTab::stop_and_wait(int timeout_ms) {
  if (!is_running()) return true;
  cancel();
  QEventLoop loop;
  QTimer timer;
  timer.setSingleShot(true);
  connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
  connect(this, &TrainingTab::run_finished, &loop, &QEventLoop::quit);
  timer.start(timeout_ms);
  if (is_running()) loop.exec();
  return !is_running();
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
      status_->setText(QDir(run_dir_).exists("last.pt")
                           ? tr("Stopped at iteration %1. last.pt is resumable: press Resume to continue.")
                                 .arg(r.iterations_done)
                           : tr("Stopped before the first checkpoint."));
      break;
    default:
      status_->setText(tr("<span style='color:#e6463c'>Training failed: %1</span>%2")
                           .arg(message.toHtmlEscaped(),
                                QDir(run_dir_).exists("last.pt") ? tr(" last.pt is intact: press Resume to continue.")
                                                                  : QString()));
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
  const bool running = is_running();
  const bool paused = running && is_paused();
  const QString dir = form_->output_folder();
  const bool resumable = !running && !dir.isEmpty() && QFileInfo::exists(QDir(dir).filePath("last.pt"));
  start_->setEnabled(!running);
  pause_->setEnabled(running && !paused && !cancel_requested_ &&
                     (!process_ || progress_.phase == TrainPhase::Training));
  resume_->setEnabled(paused || resumable);
  cancel_->setEnabled(running && !cancel_requested_);
  use_->setEnabled(!usable_checkpoint().isEmpty());
}

// --- Multi-process runs (docs/distributed.md §6) ----------------------------------------------------

bool TrainingTab::start_processes(const core::train::TrainConfig& config, bool resume, const QString& program) {
  backend_ = QStringLiteral("Gloo");
  if (core::train::distributed_backends().find("nccl") != std::string::npos) {
    try {
      if (pl::model::select_device(config.device).is_cuda()) backend_ = QStringLiteral("NCCL");
    } catch (const std::exception&) {
      // no CUDA device: the ranks train on the CPU over Gloo
    }
  }
  QStringList args{QStringLiteral("train")};
  if (resume) {
    args << QStringLiteral("--resume");  // the ranks take the run's config.json
  } else {
    // The form's settings as a recipe file (core/train/recipes.h: config.json keys); named after the
    // recipe, so the run's config.json records the same recipe as a run in this process would.
    recipe_dir_ = std::make_unique<QTemporaryDir>();
    auto json = pl::json::Json::parse(config.to_json());
    for (const char* key : kRunKeys) json.erase(key);
    QString name = QString::fromStdString(config.recipe);
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
    if (name.isEmpty() || name.startsWith('.')) name = QStringLiteral("form");
    QFile recipe(QDir(recipe_dir_->path()).filePath(name + QStringLiteral(".json")));
    const QByteArray text = QByteArray::fromStdString(pl::json::dump(json));
    if (!recipe_dir_->isValid() || !recipe.open(QIODevice::WriteOnly) || recipe.write(text) != text.size()) {
      log(tr("Cannot start: cannot write the run's settings to %1").arg(recipe.fileName()));
      status_->setText(tr("Cannot start: cannot write the run's settings to a temporary file."));
      recipe_dir_.reset();
      core::train::TrainResult r;
      r.phase = TrainPhase::Failed;
      r.message = "cannot write the recipe file";
      finish(r);
      return false;
    }
    recipe.close();
    args << QStringLiteral("--recipe") << recipe.fileName();
    args << QStringLiteral("--data") << QString::fromStdString(config.data_root);
    for (const auto& extra : config.extra_data_roots) args << QStringLiteral("--data") << QString::fromStdString(extra);
    // --ratio has a default on the command line that would win over the recipe's.
    args << QStringLiteral("--ratio")
         << QStringLiteral("%1,%2").arg(config.ratio_min, 0, 'g', 17).arg(config.ratio_max, 0, 'g', 17);
  }
  args << QStringLiteral("--out") << run_dir_ << QStringLiteral("--nproc") << QString::number(run_processes_);

  paused_ = false;
  cancel_requested_ = false;
  out_buf_.clear();
  err_buf_.clear();
  error_lines_.clear();
  best_.reset();
  // What is charted already (a resumed run's history) is not read again.
  const QString metrics = QDir(run_dir_).filePath(QStringLiteral("metrics.jsonl"));
  metrics_offset_ = resume ? QFileInfo(metrics).size() : 0;
  metrics_inode_ = resume ? inode_of(metrics) : 0;

  process_ = new QProcess(this);
  process_->setProgram(program);
  process_->setArguments(args);
  connect(process_, &QProcess::readyReadStandardOutput, this, [this] { read_process_output(false); });
  connect(process_, &QProcess::readyReadStandardError, this, [this] { read_process_output(true); });
  connect(process_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
    process_ended(code, status == QProcess::CrashExit, {});
  });
  connect(process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
    if (e == QProcess::FailedToStart) process_ended(-1, false, process_->errorString());
  });
  log(tr("Starting %1: %2 %3").arg(processes_text(), program, args.join(' ')));
  status_->setText(tr("Starting %1…").arg(processes_text()));
  form_->set_editable(false);
  process_->start();
  if (!process_) return false;  // it failed to start and was reported
  tail_timer_->start();
  update_buttons();
  Q_EMIT running_changed(true);
  return true;
}

void TrainingTab::read_process_output(bool is_stderr) {
  if (!process_) return;
  QByteArray& buf = is_stderr ? err_buf_ : out_buf_;
  buf += is_stderr ? process_->readAllStandardError() : process_->readAllStandardOutput();
  for (qsizetype nl; (nl = buf.indexOf('\n')) >= 0;) {
    const QString line = QString::fromUtf8(buf.left(nl)).trimmed();
    buf.remove(0, nl + 1);
    if (!line.isEmpty()) process_line(line, is_stderr);
  }
}

void TrainingTab::process_line(const QString& line, bool is_stderr) {
  log(line);
  if (is_stderr) {
    // The launcher's and the ranks' errors ("polyplens train: ...", "polyplens: ..."), log lines at
    // error level, and anything else on stderr that is not an informational log line.
    static const QRegularExpression info(QStringLiteral("^\\[[^]]*\\] \\[[^]]*\\] \\[(info|debug|trace|warning)\\]"));
    if (!info.match(line).hasMatch()) {
      error_lines_ << line;
      while (error_lines_.size() > 100) error_lines_.removeFirst();
    }
    return;
  }
  // Rank 0's iteration lines carry what metrics.jsonl does not: the length of the run.
  static const QRegularExpression iter(QStringLiteral("^epoch (\\d+)/(\\d+)\\s+iter (\\d+)/(\\d+)"));
  if (const auto m = iter.match(line); m.hasMatch()) {
    progress_.epochs = m.captured(2).toInt();
    progress_.total_iterations = m.captured(4).toLongLong();
  }
}

void TrainingTab::read_metrics() {
  if (run_dir_.isEmpty()) return;
  const QString path = QDir(run_dir_).filePath(QStringLiteral("metrics.jsonl"));
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return;
  const quint64 inode = inode_of(path);
  if (inode != metrics_inode_ || f.size() < metrics_offset_) {
    // A new file (rank 0 rewrites it when it resumes): chart it from the start.
    if (metrics_offset_ > 0) {
      charts_->clear();
      best_.reset();
    }
    metrics_inode_ = inode;
    metrics_offset_ = 0;
  }
  if (f.size() == metrics_offset_ || !f.seek(metrics_offset_)) return;
  const QByteArray data = f.readAll();
  const qsizetype end = data.lastIndexOf('\n');
  if (end < 0) return;  // a line still being written
  metrics_offset_ += end + 1;
  for (const QByteArray& line : data.left(end).split('\n')) apply_metrics_line(line);
  show_process_status();
  update_buttons();
  Q_EMIT progress_changed();
}

void TrainingTab::apply_metrics_line(const QByteArray& line) {
  const QJsonObject o = QJsonDocument::fromJson(line).object();
  const QString type = o.value("type").toString();
  if (type == "train" && o.value("loss").isDouble()) {
    progress_.phase = TrainPhase::Training;
    progress_.epoch = o.value("epoch").toInt();
    progress_.iteration = o.value("iteration").toInteger();
    progress_.loss = o.value("loss").toDouble();
    progress_.loss_decode = o.value("loss_decode").toDouble();
    progress_.loss_aux = o.value("loss_aux").toDouble();
    progress_.lr = o.value("lr").toDouble();
    progress_.images_per_s = o.value("images_per_s").toDouble();
    progress_.eta_s = o.value("eta_s").toDouble();
    progress_.validation.reset();
    charts_->add_losses(progress_.iteration, progress_.loss_decode, progress_.loss_aux, progress_.loss);
  } else if (type == "val" && o.value("polyp_dice").isDouble()) {
    core::train::ValidationResult v;
    v.epoch = o.value("epoch").toInt();
    v.iteration = o.value("iteration").toInteger();
    v.polyp_dice = o.value("polyp_dice").toDouble();
    v.polyp_iou = o.value("polyp_iou").toDouble();
    v.mDice = o.value("mDice").toDouble();
    v.mIoU = o.value("mIoU").toDouble();
    v.aAcc = o.value("aAcc").toDouble();
    v.per_image_dice = o.value("per_image_dice").toDouble();
    v.per_image_iou = o.value("per_image_iou").toDouble();
    v.images = o.value("images").toInt();
    v.seconds = o.value("seconds").toDouble();
    v.is_best = o.value("is_best").toBool();
    if (v.is_best) best_ = v;
    progress_.validation = v;
    charts_->add_validation(v.epoch, v.polyp_dice, v.polyp_iou, v.mDice, v.mIoU);
  }
}

void TrainingTab::show_process_status() {
  const auto& p = progress_;
  if (p.total_iterations > 0) {
    const int scale = p.total_iterations > 1000000 ? 1000 : 1;  // QProgressBar is int
    progress_bar_->setRange(0, static_cast<int>(p.total_iterations / scale));
    progress_bar_->setValue(static_cast<int>(p.iteration / scale));
  }
  if (cancel_requested_) return;  // "Stopping…" stays
  if (paused_) {
    status_->setText(tr("Paused %1 at iteration %2. Resume continues; Cancel leaves a resumable last.pt.")
                         .arg(processes_text())
                         .arg(p.iteration));
  } else if (p.phase == TrainPhase::Loading) {
    status_->setText(tr("%1: loading the data set…").arg(processes_text()));
  } else {
    status_->setText(tr("%1 · %2 · epoch %3/%4 · iteration %5/%6 · %7 images/s · ETA %8")
                         .arg(phase_text(p.phase), processes_text())
                         .arg(p.epoch)
                         .arg(p.epochs)
                         .arg(p.iteration)
                         .arg(p.total_iterations)
                         .arg(p.images_per_s, 0, 'f', 1)
                         .arg(duration_text(p.eta_s)));
  }
}

void TrainingTab::process_ended(int exit_code, bool crashed, const QString& error) {
  if (!process_) return;
  tail_timer_->stop();
  if (error.isEmpty()) {
    read_process_output(false);
    read_process_output(true);
    for (QByteArray* rest : {&out_buf_, &err_buf_}) {
      if (!rest->trimmed().isEmpty()) process_line(QString::fromUtf8(rest->trimmed()), rest == &err_buf_);
      rest->clear();
    }
  }
  read_metrics();
  process_->disconnect(this);
  process_->deleteLater();
  process_ = nullptr;
  recipe_dir_.reset();
  paused_ = false;
  const bool cancelled = cancel_requested_;
  cancel_requested_ = false;

  core::train::TrainResult r;
  r.iterations_done = progress_.iteration;
  r.best = best_;
  if (!error.isEmpty()) {
    r.phase = TrainPhase::Failed;
    r.message = tr("the processes could not be started: %1").arg(error).toStdString();
  } else if (!crashed && exit_code == 0) {
    r.phase = TrainPhase::Finished;
  } else if ((!crashed && exit_code == 130) || cancelled) {
    // Every rank stopped with a resumable last.pt (130); a rank stopped while it was still loading
    // ends without one, by the signal itself.
    r.phase = TrainPhase::Cancelled;
  } else {
    r.phase = TrainPhase::Failed;
    QString why = crashed ? tr("the launcher crashed") : tr("the launcher exited with code %1").arg(exit_code);
    // The first error (what went wrong) and the last line (the launcher's summary: which rank, how).
    QStringList said;
    for (const QString& l : std::as_const(error_lines_)) {
      if (l.contains(QLatin1String("error"), Qt::CaseInsensitive)) {
        said << l;
        break;
      }
    }
    if (!error_lines_.isEmpty() && !said.contains(error_lines_.last())) said << error_lines_.last();
    if (!said.isEmpty()) why += QStringLiteral(": ") + said.join(QStringLiteral(" · "));
    r.message = why.toStdString();
  }
  const QDir out(run_dir_);
  if (out.exists("best.pt")) r.best_checkpoint = out.filePath("best.pt").toStdString();
  if (out.exists("last.pt")) r.last_checkpoint = out.filePath("last.pt").toStdString();
  finish(r);
}

}  // namespace pl::ui
