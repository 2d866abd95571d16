#include "ui/training_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QScopedValueRollback>
#include <QSpinBox>
#include <QStyle>
#include <QThread>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/base/json.h"
#include "core/log/log.h"
#include "core/train/launcher.h"
#include "core/train/recipes.h"
#include "model/device.h"
#include "model/presets.h"
#include "ui/settings.h"

namespace pl::ui {

namespace {

const core::train::TrainConfig kPaper{};  // the paper's recipe: what "changed" is measured against

QString q(const std::string& s) { return QString::fromStdString(s); }

// The recipe list's entries: the built-ins, then one entry for a file (or for a recipe named by a
// run's config.json that is neither), a separator and "From file…".
constexpr int kKindRole = Qt::UserRole + 1;
enum RecipeKind { kBuiltin = 1, kFile, kNamed, kBrowse };

const core::train::Recipe* builtin(const QString& name) {
  for (const auto& r : core::train::builtin_recipes()) {
    if (q(r.name) == name) return &r;
  }
  return nullptr;
}

// The config.json keys a recipe's JSON object sets.
std::vector<std::string> json_keys(const std::string& json) {
  std::vector<std::string> keys;
  const auto o = pl::json::Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (o.is_object()) {
    for (const auto& [k, v] : o.items()) keys.push_back(k);
  }
  return keys;
}

QWidget* folder_row(QWidget* parent, QLineEdit* edit, const std::function<void()>& browse) {
  auto* row = new QWidget(parent);
  auto* h = new QHBoxLayout(row);
  h->setContentsMargins(0, 0, 0, 0);
  h->addWidget(edit, 1);
  auto* b = new QToolButton(row);
  b->setIcon(parent->style()->standardIcon(QStyle::SP_DirOpenIcon));
  b->setToolTip(QObject::tr("Browse…"));
  QObject::connect(b, &QToolButton::clicked, row, browse);
  h->addWidget(b);
  return row;
}

QComboBox* combo(QWidget* parent, const QStringList& values) {
  auto* c = new QComboBox(parent);
  for (const QString& v : values) c->addItem(v, v);
  return c;
}

void select(QComboBox* c, const QString& value) {
  const int i = c->findData(value);
  if (i >= 0) c->setCurrentIndex(i);
}

}  // namespace

TrainingForm::TrainingForm(Settings& settings, QWidget* parent) : QWidget(parent), settings_(settings) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);

  // Data.
  auto* data_box = new QGroupBox(tr("Data set"), this);
  auto* data = new QFormLayout(data_box);
  data_dir_ = new QLineEdit(data_box);
  data_dir_->setPlaceholderText(tr("folder with images/ and masks/ (Kvasir-SEG layout)"));
  data->addRow(tr("Folder"), folder_row(data_box, data_dir_, [this] {
                 const QString d = QFileDialog::getExistingDirectory(this, tr("Data set folder"), data_dir_->text());
                 if (!d.isEmpty()) set_data_folder(d);
               }));
  split_ = combo(data_box, {"official", "random90"});
  split_->setToolTip(tr("official: train.txt / val.txt of the folder; random90: a seeded 90/10 split. "
                        "A split.json in the output folder always wins (resumed runs keep their split)."));
  data->addRow(tr("Split"), split_);
  fields_.push_back({tr("Split"), split_, [this] { return split_->currentData().toString() == q(kPaper.split); }});
  max_images_ = add_int(tr("Images (0 = all)"), 0, 100000, kPaper.max_images,
                        tr("Cap on the number of image pairs, for quick runs"), data_box);
  max_images_->setObjectName(QStringLiteral("max_images"));
  data->addRow(tr("Images (0 = all)"), max_images_);
  summary_label_ = new QLabel(data_box);
  summary_label_->setWordWrap(true);
  summary_label_->setTextFormat(Qt::RichText);
  summary_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  data->addRow(summary_label_);

  // Model.
  auto* model_box = new QGroupBox(tr("Model"), this);
  auto* model = new QFormLayout(model_box);
  preset_ = new QComboBox(model_box);
  for (const std::string& name : pl::model::preset_names()) {
    preset_->addItem(q(name), q(name));
    preset_->setItemData(preset_->count() - 1, q(pl::model::preset_description(name)), Qt::ToolTipRole);
  }
  model->addRow(tr("Preset"), preset_);
  preset_note_ = new QLabel(model_box);
  preset_note_->setWordWrap(true);
  preset_note_->setObjectName(QStringLiteral("preset_note"));
  model->addRow(preset_note_);
  const auto describe = [this] { preset_note_->setText(preset_description()); };
  connect(preset_, qOverload<int>(&QComboBox::currentIndexChanged), this, describe);
  fields_.push_back({tr("Preset"), preset_, [this] { return preset_->currentData().toString() == q(kPaper.preset); }});
  backbone_ = new QLineEdit(model_box);
  backbone_->setPlaceholderText(tr("optional: torchvision ResNet weights (.pth)"));
  model->addRow(tr("Backbone weights"), folder_row(model_box, backbone_, [this] {
                  const QString f = QFileDialog::getOpenFileName(this, tr("Backbone weights"), backbone_->text(),
                                                                 tr("Weights (*.pth *.pt);;All files (*)"));
                  if (!f.isEmpty()) backbone_->setText(f);
                }));

  // Hyperparameters: a recipe fills them in (the paper's by default), and each stays editable.
  auto* hp_box = new QGroupBox(tr("Hyperparameters"), this);
  auto* hp = new QFormLayout(hp_box);
  recipe_ = new QComboBox(hp_box);
  recipe_->setObjectName(QStringLiteral("recipe"));
  for (const auto& r : core::train::builtin_recipes()) {
    recipe_->addItem(q(r.name), q(r.name));
    recipe_->setItemData(recipe_->count() - 1, q(r.summary), Qt::ToolTipRole);
    recipe_->setItemData(recipe_->count() - 1, kBuiltin, kKindRole);
  }
  recipe_->insertSeparator(recipe_->count());
  recipe_->addItem(tr("From file…"), QString());
  recipe_->setItemData(recipe_->count() - 1, kBrowse, kKindRole);
  recipe_->setItemData(recipe_->count() - 1, tr("A JSON file of config.json keys, e.g. {\"lr\": 0.005}"),
                       Qt::ToolTipRole);
  recipe_->setToolTip(tr("Fills in the hyperparameters below; you can still change them after"));
  hp->addRow(tr("Recipe"), recipe_);
  recipe_note_ = new QLabel(hp_box);
  recipe_note_->setWordWrap(true);
  recipe_note_->setObjectName(QStringLiteral("recipe_note"));
  hp->addRow(recipe_note_);
  recipe_error_ = new QLabel(hp_box);
  recipe_error_->setWordWrap(true);
  recipe_error_->setObjectName(QStringLiteral("recipe_error"));
  recipe_error_->setStyleSheet(QStringLiteral("color: #e6463c"));
  recipe_error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  recipe_error_->hide();
  hp->addRow(recipe_error_);
  optimizer_ = new QComboBox(hp_box);
  optimizer_->setObjectName(QStringLiteral("optimizer"));
  optimizer_->addItem(tr("SGD"), QStringLiteral("sgd"));
  optimizer_->addItem(tr("AdamW"), QStringLiteral("adamw"));
  optimizer_->setToolTip(tr("SGD with momentum (the paper) or AdamW (decoupled weight decay)\nPaper default: SGD"));
  fields_.push_back(
      {tr("Optimizer"), optimizer_, [this] { return optimizer_->currentData().toString() == q(kPaper.optimizer); }});
  epochs_ = add_int(tr("Epochs"), 1, 100000, kPaper.epochs, {}, hp_box);
  batch_ = add_int(tr("Batch"), 1, 256, kPaper.batch, {}, hp_box);
  lr_ = add_double(tr("Learning rate"), 1e-6, 1.0, 5, kPaper.lr, tr("SGD, poly decay (power 0.9) to 1e-4"), hp_box);
  momentum_ = add_double(tr("Momentum"), 0.0, 0.999, 3, kPaper.momentum, {}, hp_box);
  weight_decay_ = add_double(tr("Weight decay"), 0.0, 0.1, 6, kPaper.weight_decay, {}, hp_box);
  warmup_ = add_int(tr("Warm-up iterations"), 0, 10000000, kPaper.warmup_iters,
                    tr("Linear warm-up from %1 × the learning rate; 0 = none").arg(kPaper.warmup_ratio), hp_box);
  warmup_->setObjectName(QStringLiteral("warmup_iters"));
  ema_ = add_double(tr("EMA decay"), 0.0, 0.99999, 5, kPaper.ema_decay,
                    tr("Moving average of the weights, validated and saved; 0 = off (e.g. 0.999)"), hp_box);
  ema_->setSingleStep(0.0005);
  ema_->setObjectName(QStringLiteral("ema_decay"));
  aux_ = add_double(tr("Aux loss weight"), 0.0, 10.0, 2, kPaper.aux_weight, tr("FCN auxiliary head"), hp_box);
  dice_ = add_double(tr("Dice loss weight"), 0.0, 10.0, 2, kPaper.dice_weight,
                     tr("0 = cross-entropy only, as in the paper"), hp_box);
  crop_h_ = add_int(tr("Crop height"), 0, 4096, kPaper.crop_h, tr("0 = the preset's default"), hp_box);
  crop_w_ = add_int(tr("Crop width"), 0, 4096, kPaper.crop_w, tr("0 = the preset's default"), hp_box);
  crop_h_->setSpecialValueText(tr("auto"));
  crop_w_->setSpecialValueText(tr("auto"));
  val_every_ = add_int(tr("Validate every (epochs)"), 0, 100000, kPaper.val_every, tr("0 = only at the end"), hp_box);
  seed_ = add_int(tr("Seed"), 0, std::numeric_limits<int>::max(), static_cast<int>(kPaper.seed), {}, hp_box);
  for (QWidget* w : std::initializer_list<QWidget*>{optimizer_, epochs_, batch_, lr_, momentum_, weight_decay_, warmup_,
                                                    ema_, aux_, dice_, crop_h_, crop_w_, val_every_, seed_}) {
    for (const Field& f : fields_) {
      if (f.widget == w) hp->addRow(f.label, w);
    }
  }
  // Momentum is SGD's alone.
  connect(optimizer_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this] { momentum_->setEnabled(optimizer_->currentData().toString() == QStringLiteral("sgd")); });
  connect(recipe_, qOverload<int>(&QComboBox::currentIndexChanged), this, &TrainingForm::on_recipe_selected);
  // Choosing the entry already shown (the preset's default) is a pick too, and applies it again.
  connect(recipe_, &QComboBox::activated, this, [this](int index) {
    if (index == recipe_index_) on_recipe_selected(index);
  });
  connect(preset_, qOverload<int>(&QComboBox::currentIndexChanged), this, &TrainingForm::on_preset_changed);

  // Execution.
  auto* run_box = new QGroupBox(tr("Run"), this);
  auto* run = new QFormLayout(run_box);
  device_ = combo(run_box, {"auto", "cpu", "cuda"});
  device_->setToolTip(tr("auto: the GPU when this build and machine have one, else the CPU"));
  run->addRow(tr("Device"), device_);
  fields_.push_back({tr("Device"), device_, [this] { return device_->currentData().toString() == q(kPaper.device); }});
  threads_ = add_int(tr("CPU threads"), 0, 256, kPaper.threads, tr("0 = all hardware threads"), run_box);
  threads_->setSpecialValueText(tr("all"));
  run->addRow(tr("CPU threads"), threads_);
  amp_ = combo(run_box, {"auto", "off", "bf16"});
  amp_->setToolTip(tr("Mixed precision: auto = bf16 on CUDA, off on the CPU"));
  run->addRow(tr("Mixed precision"), amp_);
  fields_.push_back({tr("Mixed precision"), amp_, [this] { return amp_->currentData().toString() == q(kPaper.amp); }});
  // Data-parallel on this machine (docs/distributed.md §6): not a TrainConfig setting, so not a field
  // measured against the paper's defaults.
  processes_ = new QSpinBox(run_box);
  processes_->setObjectName(QStringLiteral("processes"));
  processes_->setRange(1, 256);
  processes_->setValue(1);
  processes_note_ = new QLabel(run_box);
  processes_note_->setObjectName(QStringLiteral("processes_note"));
  processes_note_->setWordWrap(true);
  if (distributed_available()) {
    processes_->setToolTip(tr("1: train in this window's process. More: data-parallel training, one process each "
                              "(polyplens train --nproc N over %1), shown here as one run")
                               .arg(q(core::train::distributed_backends())));
  } else {
    processes_->setEnabled(false);
    processes_->setToolTip(tr("This build has no distributed training (LibTorch's c10d with Gloo or NCCL was not "
                              "found when it was built; Debian: install libgloo-dev and rebuild)"));
  }
  run->addRow(tr("Processes"), processes_);
  run->addRow(processes_note_);
  connect(processes_, qOverload<int>(&QSpinBox::valueChanged), this, [this] { describe_processes(); });
  connect(batch_, qOverload<int>(&QSpinBox::valueChanged), this, [this] { describe_processes(); });
  out_dir_ = new QLineEdit(run_box);
  out_dir_->setPlaceholderText(tr("run folder: last.pt, best.pt, metrics.jsonl"));
  run->addRow(tr("Output folder"), folder_row(run_box, out_dir_, [this] {
                const QString d = QFileDialog::getExistingDirectory(this, tr("Output folder"), out_dir_->text());
                if (!d.isEmpty()) set_output_folder(d);
              }));

  for (QGroupBox* b : {data_box, model_box, hp_box, run_box}) outer->addWidget(b);
  outer->addStretch(1);
  editable_ = {data_box, model_box, hp_box, run_box};

  for (const Field& f : fields_) {
    if (auto* s = qobject_cast<QSpinBox*>(f.widget)) {
      connect(s, qOverload<int>(&QSpinBox::valueChanged), this, [this, f] { mark_changed(f); });
    } else if (auto* d = qobject_cast<QDoubleSpinBox*>(f.widget)) {
      connect(d, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this, f] { mark_changed(f); });
    } else if (auto* c = qobject_cast<QComboBox*>(f.widget)) {
      connect(c, qOverload<int>(&QComboBox::currentIndexChanged), this, [this, f] { mark_changed(f); });
    }
  }
  // The summary follows every setting that changes which images the run uses (a burst of arrow clicks
  // scans once).
  rescan_timer_ = new QTimer(this);
  rescan_timer_->setSingleShot(true);
  rescan_timer_->setInterval(300);
  connect(rescan_timer_, &QTimer::timeout, this, [this] { rescan(); });
  const auto later = [this] { rescan_timer_->start(); };
  connect(data_dir_, &QLineEdit::editingFinished, this, later);
  connect(out_dir_, &QLineEdit::editingFinished, this, later);  // a split.json there wins
  connect(split_, qOverload<int>(&QComboBox::currentIndexChanged), this, later);
  connect(max_images_, qOverload<int>(&QSpinBox::valueChanged), this, later);
  connect(seed_, qOverload<int>(&QSpinBox::valueChanged), this, later);
  connect(&watcher_, &QFutureWatcher<ScanResult>::finished, this, [this] {
    const ScanResult r = watcher_.result();
    if (!pending_scan_.isEmpty()) {  // the folder changed while scanning: scan again
      pending_scan_.clear();
      rescan();
      return;
    }
    if (!r.error.isEmpty()) {
      summary_ = {};
      show_summary(tr("<span style='color:#e6463c'>Cannot use <b>%1</b>: %2<br>Pick the folder that holds "
                      "images/ and masks/ (Kvasir-SEG layout).</span>")
                       .arg(r.root.toHtmlEscaped(), r.error.toHtmlEscaped()),
                   false);
      return;
    }
    summary_ = r.summary;
    settings_.set_last_folder("data", r.root);
    QString html = tr("<b>%1</b> image/mask pairs · <b>%2</b> train / <b>%3</b> val (%4 split)")
                       .arg(summary_.pairs_found)
                       .arg(summary_.train_count)
                       .arg(summary_.val_count)
                       .arg(q(summary_.split));
    if (!summary_.problems.empty()) {
      html += tr("<br><span style='color:#ffb020'>%n problem(s), skipped:", nullptr,
                 static_cast<int>(summary_.problems.size()));
      const size_t shown = std::min<size_t>(summary_.problems.size(), 5);
      for (size_t i = 0; i < shown; ++i) {
        html += QStringLiteral("<br>• %1: %2")
                    .arg(QFileInfo(q(summary_.problems[i].file)).fileName().toHtmlEscaped(),
                         q(summary_.problems[i].reason).toHtmlEscaped());
      }
      if (summary_.problems.size() > shown) html += tr("<br>… and %1 more").arg(summary_.problems.size() - shown);
      html += QStringLiteral("</span>");
    }
    show_summary(html, summary_.train_count > 0);
  });

  // Starting values: the settings of the last run started here, else what suits this machine; the
  // last folders used, else the bundled data set location; a fresh run folder when the last one holds
  // a run.
  core::train::TrainConfig start;
  bool restored = false;
  if (const QString saved = settings_.training_config(); !saved.isEmpty()) {
    try {
      start = core::train::TrainConfig::from_json(saved.toStdString());
      restored = true;
      recipe_choice_ = settings_.training_recipe();  // its settings are in the saved config already
    } catch (const std::exception& e) {
      pl::log::get("ui")->warn("ignoring the saved training settings: {}", e.what());
    }
  }
  if (!restored) {
    start = machine_defaults();
    start.data_root = settings_.last_folder("data").toStdString();
    start.out_dir = settings_.last_folder("output").toStdString();
  }
  if (start.data_root.empty()) start.data_root = QFileInfo(q(core::data::default_data_root())).absoluteFilePath().toStdString();
  const QString out = q(start.out_dir);
  if (out.isEmpty() || QFileInfo::exists(QDir(out).filePath("last.pt"))) start.out_dir = new_run_folder().toStdString();
  set_config(start);
  if (!recipe_choice_.isEmpty() && !builtin(recipe_choice_)) show_recipe(recipe_choice_);  // a file
  set_processes(settings_.training_processes());
  describe();
  describe_processes();
}

