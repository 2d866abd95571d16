// The Training tab end to end on tiny synthetic data: the form (paper defaults, highlighted changes,
// data set summary), then start -> progress (charts, progress bar, log) -> cancel -> resumable
// last.pt -> resume -> stop_and_wait. The trainer really runs (ann-r18-live at 64x64, a handful of
// iterations), on its own thread, while the GUI thread keeps processing events.
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QMessageBox>
#include <QPushButton>
#include <QTabWidget>
#include <QDir>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QProgressBar>
#include <QSpinBox>
#include <QLabel>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/train/progress.h"
#include "core/train/recipes.h"
#include "core/train/train_config.h"
#include "ui/hud.h"
#include "ui/live_tab.h"
#include "ui/main_window.h"
#include "ui/model_loader.h"
#include "ui/review_panel.h"
#include "ui/settings.h"
#include "ui/training_charts.h"
#include "ui/training_form.h"
#include "ui/training_tab.h"
#include "support/qt_wait.h"
#include "support/training_tab_fixtures.h"
#include "support/isolated_settings.h"

using namespace pl::ui;
using pl::core::train::TrainPhase;

using pl::test::wait_until;

namespace {

// The form's config set up for a quick CPU run of ann-r18-live at 64x64 on `data` into `out`.
pl::core::train::TrainConfig quick_run(pl::core::train::TrainConfig cfg, const QString& data, const QString& out,
                                       int epochs, int val_every) {
  return pl::test::quick_tab_run(cfg, data, out, epochs, val_every);
}

}  // namespace

