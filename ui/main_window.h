#pragma once
// The one window: tabs Live / Review and Training, the menus, the status bar (model and source),
// full screen, drag and drop of videos and checkpoints, and what is remembered between runs.
// Thread: GUI thread only. Long work lives in the tabs' workers; nothing here blocks.
#include <QMainWindow>

#include "ui/settings.h"

class QAction;
class QActionGroup;
class QLabel;
class QMenu;
class QTabWidget;

namespace pl::ui {

class LiveTab;
class TrainingTab;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  LiveTab* live_tab() const { return live_; }
  TrainingTab* training_tab() const { return training_; }
  QTabWidget* tabs() const { return tabs_; }

  // Opens whatever the path is: a checkpoint (.pt/.pth/.ckpt) goes to the model, anything else
  // (file, URI, device) to the Live tab. Used by drag and drop, the command line and Open recent.
  void open_path(const QString& path);
  void set_full_screen(bool on);

  // The bundled sample clip (File ▸ Open sample clip; opened on the first run). Empty: none found.
  void set_sample_clip(const QString& path);
  QString sample_clip() const { return sample_; }
  // At start without a video named: reopens the source that last played, else on the first run the
  // sample clip. Returns what it opened ("" for nothing).
  QString open_startup_source();
  // Where File ▸ Open video… starts: the last folder used, else the sample's, else the Videos folder.
  QString open_dialog_folder() const;

  // Checkpoint file suffixes the window treats as models (lower case, no dot).
  static bool is_checkpoint_path(const QString& path);

 protected:
  void closeEvent(QCloseEvent* e) override;
  void dragEnterEvent(QDragEnterEvent* e) override;
  void dropEvent(QDropEvent* e) override;
  void changeEvent(QEvent* e) override;

 private:
  void build_menus();
  void rebuild_recent_menu();
  void open_video_dialog();
  void open_url_dialog();
  void open_device_dialog();
  void load_checkpoint_dialog();
  void load_backbone_dialog();
  void export_frames_dialog();
  void set_overlay_mode(const QString& mode);

  Settings settings_;
  QTabWidget* tabs_ = nullptr;
  LiveTab* live_ = nullptr;
  TrainingTab* training_ = nullptr;
  QLabel* model_label_ = nullptr;
  QLabel* source_label_ = nullptr;
  QMenu* recent_menu_ = nullptr;
  QActionGroup* overlay_group_ = nullptr;
  QActionGroup* device_group_ = nullptr;
  QAction* full_screen_ = nullptr;
  QAction* hud_ = nullptr;
  QAction* open_sample_ = nullptr;
  QString sample_;
};

}  // namespace pl::ui