bool TrainingForm::distributed_available() { return !core::train::distributed_backends().empty(); }

int TrainingForm::processes() const { return distributed_available() ? processes_->value() : 1; }

void TrainingForm::set_processes(int n) { processes_->setValue(distributed_available() ? std::max(1, n) : 1); }

void TrainingForm::describe_processes() {
  const int n = processes();
  const int batch = batch_->value();
  processes_note_->setVisible(n > 1);
  if (n <= 1) return;
  if (batch % n != 0) {
    processes_note_->setText(tr("<span style='color:#e6463c'>Batch %1 is the global batch and must split into %2 "
                                "equal shares, one per process.</span>")
                                 .arg(batch)
                                 .arg(n));
    return;
  }
  // docs/distributed.md §2 (global batch) and §3 (BatchNorm per process).
  processes_note_->setText(tr("Global batch %1 = %2 processes × %3 images. BatchNorm normalises over each "
                              "process's %3 images; CPU threads are per process.")
                               .arg(batch)
                               .arg(n)
                               .arg(batch / n));
}

QString TrainingForm::new_run_folder() {
  const QDir runs(QDir(q(pl::log::user_data_dir())).filePath(QStringLiteral("runs")));
  const QString base = QStringLiteral("run-%1").arg(QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss"));
  QString name = base;
  for (int n = 2; runs.exists(name); ++n) name = QStringLiteral("%1-%2").arg(base).arg(n);
  return runs.filePath(name);
}

core::train::TrainConfig TrainingForm::machine_defaults(bool has_cuda, int cpu_threads) {
  core::train::TrainConfig c;  // the paper's recipe
  if (!has_cuda && cpu_threads <= 8) {
    c.preset = "ann-r18-live";
    c.epochs = 30;
    c.val_every = 5;
  }
  core::train::apply_recipe(c, default_recipe(q(c.preset)).toStdString());
  return c;
}

QString TrainingForm::default_recipe(const QString& preset) {
  return QString::fromStdString(core::train::default_recipe(preset.toStdString()));
}

QString TrainingForm::recipe_error() const { return recipe_error_->isHidden() ? QString() : recipe_error_->text(); }

bool TrainingForm::choose_recipe(const QString& name_or_file) {
  try {
    apply_recipe(name_or_file);
  } catch (const std::exception& e) {
    recipe_error_->setText(tr("Recipe not applied: %1").arg(q(e.what())));
    recipe_error_->show();
    pl::log::get("ui")->warn("recipe not applied: {}", e.what());
    const QScopedValueRollback<bool> guard(syncing_, true);
    recipe_->setCurrentIndex(recipe_index_);  // the list shows what the fields hold
    return false;
  }
  recipe_choice_ = name_or_file;
  recipe_error_->clear();
  recipe_error_->hide();
  if (!builtin(name_or_file)) settings_.set_last_folder("recipe", QFileInfo(name_or_file).absolutePath());
  return true;
}

void TrainingForm::apply_recipe(const QString& name_or_file) {
  core::train::TrainConfig c = config();
  // What a recipe sets goes back to the paper's defaults first (a recipe applies over the defaults, as
  // `polyplens train --recipe` does): the settings of every built-in and of the recipe applied last.
  std::vector<std::string> keys = recipe_keys_;
  for (const auto& r : core::train::builtin_recipes()) {
    for (const auto& k : json_keys(r.json)) keys.push_back(k);
  }
  const auto paper = pl::json::Json::parse(kPaper.to_json());
  auto reset = pl::json::Json::object();
  for (const auto& k : keys) {
    if (paper.contains(k)) reset[k] = paper[k];
  }
  c.update_from_json(reset.dump(), "the paper's defaults", /*reject_unknown=*/false);
  core::train::apply_recipe(c, name_or_file.toStdString());

  std::vector<std::string> set_keys;
  if (const core::train::Recipe* r = builtin(name_or_file)) {
    set_keys = json_keys(r->json);
  } else {  // the file was read and accepted a moment ago
    std::ifstream in(name_or_file.toStdString());
    std::stringstream text;
    text << in.rdbuf();
    set_keys = json_keys(text.str());
  }
  set_config(c);
  recipe_keys_ = std::move(set_keys);
  show_recipe(name_or_file);
}

void TrainingForm::show_recipe(const QString& name_or_file) {
  const QScopedValueRollback<bool> guard(syncing_, true);
  int index = recipe_->findData(name_or_file);
  if (index < 0 || recipe_->itemData(index, kKindRole).toInt() == kBrowse) {
    // One entry for a recipe that is not a built-in: a file by its path, or a name from a run's
    // config.json (shown, not applicable).
    const bool file = name_or_file.contains(QLatin1Char('/')) || name_or_file.endsWith(QStringLiteral(".json"));
    index = -1;
    for (int i = 0; i < recipe_->count(); ++i) {
      const int kind = recipe_->itemData(i, kKindRole).toInt();
      if (kind == kFile || kind == kNamed) index = i;
    }
    if (index < 0) {
      index = static_cast<int>(core::train::builtin_recipes().size());
      recipe_->insertItem(index, QString());
    }
    recipe_->setItemText(index, file ? QFileInfo(name_or_file).fileName() : name_or_file);
    recipe_->setItemData(index, name_or_file);
    recipe_->setItemData(index, file ? kFile : kNamed, kKindRole);
    recipe_->setItemData(index, file ? name_or_file : tr("the recipe of the run these settings came from"),
                         Qt::ToolTipRole);
  }
  recipe_->setCurrentIndex(index);
  recipe_index_ = index;
  const core::train::Recipe* r = builtin(name_or_file);
  recipe_note_->setText(r ? q(r->summary) : recipe_->itemData(index, Qt::ToolTipRole).toString());
}

void TrainingForm::on_recipe_selected(int index) {
  if (syncing_ || index < 0) return;
  const int kind = recipe_->itemData(index, kKindRole).toInt();
  if (kind == kBuiltin || kind == kFile) {
    choose_recipe(recipe_->itemData(index).toString());
  } else if (kind == kBrowse) {
    const QString f = QFileDialog::getOpenFileName(this, tr("Recipe file"), settings_.last_folder("recipe"),
                                                   tr("Recipes (*.json);;All files (*)"));
    if (f.isEmpty() || !choose_recipe(f)) {
      const QScopedValueRollback<bool> guard(syncing_, true);
      recipe_->setCurrentIndex(recipe_index_);
    }
  } else {
    recipe_index_ = index;
  }
}

void TrainingForm::on_preset_changed() {
  if (syncing_ || !recipe_choice_.isEmpty()) return;  // the user's pick stays
  const QString def = default_recipe(preset_->currentData().toString());
  try {
    apply_recipe(def);
  } catch (const std::exception& e) {  // a built-in always applies; say so if it ever does not
    pl::log::get("ui")->error("the default recipe '{}' did not apply: {}", def.toStdString(), e.what());
  }
}

core::train::TrainConfig TrainingForm::machine_defaults() {
  bool cuda = false;
  try {
    cuda = pl::model::select_device("auto").is_cuda();
  } catch (const std::exception&) {  // no usable CUDA device: the CPU
  }
  return machine_defaults(cuda, QThread::idealThreadCount());
}

QString TrainingForm::preset_description() const {
  const std::string name = preset_->currentData().toString().toStdString();
  try {
    return q(pl::model::preset_description(name));
  } catch (const std::exception&) {
    return {};
  }
}

TrainingForm::~TrainingForm() { watcher_.waitForFinished(); }

QSpinBox* TrainingForm::add_int(const QString& label, int min, int max, int def, const QString& tip, QWidget* box) {
  auto* s = new QSpinBox(box);
  s->setRange(min, max);
  s->setValue(def);
  s->setToolTip((tip.isEmpty() ? QString() : tip + QStringLiteral("\n")) + tr("Paper default: %1").arg(def));
  fields_.push_back({label, s, [s, def] { return s->value() == def; }});
  return s;
}

QDoubleSpinBox* TrainingForm::add_double(const QString& label, double min, double max, int decimals, double def,
                                         const QString& tip, QWidget* box) {
  auto* s = new QDoubleSpinBox(box);
  s->setDecimals(decimals);
  s->setRange(min, max);
  s->setSingleStep(def > 0 ? def / 10 : 0.1);
  s->setValue(def);
  s->setToolTip((tip.isEmpty() ? QString() : tip + QStringLiteral("\n")) + tr("Paper default: %1").arg(def));
  fields_.push_back({label, s, [s, def] { return std::abs(s->value() - def) <= 0.5 * std::pow(10.0, -s->decimals()); }});
  return s;
}

void TrainingForm::mark_changed(const Field& f) {
  f.widget->setProperty("changed", !f.is_default());
  f.widget->style()->unpolish(f.widget);
  f.widget->style()->polish(f.widget);
}

QStringList TrainingForm::changed_fields() const {
  QStringList out;
  for (const Field& f : fields_) {
    if (!f.is_default()) out << f.label;
  }
  return out;
}

core::train::TrainConfig TrainingForm::config() const {
  core::train::TrainConfig c = base_;
  c.data_root = data_dir_->text().trimmed().toStdString();
  c.split = split_->currentData().toString().toStdString();
  c.max_images = max_images_->value();
  c.preset = preset_->currentData().toString().toStdString();
  c.backbone_weights = backbone_->text().trimmed().toStdString();
  c.epochs = epochs_->value();
  c.batch = batch_->value();
  c.optimizer = optimizer_->currentData().toString().toStdString();
  c.lr = lr_->value();
  c.momentum = momentum_->value();
  c.weight_decay = weight_decay_->value();
  c.warmup_iters = warmup_->value();
  c.ema_decay = ema_->value();
  c.aux_weight = aux_->value();
  c.dice_weight = dice_->value();
  c.crop_h = crop_h_->value();
  c.crop_w = crop_w_->value();
  c.val_every = val_every_->value();
  c.seed = static_cast<uint64_t>(seed_->value());
  c.device = device_->currentData().toString().toStdString();
  c.threads = threads_->value();
  c.amp = amp_->currentData().toString().toStdString();
  c.out_dir = out_dir_->text().trimmed().toStdString();
  return c;
}

void TrainingForm::set_config(const core::train::TrainConfig& c) {
  const QScopedValueRollback<bool> guard(syncing_, true);
  base_ = c;
  base_.resume = false;  // a resume is asked for at Start, never carried by the form
  data_dir_->setText(q(c.data_root));
  select(split_, q(c.split));
  max_images_->setValue(c.max_images);
  select(preset_, q(c.preset));
  backbone_->setText(q(c.backbone_weights));
  epochs_->setValue(c.epochs);
  batch_->setValue(c.batch);
  select(optimizer_, q(c.optimizer));
  lr_->setValue(c.lr);
  momentum_->setValue(c.momentum);
  weight_decay_->setValue(c.weight_decay);
  warmup_->setValue(c.warmup_iters);
  ema_->setValue(c.ema_decay);
  aux_->setValue(c.aux_weight);
  dice_->setValue(c.dice_weight);
  crop_h_->setValue(c.crop_h);
  crop_w_->setValue(c.crop_w);
  val_every_->setValue(c.val_every);
  seed_->setValue(static_cast<int>(c.seed));
  select(device_, q(c.device));
  threads_->setValue(c.threads);
  select(amp_, q(c.amp));
  out_dir_->setText(q(c.out_dir));
  recipe_keys_.clear();
  show_recipe(q(c.recipe));
  rescan();
}

void TrainingForm::set_data_folder(const QString& folder) {
  data_dir_->setText(folder);
  rescan();
}

void TrainingForm::set_output_folder(const QString& folder) { out_dir_->setText(folder); }
void TrainingForm::set_backbone_weights(const QString& path) { backbone_->setText(path); }
QString TrainingForm::output_folder() const { return out_dir_->text().trimmed(); }
QString TrainingForm::summary_text() const { return summary_text_; }

void TrainingForm::set_editable(bool on) {
  for (QWidget* w : editable_) w->setEnabled(on);
}

void TrainingForm::show_summary(const QString& html, bool ok) {
  summary_label_->setText(html);
  summary_text_ = summary_label_->text();
  Q_EMIT summary_ready(ok);
}

void TrainingForm::rescan() {
  const QString root = data_dir_->text().trimmed();
  if (root.isEmpty()) {
    summary_ = {};
    show_summary(tr("Choose the data set folder (images/ and masks/)."), false);
    return;
  }
  if (watcher_.isRunning()) {
    pending_scan_ = root;
    return;
  }
  core::data::DatasetOptions o;
  o.root = root.toStdString();
  o.split = split_->currentData().toString().toStdString();
  o.max_images = max_images_->value();
  o.seed = static_cast<uint64_t>(seed_->value());
  // A saved split in the output folder is what the run will use; read it, never write it from here.
  const QString saved = QDir(output_folder()).filePath("split.json");
  if (!output_folder().isEmpty() && QFileInfo::exists(saved)) o.split_dir = output_folder().toStdString();
  show_summary(tr("Scanning %1…").arg(root.toHtmlEscaped()), false);
  watcher_.setFuture(QtConcurrent::run([root, o]() {
    ScanResult r;
    r.root = root;
    try {
      r.summary = core::data::scan_dataset(o).summary;
    } catch (const std::exception& e) {
      r.error = QString::fromStdString(e.what());
    }
    return r;
  }));
}

}  // namespace pl::ui