class TestTrainingTab : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { pl::test::isolate_settings(); }
  void init() { QSettings("PolypLens", "PolypLens").clear(); }

  // With a GPU the paper's recipe; on a small CPU a preset that trains in hours, not weeks.
  void defaults_suit_the_machine() {
    const auto gpu = TrainingForm::machine_defaults(true, 2);
    QCOMPARE(gpu.preset, std::string("ann-r50"));
    QCOMPARE(gpu.epochs, 500);
    QCOMPARE(gpu.recipe, std::string("paper"));
    QCOMPARE(gpu.optimizer, std::string("sgd"));
    QCOMPARE(gpu.lr, 0.01);
    // The small CPU preset trains from scratch: its default recipe is "scratch".
    const auto cpu = TrainingForm::machine_defaults(false, 2);
    QCOMPARE(cpu.preset, std::string("ann-r18-live"));
    QVERIFY(cpu.epochs <= 50);
    QCOMPARE(cpu.recipe, std::string("scratch"));
    QCOMPARE(cpu.optimizer, std::string("adamw"));
    QCOMPARE(cpu.lr, 0.001);
    QCOMPARE(TrainingForm::machine_defaults(false, 32).preset, std::string("ann-r50"));
    QCOMPARE(TrainingForm::default_recipe("ann-r101"), QString("paper"));
    QCOMPARE(TrainingForm::default_recipe("ann-r18-d8"), QString("scratch"));

    Settings settings;
    TrainingForm form(settings);
    const auto mine = TrainingForm::machine_defaults();
    QCOMPARE(form.config().preset, mine.preset);
    QCOMPARE(form.config().epochs, mine.epochs);
    // The preset's description is shown under the list.
    QVERIFY(!form.preset_description().isEmpty());
    QCOMPARE(form.findChild<QLabel*>("preset_note")->text(), form.preset_description());
  }

  void form_shows_paper_defaults_and_highlights_changes() {
    Settings settings;
    TrainingForm form(settings);
    form.set_config(pl::core::train::TrainConfig{});  // the paper's recipe
    QVERIFY2(form.changed_fields().isEmpty(), qPrintable(form.changed_fields().join(", ")));
    const auto c = form.config();
    QCOMPARE(c.lr, 0.01);
    QCOMPARE(c.batch, 10);
    QCOMPARE(c.epochs, 500);
    QCOMPARE(c.preset, std::string("ann-r50"));

    auto cfg = c;
    cfg.lr = 0.02;
    cfg.batch = 4;
    form.set_config(cfg);
    const QStringList changed = form.changed_fields();
    QCOMPARE(changed.size(), 2);
    QVERIFY(changed.contains("Learning rate") && changed.contains("Batch"));
    QCOMPARE(form.config().lr, 0.02);
    QCOMPARE(form.config().batch, 4);
  }

  // The recipe list: the built-ins with their summaries, "From file…"; choosing one fills in the
  // fields (optimizer, warm-up, EMA included) and keeps what the form has no field for; the fields
  // stay editable; another recipe undoes what the previous one set.
  void a_recipe_fills_in_the_hyperparameters() {
    Settings settings;
    TrainingForm form(settings);
    form.set_config(pl::core::train::TrainConfig{});  // ann-r50, the paper's recipe
    auto* recipe = form.findChild<QComboBox*>("recipe");
    auto* optimizer = form.findChild<QComboBox*>("optimizer");
    QVERIFY(recipe && optimizer);
    for (const auto& r : pl::core::train::builtin_recipes()) {
      const int i = recipe->findData(QString::fromStdString(r.name));
      QVERIFY2(i >= 0, r.name.c_str());
      QCOMPARE(recipe->itemData(i, Qt::ToolTipRole).toString(), QString::fromStdString(r.summary));
    }
    QVERIFY(recipe->findText("From file…") >= 0);
    QCOMPARE(recipe->currentText(), QString("paper"));
    QCOMPARE(form.recipe_choice(), QString());

    recipe->setCurrentIndex(recipe->findData("scratch"));
    auto c = form.config();
    QCOMPARE(c.recipe, std::string("scratch"));
    QCOMPARE(c.optimizer, std::string("adamw"));
    QCOMPARE(c.ema_decay, 0.999);
    QCOMPARE(c.warmup_iters, 300);
    QCOMPARE(c.lr, 0.001);
    QCOMPARE(c.min_lr, 1e-5);  // no field for it: kept from the recipe
    QCOMPARE(optimizer->currentText(), QString("AdamW"));
    QCOMPARE(form.findChild<QDoubleSpinBox*>("ema_decay")->value(), 0.999);
    QCOMPARE(form.recipe_choice(), QString("scratch"));
    QVERIFY(form.findChild<QLabel*>("recipe_note")->text().contains("AdamW"));
    QVERIFY(form.changed_fields().contains("Optimizer") && form.changed_fields().contains("EMA decay"));

    // Still editable after; the user's pick survives a preset change.
    form.findChild<QSpinBox*>("warmup_iters")->setValue(50);
    auto* preset = form.findChildren<QComboBox*>().at(1);
    for (QComboBox* b : form.findChildren<QComboBox*>()) {
      if (b->findData("ann-r101") >= 0) preset = b;
    }
    preset->setCurrentIndex(preset->findData("ann-r101"));
    c = form.config();
    QCOMPARE(c.preset, std::string("ann-r101"));
    QCOMPARE(c.warmup_iters, 50);
    QCOMPARE(c.optimizer, std::string("adamw"));

    // Back to the paper's: everything "scratch" set is the paper's again.
    recipe->setCurrentIndex(recipe->findData("paper"));
    c = form.config();
    QCOMPARE(c.optimizer, std::string("sgd"));
    QCOMPARE(c.ema_decay, 0.0);
    QCOMPARE(c.warmup_iters, 0);
    QCOMPARE(c.min_lr, 1e-4);
    QCOMPARE(c.dice_weight, 0.0);
    QVERIFY2(form.changed_fields() == QStringList{"Preset"}, qPrintable(form.changed_fields().join(", ")));
  }

  // Until the user picks a recipe, the preset's default applies: "scratch" for the small CPU presets,
  // "paper" for ann-r50.
  void a_preset_change_applies_its_default_recipe_until_one_is_picked() {
    Settings settings;
    TrainingForm form(settings);
    form.set_config(pl::core::train::TrainConfig{});
    QComboBox* preset = nullptr;
    for (QComboBox* b : form.findChildren<QComboBox*>()) {
      if (b->findData("ann-r18-live") >= 0) preset = b;
    }
    QVERIFY(preset);
    preset->setCurrentIndex(preset->findData("ann-r18-live"));
    QCOMPARE(form.config().recipe, std::string("scratch"));
    QCOMPARE(form.config().optimizer, std::string("adamw"));
    QCOMPARE(form.findChild<QComboBox*>("recipe")->currentText(), QString("scratch"));
    preset->setCurrentIndex(preset->findData("ann-r50"));
    QCOMPARE(form.config().recipe, std::string("paper"));
    QCOMPARE(form.config().optimizer, std::string("sgd"));
    QCOMPARE(form.recipe_choice(), QString());
  }

  // A recipe file: applied and listed by its name; a bad one changes nothing and says which file and
  // which key.
  void recipe_files_good_and_bad() {
    QTemporaryDir tmp;
    const QString good = QDir(tmp.path()).filePath("short.json"), bad = QDir(tmp.path()).filePath("typo.json");
    auto write = [](const QString& path, const QByteArray& text) {
      QFile f(path);
      return f.open(QIODevice::WriteOnly) && f.write(text) == text.size();
    };
    QVERIFY(write(good, R"({"optimizer": "adamw", "lr": 0.002, "epochs": 7})"));
    QVERIFY(write(bad, R"({"lr": 0.003, "learnig_rate": 0.1})"));
    Settings settings;
    TrainingForm form(settings);
    form.set_config(pl::core::train::TrainConfig{});
    auto* recipe = form.findChild<QComboBox*>("recipe");

    QVERIFY(form.choose_recipe(good));
    QCOMPARE(form.config().optimizer, std::string("adamw"));
    QCOMPARE(form.config().lr, 0.002);
    QCOMPARE(form.config().epochs, 7);
    QCOMPARE(form.config().recipe, std::string("short"));
    QCOMPARE(recipe->currentText(), QString("short.json"));
    QCOMPARE(form.recipe_choice(), good);
    QVERIFY(form.recipe_error().isEmpty());

    QVERIFY(!form.choose_recipe(bad));
    const QString error = form.recipe_error();
    QVERIFY2(error.contains(bad) && error.contains("learnig_rate"), qPrintable(error));
    QVERIFY(form.findChild<QLabel*>("recipe_error")->isVisibleTo(&form));
    QCOMPARE(form.config().lr, 0.002);  // nothing changed
    QCOMPARE(recipe->currentText(), QString("short.json"));
    QCOMPARE(form.recipe_choice(), good);

    QVERIFY(!form.choose_recipe(QDir(tmp.path()).filePath("missing.json")));
    QVERIFY2(form.recipe_error().contains("missing.json"), qPrintable(form.recipe_error()));
    QVERIFY(form.choose_recipe("paper"));
    QVERIFY(form.recipe_error().isEmpty());
    QCOMPARE(form.config().optimizer, std::string("sgd"));
    QCOMPARE(form.config().epochs, 500);  // the file set it: back to the paper's
  }

  void summary_of_the_real_data_set_and_of_a_bad_folder() {
    const QString kvasir = QDir(POLYPLENS_TEST_DATA).filePath("kvasir-seg");
    QVERIFY2(QDir(kvasir).exists("images"), qPrintable(kvasir));
    Settings settings;
    TrainingForm form(settings);
    QSignalSpy ready(&form, &TrainingForm::summary_ready);
    form.set_data_folder(kvasir);
    QVERIFY(wait_until([&] { return !form.scanning() && form.summary().pairs_found > 0; }, 20000));
    QCOMPARE(form.summary().pairs_found, 1000);
    QCOMPARE(form.summary().train_count, 880);
    QCOMPARE(form.summary().val_count, 120);
    QVERIFY2(form.summary_text().contains("880"), qPrintable(form.summary_text()));

    QTemporaryDir empty;
    form.set_data_folder(empty.path());
    QVERIFY(wait_until([&] { return !form.scanning() && form.summary_text().contains("Cannot use"); }, 20000));
    QCOMPARE(form.summary().pairs_found, 0);
  }

  void start_progress_cancel_resume() {
    QTemporaryDir tmp;
    const QString data = QDir(tmp.path()).filePath("data"), out = QDir(tmp.path()).filePath("run");
    pl::test::make_disc_dataset(data, 8);

    Settings settings;
    TrainingTab tab(settings);
    tab.resize(1100, 700);
    tab.show();
    auto cfg = quick_run(tab.form()->config(), data, out, 1000, 0);  // far more than the test runs: it is cancelled
    tab.form()->set_config(cfg);

    QSignalSpy finished(&tab, &TrainingTab::run_finished);
    QVERIFY(tab.start());
    QVERIFY(tab.is_running());
    QVERIFY(!tab.form()->isEnabled() || !tab.form()->findChild<QComboBox*>()->isEnabled());
    // Progress arrives through queued signals while this (GUI) thread spins its event loop.
    // The first iteration is charted at once (a slow CPU takes minutes to the first log point), then
    // every log_every (10) iterations.
    QVERIFY2(wait_until([&] { return tab.charts()->loss_points() >= 1; }, 120000), qPrintable(tab.log_text()));
    QCOMPARE(tab.charts()->total_loss().first().x(), 1.0);
    QVERIFY(tab.charts()->total_loss().first().y() > 0);
    QVERIFY2(wait_until([&] { return tab.charts()->loss_points() >= 2; }, 120000), qPrintable(tab.log_text()));
    QCOMPARE(tab.charts()->total_loss().at(1).x(), 10.0);
    QCOMPARE(tab.last_progress().phase, TrainPhase::Training);
    QVERIFY(tab.last_progress().iteration >= 10);
    QVERIFY(tab.status_text().contains("iteration"));
    QVERIFY(tab.log_text().contains("loss"));
    const int64_t reached = tab.last_progress().iteration;

    tab.cancel();
    QVERIFY(finished.wait(60000) || finished.count() == 1);
    QCOMPARE(finished.takeFirst().at(0).toInt(), static_cast<int>(TrainPhase::Cancelled));
    QVERIFY(!tab.is_running());
    QVERIFY(QFileInfo::exists(QDir(out).filePath("last.pt")));
    QVERIFY(tab.status_text().contains("resumable"));
    QCOMPARE(tab.usable_checkpoint(), QDir(out).filePath("last.pt"));

    // A second Start into the same folder is refused (it would overwrite the run); Resume continues it.
    QVERIFY(!tab.start(false));
    QVERIFY(tab.log_text().contains("already holds a run"));
    QVERIFY(tab.start(true));
    // Resuming keeps the charts: the run's points so far come back from metrics.jsonl.
    QVERIFY2(tab.charts()->loss_points() >= 1, qPrintable(tab.log_text()));
    QCOMPARE(tab.charts()->total_loss().first().x(), 10.0);
    QVERIFY(wait_until([&] { return tab.last_progress().phase == TrainPhase::Training &&
                                    tab.last_progress().iteration > reached; }, 120000));
    QVERIFY(tab.stop_and_wait(60000));
    QVERIFY(!tab.is_running());
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.takeFirst().at(0).toInt(), static_cast<int>(TrainPhase::Cancelled));
  }

  // A finished run leaves a new output folder for the next Start; a run that fails before writing a
  // checkpoint leaves no folder and no stale progress; the settings of the run are kept for the next
  // start of the window; the data summary follows the settings.
  void after_a_run_the_next_one_can_start() {
    QTemporaryDir tmp;
    const QString data = QDir(tmp.path()).filePath("data"), out = QDir(tmp.path()).filePath("run");
    pl::test::make_disc_dataset(data, 8);
    Settings settings;
    TrainingTab tab(settings);
    auto cfg = quick_run(tab.form()->config(), data, out, 1, 1);
    tab.form()->set_config(cfg);
    // The recipe chosen in the list is what the run gets (and the choice is remembered). Choosing the
    // entry on show (this machine's default) counts as a choice too.
    auto* recipe = tab.form()->findChild<QComboBox*>("recipe");
    recipe->setCurrentIndex(recipe->findData("paper"));
    QCOMPARE(tab.form()->config().optimizer, std::string("sgd"));
    recipe->setCurrentIndex(recipe->findData("scratch"));
    QCOMPARE(tab.form()->config().optimizer, std::string("adamw"));
    tab.form()->findChild<QDoubleSpinBox*>("ema_decay")->setValue(0.5);
    Q_EMIT recipe->activated(recipe->currentIndex());
    QCOMPARE(tab.form()->config().ema_decay, 0.999);
    QSignalSpy finished(&tab, &TrainingTab::run_finished);
    QVERIFY(tab.start());
    QVERIFY2(finished.wait(120000), qPrintable(tab.log_text()));
    QCOMPARE(finished.takeFirst().at(0).toInt(), static_cast<int>(TrainPhase::Finished));
    {
      QFile json(QDir(out).filePath("config.json"));
      QVERIFY(json.open(QIODevice::ReadOnly));
      const auto run = pl::core::train::TrainConfig::from_json(json.readAll().toStdString());
      QCOMPARE(run.recipe, std::string("scratch"));
      QCOMPARE(run.optimizer, std::string("adamw"));
      QCOMPARE(run.ema_decay, 0.999);
      QCOMPARE(run.epochs, 1);
    }
    QCOMPARE(tab.charts()->validation_points(), 1);  // one epoch, one validation point, drawn as a marker
    QVERIFY(tab.form()->output_folder() != out);
    QVERIFY(!QFileInfo::exists(tab.form()->output_folder()));
    QCOMPARE(tab.usable_checkpoint(), QDir(out).filePath("best.pt"));
    // The settings come back in a new window.
    {
      TrainingForm again(settings);
      QCOMPARE(again.config().preset, std::string("ann-r18-live"));
      QCOMPARE(again.config().epochs, 1);
      QCOMPARE(again.config().data_root, data.toStdString());
      QCOMPARE(again.recipe_choice(), QString("scratch"));
      QCOMPARE(again.config().optimizer, std::string("adamw"));
      QCOMPARE(again.findChild<QComboBox*>("recipe")->currentText(), QString("scratch"));
    }

    // A start that fails (no images) leaves no run folder and no progress behind.
    QTemporaryDir empty;
    const QString failed_out = QDir(tmp.path()).filePath("failed");
    cfg.data_root = empty.path().toStdString();
    cfg.out_dir = failed_out.toStdString();
    tab.form()->set_config(cfg);
    QVERIFY(tab.start());
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.takeFirst().at(0).toInt(), static_cast<int>(TrainPhase::Failed));
    QVERIFY2(!QFileInfo::exists(failed_out), qPrintable(tab.log_text()));
    QProgressBar* bar = tab.findChild<QProgressBar*>();
    QVERIFY(bar && bar->value() == 0);

    // The data summary follows the image cap as it is changed.
    tab.form()->set_data_folder(data);
    QVERIFY(wait_until([&] { return !tab.form()->scanning() && tab.form()->summary().pairs_found == 8; }, 20000));
    tab.form()->findChild<QSpinBox*>("max_images")->setValue(4);
    QVERIFY(wait_until([&] {
      const auto& s = tab.form()->summary();
      return !tab.form()->scanning() && s.train_count + s.val_count == 4;
    }, 20000));
  }

  // Closing the window during training asks first; "Yes" stops the run with a resumable last.pt,
  // and "Use in Live tab" hands that checkpoint to the Live tab.
  void closing_during_training_asks_and_leaves_a_resumable_checkpoint() {
    QTemporaryDir tmp;
    const QString data = QDir(tmp.path()).filePath("data"), out = QDir(tmp.path()).filePath("run");
    pl::test::make_disc_dataset(data, 6);
    MainWindow w;
    w.show();
    TrainingTab* tab = w.training_tab();
    auto cfg = quick_run(tab->form()->config(), data, out, 1000, 0);
    tab->form()->set_config(cfg);
    QVERIFY(tab->start());
    QVERIFY(wait_until([&] { return tab->last_progress().iteration >= 2; }, 120000));
    // The Live tab says that training shares the processor.
    QVERIFY(wait_until([&] { return w.live_tab()->hud()->lines().join('\n').contains("training"); }, 5000));

    // First answer "No": the window stays and training goes on.
    QString asked;
    auto answer = [&](QMessageBox::StandardButton button) {
      QTimer::singleShot(50, [&asked, button] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box) return;
        asked = box->text();
        box->button(button)->click();
      });
    };
    answer(QMessageBox::No);
    QVERIFY(!w.close());
    QVERIFY(asked.contains("resumable"));
    QVERIFY(tab->is_running());
    answer(QMessageBox::Yes);
    QVERIFY(w.close());
    QVERIFY(!tab->is_running());
    QVERIFY(QFileInfo::exists(QDir(out).filePath("last.pt")));

    QPushButton* use = nullptr;
    for (QPushButton* b : tab->findChildren<QPushButton*>()) {
      if (b->text() == "Use in Live tab") use = b;
    }
    QVERIFY(use && use->isEnabled());
    use->click();
    QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget*>(w.live_tab()));
    QVERIFY(wait_until([&] { return w.live_tab()->model()->status() != ModelStatus::kLoading; }, 60000));
    QCOMPARE(w.live_tab()->model()->status(), ModelStatus::kWarmingUp);  // loaded; no video, so no mask yet
    QVERIFY(w.live_tab()->model()->summary().contains("last.pt"));
  }
};

QTEST_MAIN(TestTrainingTab)
#include "test_training_tab.moc"
