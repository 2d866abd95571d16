#pragma once
// The left side of the Training tab: data set (folder, split, summary with the problems named),
// model preset, a recipe (core/train/recipes.h: a built-in or a JSON file) and the hyperparameters it
// fills in (fields that differ from the paper's defaults are highlighted), device and output folder.
// It edits a core::train::TrainConfig and nothing else; settings without a field (a recipe's min_lr,
// AdamW's betas, ...) are kept as the last recipe or set_config() left them.
//
// Recipes: choosing one puts every setting that a recipe sets back to the paper's default and applies
// the recipe over them, as `polyplens train --recipe` does over the defaults (docs/recipe.md §6); the
// fields stay editable after. Until the user picks one, the preset's default recipe applies
// (default_recipe()), and a preset change re-applies the new preset's default.
//
// Threading model: GUI thread only. Scanning the data folder (file names only, but the folder may
// be on a slow disk) runs through QtConcurrent; its result is applied on the GUI thread and a
// result for a folder that is no longer selected is dropped.
#include <QFutureWatcher>
#include <QWidget>
#include <functional>
#include <vector>

#include "core/data/dataset.h"
#include "core/train/train_config.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTimer;

namespace pl::ui {

class Settings;

class TrainingForm : public QWidget {
  Q_OBJECT

 public:
  explicit TrainingForm(Settings& settings, QWidget* parent = nullptr);
  ~TrainingForm() override;

  // The configuration the fields describe (not validated: Trainer does that and names the field).
  core::train::TrainConfig config() const;
  // Fills the fields (e.g. from a run's config.json before resuming). Shows c.recipe in the recipe
  // list without applying it (the settings already are the recipe's).
  void set_config(const core::train::TrainConfig& c);

  // The recipe a preset starts from: "paper" for the paper's presets (ann-r50, ann-r101), "scratch"
  // for the small CPU presets, which are trained without ImageNet weights.
  static QString default_recipe(const QString& preset);
  // Applies a built-in recipe by name or a recipe JSON file by path, as the user's choice. On an error
  // (unknown name, unreadable file, a key that is not a setting) nothing changes, the form shows the
  // message (recipe_error()) and it returns false.
  bool choose_recipe(const QString& name_or_file);
  // The user's choice (a built-in name or a file path); empty while the preset's default applies.
  QString recipe_choice() const { return recipe_choice_; }
  QString recipe_error() const;

  void set_data_folder(const QString& folder);
  void set_output_folder(const QString& folder);
  void set_backbone_weights(const QString& path);
  QString output_folder() const;
  // A run folder that does not exist yet: <user data>/runs/run-<date>-<time>[-N].
  static QString new_run_folder();
  // What the preset list offers on this machine when nothing was saved: the paper's recipe with a
  // GPU; without one, on a small CPU, ann-r18-live for 30 epochs (the paper's ann-r50 x 500 epochs
  // would take weeks there).
  static core::train::TrainConfig machine_defaults(bool has_cuda, int cpu_threads);
  static core::train::TrainConfig machine_defaults();  // for this machine
  QString preset_description() const;  // the selected preset's, as shown under the list
  // Fields whose value differs from the paper's default (TrainConfig{}), by label.
  QStringList changed_fields() const;
  // The newest scan result (empty root before the first scan finishes), and whether it failed.
  const core::data::DatasetSummary& summary() const { return summary_; }
  QString summary_text() const;
  bool scanning() const { return watcher_.isRunning(); }

  // Training processes on this machine: 1 trains in this process (a thread of the window); N > 1
  // starts `polyplens train --nproc N` (docs/distributed.md §6). Always 1 when this build has no
  // distributed training (the field is disabled and says why).
  int processes() const;
  void set_processes(int n);
  static bool distributed_available();

  void set_editable(bool on);

 Q_SIGNALS:
  void summary_ready(bool ok);

 private:
  struct Field {
    QString label;
    QWidget* widget;
    std::function<bool()> is_default;
  };
  QSpinBox* add_int(const QString& label, int min, int max, int def, const QString& tip, QWidget* box);
  QDoubleSpinBox* add_double(const QString& label, double min, double max, int decimals, double def,
                             const QString& tip, QWidget* box);
  void mark_changed(const Field& f);
  void rescan();
  // Applies `name_or_file` to the fields; throws std::invalid_argument naming what is wrong.
  void apply_recipe(const QString& name_or_file);
  // Shows `name` (a built-in, or a file's path) as the current recipe, without applying it.
  void show_recipe(const QString& name_or_file);
  void on_recipe_selected(int index);
  void on_preset_changed();
  void show_summary(const QString& html, bool ok);
  void describe_processes();

  Settings& settings_;
  std::vector<Field> fields_;
  QLineEdit* data_dir_ = nullptr;
  QComboBox* split_ = nullptr;
  QSpinBox* max_images_ = nullptr;
  QLabel* summary_label_ = nullptr;
  QComboBox* preset_ = nullptr;
  QLabel* preset_note_ = nullptr;
  QComboBox* recipe_ = nullptr;
  QLabel* recipe_note_ = nullptr;
  QLabel* recipe_error_ = nullptr;
  QComboBox* optimizer_ = nullptr;
  QSpinBox* warmup_ = nullptr;
  QDoubleSpinBox* ema_ = nullptr;
  // The configuration behind the fields: what set_config() or the last recipe gave, for the settings
  // the form has no field for.
  core::train::TrainConfig base_;
  QString recipe_choice_;               // the user's pick; empty = the preset's default
  std::vector<std::string> recipe_keys_;  // the settings the last applied recipe set
  int recipe_index_ = 0;                // the recipe list's entry before the current selection
  bool syncing_ = false;                // the form itself is changing fields: no recipe reactions
  QTimer* rescan_timer_ = nullptr;
  QLineEdit* backbone_ = nullptr;
  QSpinBox *epochs_ = nullptr, *batch_ = nullptr, *crop_h_ = nullptr, *crop_w_ = nullptr;
  QSpinBox *val_every_ = nullptr, *seed_ = nullptr, *threads_ = nullptr;
  QDoubleSpinBox *lr_ = nullptr, *momentum_ = nullptr, *weight_decay_ = nullptr, *aux_ = nullptr, *dice_ = nullptr;
  QComboBox* device_ = nullptr;
  QComboBox* amp_ = nullptr;
  QSpinBox* processes_ = nullptr;
  QLabel* processes_note_ = nullptr;
  QLineEdit* out_dir_ = nullptr;
  QList<QWidget*> editable_;

  struct ScanResult {
    QString root;
    core::data::DatasetSummary summary;
    QString error;
  };
  QFutureWatcher<ScanResult> watcher_;
  QString pending_scan_;
  core::data::DatasetSummary summary_;
  QString summary_text_;
};

}  // namespace pl::ui
