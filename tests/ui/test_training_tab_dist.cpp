// The Training tab with Processes = 2 (docs/distributed.md §6): the tab starts the real
// `polyplens train --nproc 2` (Gloo, CPU) on tiny synthetic data and shows it as one run — charts,
// progress and status from rank 0's metrics.jsonl, the processes' output in the log; pause, cancel
// and resume through the launcher's signals; a rank that dies fails the run and leaves it resumable;
// a missing program is refused before any run folder exists.
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/train/progress.h"
#include "core/train/train_config.h"
#include "support/isolated_settings.h"
#include "ui/settings.h"
#include "ui/training_charts.h"
#include "ui/training_form.h"
#include "ui/training_tab.h"
#include "support/qt_wait.h"
#include "support/training_tab_fixtures.h"

using namespace pl::ui;
using pl::core::train::TrainPhase;

using pl::test::wait_until;

namespace {

// ann-r18-live at 64x64, global batch 2 (1 image per process), a metrics line every iteration.
pl::core::train::TrainConfig quick_run(pl::core::train::TrainConfig cfg, const QString& data, const QString& out,
                                       int epochs) {
  cfg = pl::test::quick_tab_run(cfg, data, out, epochs, 1);
  cfg.log_every = 1;
  cfg.amp = "off";
  return cfg;
}

QStringList lines_of(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
}

// The pids of the ranks training into `out` (their command line names it, their environment says
// RANK=`rank`); rank -1: any process whose command line names `out`.
QList<qint64> ranks_of(const QString& out, int rank = -1) {
  QList<qint64> pids;
  for (const QString& entry : QDir("/proc").entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
    bool numeric = false;
    const qint64 pid = entry.toLongLong(&numeric);
    if (!numeric) continue;
    QFile cmd("/proc/" + entry + "/cmdline");
    if (!cmd.open(QIODevice::ReadOnly) || !cmd.readAll().contains(out.toUtf8())) continue;
    if (rank >= 0) {
      QFile env("/proc/" + entry + "/environ");
      if (!env.open(QIODevice::ReadOnly) || !env.readAll().split('\0').contains("RANK=" + QByteArray::number(rank)))
        continue;
    }
    pids << pid;
  }
  return pids;
}

QPushButton* button(TrainingTab& tab, const QString& text) {
  for (QPushButton* b : tab.findChildren<QPushButton*>()) {
    if (b->text() == text) return b;
  }
  return nullptr;
}

}  // namespace

class TestTrainingTabDist : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    pl::test::isolate_settings();
    // tests/CMakeLists.txt registers this suite only in builds with Gloo: the form must agree.
    QVERIFY2(TrainingForm::distributed_available(), "this build has Gloo but the Training tab says it cannot run ranks");
  }
  void init() { QSettings("PolypLens", "PolypLens").clear(); }

  // The field: 1 by default, the global batch explained for N > 1 (and a batch that does not split
  // named), remembered with the other settings when a run starts.
  void processes_field() {
    Settings settings;
    TrainingForm form(settings);
    auto* spin = form.findChild<QSpinBox*>("processes");
    auto* note = form.findChild<QLabel*>("processes_note");
    QVERIFY(spin && note);
    QVERIFY(spin->isEnabled());
    QCOMPARE(form.processes(), 1);
    QVERIFY(!note->isVisibleTo(&form));
    auto cfg = form.config();
    cfg.batch = 8;
    form.set_config(cfg);
    spin->setValue(4);
    QCOMPARE(form.processes(), 4);
    QVERIFY(note->isVisibleTo(&form));
    QVERIFY2(note->text().contains("Global batch 8 = 4 processes × 2"), qPrintable(note->text()));
    QVERIFY(note->text().contains("BatchNorm"));
    spin->setValue(3);
    QVERIFY2(note->text().contains("must split into 3"), qPrintable(note->text()));

    // A batch that does not split is refused at Start, before a folder is made.
    QTemporaryDir tmp;
    TrainingTab tab(settings);
    tab.set_executable(POLYPLENS_EXE);
    const QString out = QDir(tmp.path()).filePath("run");
    cfg = quick_run(tab.form()->config(), tmp.path(), out, 1);
    cfg.batch = 3;
    tab.form()->set_config(cfg);
    tab.form()->set_processes(2);
    QVERIFY(!tab.start());
    QVERIFY2(tab.status_text().contains("must split into 2"), qPrintable(tab.status_text()));
    QVERIFY(!QFileInfo::exists(out));
  }

  // Two processes, one epoch of 3 iterations and a validation: one run in the tab.
  void two_processes_train_as_one_run() {
    QTemporaryDir tmp;
    const QString data = QDir(tmp.path()).filePath("data"), out = QDir(tmp.path()).filePath("run");
    pl::test::make_disc_dataset(data, 8);
    Settings settings;
    TrainingTab tab(settings);
    tab.set_executable(POLYPLENS_EXE);
    tab.form()->set_config(quick_run(tab.form()->config(), data, out, 1));
    tab.form()->set_processes(2);
    const std::string recipe = tab.form()->config().recipe;

    QStringList statuses;
    connect(&tab, &TrainingTab::progress_changed, &tab, [&] { statuses << tab.status_text(); });
    QSignalSpy finished(&tab, &TrainingTab::run_finished);
    QElapsedTimer clock;
    clock.start();
    QVERIFY(tab.start());
    QVERIFY(tab.is_running());
    QCOMPARE(tab.run_processes(), 2);
    QVERIFY2(finished.wait(60000), qPrintable(tab.log_text()));
    qInfo("2-process run: %lld ms", static_cast<long long>(clock.elapsed()));
    QCOMPARE(finished.takeFirst().at(0).toInt(), static_cast<int>(TrainPhase::Finished));
    QVERIFY(!tab.is_running());

    // The run folder is rank 0's alone: 3 iteration lines and 1 validation, once each.
    QVERIFY(QFileInfo::exists(QDir(out).filePath("last.pt")));
    QVERIFY(QFileInfo::exists(QDir(out).filePath("best.pt")));
    const QStringList metrics = lines_of(QDir(out).filePath("metrics.jsonl"));
    QCOMPARE(metrics.filter("\"type\":\"train\"").size(), 3);
    QCOMPARE(metrics.filter("\"type\":\"val\"").size(), 1);
    // The charts are that file, point for point.
    QCOMPARE(tab.charts()->loss_points(), 3);
    QCOMPARE(tab.charts()->total_loss().last().x(), 3.0);
    QVERIFY(tab.charts()->total_loss().first().y() > 0);
    QCOMPARE(tab.charts()->validation_points(), 1);
    QCOMPARE(tab.last_progress().iteration, 3);
    QCOMPARE(tab.last_progress().total_iterations, 3);
    QProgressBar* bar = tab.findChild<QProgressBar*>();
    QVERIFY(bar && bar->maximum() == 3 && bar->value() == 3);
    // One run, N processes: the status said so while it trained; both ranks' launcher line is in the log.
    QVERIFY(!statuses.isEmpty());
    QVERIFY2(statuses.filter("2 processes (Gloo)").size() == statuses.size(), qPrintable(statuses.join('\n')));
    QVERIFY2(statuses.filter("iteration 3/3").size() >= 1, qPrintable(statuses.join('\n')));
    QVERIFY2(tab.log_text().contains("data-parallel: 2 processes"), qPrintable(tab.log_text()));
    QVERIFY2(tab.status_text().contains("Finished after 3 iterations"), qPrintable(tab.status_text()));
    // The form's settings reached the ranks (through the recipe file) and the choice is remembered.
    QFile json(QDir(out).filePath("config.json"));
    QVERIFY(json.open(QIODevice::ReadOnly));
    const auto run = pl::core::train::TrainConfig::from_json(json.readAll().toStdString());
    QCOMPARE(run.recipe, recipe);
    QCOMPARE(run.crop_h, 64);
    QCOMPARE(run.batch, 2);
    QCOMPARE(run.log_every, 1);
    QCOMPARE(run.data_root, data.toStdString());
    QCOMPARE(settings.training_processes(), 2);
    TrainingForm again(settings);
    QCOMPARE(again.processes(), 2);
    QVERIFY(ranks_of(out).isEmpty());
  }

  // Pause holds every rank, Cancel leaves a resumable last.pt, Resume continues the run's charts and
  // iterations; a rank killed mid-run fails the run with the launcher's words and leaves it resumable.
  void pause_cancel_resume_and_a_dead_rank() {
    QTemporaryDir tmp;
    const QString data = QDir(tmp.path()).filePath("data"), out = QDir(tmp.path()).filePath("run");
    pl::test::make_disc_dataset(data, 8);
    Settings settings;
    TrainingTab tab(settings);
    tab.set_executable(POLYPLENS_EXE);
    tab.form()->set_config(quick_run(tab.form()->config(), data, out, 1000));  // cancelled long before
    tab.form()->set_processes(2);
    QSignalSpy finished(&tab, &TrainingTab::run_finished);
    QVERIFY(tab.start());
    QVERIFY2(wait_until([&] { return tab.charts()->loss_points() >= 2; }, 60000), qPrintable(tab.log_text()));
    QCOMPARE(ranks_of(out, 0).size(), 1);
    QCOMPARE(ranks_of(out, 1).size(), 1);

    tab.pause();
    QVERIFY(tab.is_paused());
    QVERIFY2(tab.status_text().contains("Paused 2 processes"), qPrintable(tab.status_text()));
    QTest::qWait(2500);  // the iteration in flight ends (slower when CTest runs suites side by side)
    const int held = tab.charts()->loss_points();
    QTest::qWait(1500);
    QCOMPARE(tab.charts()->loss_points(), held);
    tab.resume();
    QVERIFY(!tab.is_paused());
    QVERIFY2(wait_until([&] { return tab.charts()->loss_points() > held; }, 30000), qPrintable(tab.log_text()));

    tab.cancel();
    QVERIFY2(finished.wait(60000), qPrintable(tab.log_text()));
    QCOMPARE(finished.takeFirst().at(0).toInt(), static_cast<int>(TrainPhase::Cancelled));
    QVERIFY(QFileInfo::exists(QDir(out).filePath("last.pt")));
    QVERIFY2(tab.status_text().contains("resumable"), qPrintable(tab.status_text()));
    QVERIFY(button(tab, "Resume")->isEnabled());
    QVERIFY(ranks_of(out).isEmpty());  // no rank outlives the run
    const int64_t reached = tab.last_progress().iteration;
    QVERIFY(reached >= 2);

    // Resume restarts the processes with --resume: the charts keep the run so far and go on.
    QVERIFY(tab.start(true));
    QVERIFY(tab.charts()->loss_points() >= 2);
    QVERIFY2(tab.log_text().contains("--resume"), qPrintable(tab.log_text()));
    QVERIFY2(wait_until([&] { return tab.last_progress().iteration > reached + 1; }, 60000),
             qPrintable(tab.log_text()));
    QCOMPARE(tab.charts()->total_loss().first().x(), 1.0);
    QVERIFY(tab.charts()->total_loss().last().x() > reached);

    // Rank 1 dies: the launcher stops the run and says which rank; the tab shows it and stays resumable.
    const auto rank1 = ranks_of(out, 1);
    QCOMPARE(rank1.size(), 1);
    QVERIFY(::kill(static_cast<pid_t>(rank1.first()), SIGKILL) == 0);
    QVERIFY2(finished.wait(60000), qPrintable(tab.log_text()));
    QCOMPARE(finished.takeFirst().at(0).toInt(), static_cast<int>(TrainPhase::Failed));
    QVERIFY2(tab.status_text().contains("Training failed") && tab.status_text().contains("rank 1"),
             qPrintable(tab.status_text()));
    QVERIFY2(tab.status_text().contains("Resume"), qPrintable(tab.status_text()));
    QVERIFY(tab.findChild<QProgressBar*>()->value() == 0);
    QVERIFY(QFileInfo::exists(QDir(out).filePath("last.pt")));
    QVERIFY(button(tab, "Resume")->isEnabled());
    QVERIFY(wait_until([&] { return ranks_of(out).isEmpty(); }, 30000));

    // And the tab's destructor stops a running one: no rank is left behind.
    {
      TrainingTab again(settings);
      again.set_executable(POLYPLENS_EXE);
      again.form()->set_config(quick_run(again.form()->config(), data, out, 1000));
      again.form()->set_processes(2);
      QVERIFY(again.start(true));
      QVERIFY2(wait_until([&] { return again.last_progress().phase == TrainPhase::Training; }, 60000),
               qPrintable(again.log_text()));
    }
    QVERIFY(ranks_of(out).isEmpty());
    QVERIFY(QFileInfo::exists(QDir(out).filePath("last.pt")));
  }

  // The program is missing: a clear error, no run, no folder.
  void missing_program() {
    QTemporaryDir tmp;
    const QString data = QDir(tmp.path()).filePath("data"), out = QDir(tmp.path()).filePath("run");
    pl::test::make_disc_dataset(data, 4);
    Settings settings;
    TrainingTab tab(settings);
    const QString missing = QDir(tmp.path()).filePath("no-such-dir/polyplens");
    tab.set_executable(missing);
    QCOMPARE(tab.executable(), missing);
    tab.form()->set_config(quick_run(tab.form()->config(), data, out, 1));
    tab.form()->set_processes(2);
    QVERIFY(!tab.start());
    QVERIFY(!tab.is_running());
    QVERIFY2(tab.status_text().contains("not found") && tab.status_text().contains(missing),
             qPrintable(tab.status_text()));
    QVERIFY2(tab.log_text().contains("POLYPLENS_EXE"), qPrintable(tab.log_text()));
    QVERIFY(!QFileInfo::exists(out));
    QVERIFY(button(tab, "Start")->isEnabled());
  }

  // A launcher that exits non-zero before any checkpoint, and one that crashes: the error in the log
  // and the status, the progress bar reset, no run folder left. (Stand-ins for polyplens, so the case
  // does not wait out the launcher's 30 s grace for the other ranks.)
  void a_failing_or_crashing_launcher() {
    QTemporaryDir tmp;
    const QString data = QDir(tmp.path()).filePath("data");
    pl::test::make_disc_dataset(data, 4);
    const auto script = [&](const QString& name, const QByteArray& body) {
      const QString path = QDir(tmp.path()).filePath(name);
      QFile f(path);
      if (!f.open(QIODevice::WriteOnly) || f.write("#!/bin/sh\n" + body) < 0) return QString();
      f.close();
      f.setPermissions(f.permissions() | QFileDevice::ExeOwner);
      return path;
    };
    const QString fails = script("fails", "echo 'data-parallel: 2 processes'\n"
                                          "echo 'polyplens train: error: the data folder is unreadable' >&2\n"
                                          "echo 'polyplens train: rank 0 (pid 1) exited with code 1; the run "
                                          "stopped' >&2\n"
                                          "exit 3\n");
    const QString crashes = script("crashes", "echo 'about to crash' >&2\nkill -SEGV $$\n");
    QVERIFY(!fails.isEmpty() && !crashes.isEmpty());

    Settings settings;
    TrainingTab tab(settings);
    QSignalSpy finished(&tab, &TrainingTab::run_finished);
    const QString out = QDir(tmp.path()).filePath("run");
    tab.form()->set_config(quick_run(tab.form()->config(), data, out, 1));
    tab.form()->set_processes(2);
    tab.set_executable(fails);
    QVERIFY(tab.start());
    QVERIFY(tab.is_running());
    QVERIFY2(finished.wait(30000), qPrintable(tab.log_text()));
    QCOMPARE(finished.takeFirst().at(0).toInt(), static_cast<int>(TrainPhase::Failed));
    QString status = tab.status_text();
    QVERIFY2(status.contains("Training failed") && status.contains("exited with code 3") &&
                 status.contains("the data folder is unreadable") && status.contains("rank 0 (pid 1) exited"),
             qPrintable(status));
    QVERIFY(tab.log_text().contains("polyplens train: error: the data folder is unreadable"));
    QVERIFY(tab.log_text().contains("data-parallel: 2 processes"));  // stdout too
    QVERIFY(tab.findChild<QProgressBar*>()->value() == 0);
    QVERIFY2(!QFileInfo::exists(out), qPrintable(tab.log_text()));
    QVERIFY(!tab.is_running());
    QVERIFY(button(tab, "Start")->isEnabled());

    tab.set_executable(crashes);
    QVERIFY(tab.start());
    QVERIFY2(finished.wait(30000), qPrintable(tab.log_text()));
    QCOMPARE(finished.takeFirst().at(0).toInt(), static_cast<int>(TrainPhase::Failed));
    status = tab.status_text();
    QVERIFY2(status.contains("crashed") && status.contains("about to crash"), qPrintable(status));
    QVERIFY(!QFileInfo::exists(out));
  }
};

QTEST_MAIN(TestTrainingTabDist)
#include "test_training_tab_dist.moc"
