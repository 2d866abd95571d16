#include "ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressDialog>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <functional>
#include <tuple>

#include "ui/help_dialogs.h"
#include "ui/live_tab.h"
#include "ui/model_loader.h"
#include "ui/review_panel.h"
#include "ui/source_bar.h"
#include "ui/training_form.h"
#include "ui/training_tab.h"

namespace pl::ui {

namespace {

const char* kVideoFilter =
    "Videos (*.mp4 *.mkv *.avi *.mov *.webm *.m4v *.mpg *.mpeg *.ts);;All files (*)";
const char* kCheckpointFilter = "Checkpoints (*.pt *.pth *.ckpt);;All files (*)";

}  // namespace

bool MainWindow::is_checkpoint_path(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  return suffix == "pt" || suffix == "pth" || suffix == "ckpt";
}

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(QStringLiteral("PolypLens"));
  setWindowIcon(QIcon(QStringLiteral(":/icons/polyplens.png")));
  setAcceptDrops(true);

  tabs_ = new QTabWidget(this);
  tabs_->setDocumentMode(true);
  live_ = new LiveTab(settings_, tabs_);
  training_ = new TrainingTab(settings_, tabs_);
  tabs_->addTab(live_, tr("Live / Review"));
  tabs_->addTab(training_, tr("Training"));
  setCentralWidget(tabs_);

  model_label_ = new QLabel(this);
  source_label_ = new QLabel(this);
  statusBar()->addWidget(source_label_, 1);
  statusBar()->addPermanentWidget(model_label_);
  source_label_->setText(tr("Source: %1").arg(live_->source_description()));
  model_label_->setText(tr("Model: %1").arg(live_->model()->summary()));

  build_menus();

  connect(live_, &LiveTab::source_changed, this, [this](const QString& d) {
    source_label_->setText(tr("Source: %1").arg(d));
  });
  connect(live_->model(), &ModelLoader::changed, this, [this](const QString& m) {
    model_label_->setText(tr("Model: %1").arg(m));
  });
  connect(live_, &LiveTab::overlay_mode_changed, this, [this](const QString& mode) {
    for (QAction* a : overlay_group_->actions()) {
      if (a->data().toString() == mode) a->setChecked(true);
    }
  });
  connect(live_, &LiveTab::full_screen_toggled, this, [this] { set_full_screen(!isFullScreen()); });
  connect(live_, &LiveTab::open_file_requested, this, &MainWindow::open_video_dialog);
  connect(training_, &TrainingTab::running_changed, live_, &LiveTab::set_training_running);
  connect(training_, &TrainingTab::use_checkpoint, this, [this](const QString& path) {
    live_->model()->load(path);
    tabs_->setCurrentWidget(live_);
  });
  // The Live tab's single-key shortcuts (space, arrows, N, P, R) must not fire while the user
  // works in the Training tab.
  auto enable_live_keys = [this] {
    const bool on = tabs_->currentWidget() == live_;
    for (QAction* a : live_->actions()) a->setEnabled(on);
  };
  connect(tabs_, &QTabWidget::currentChanged, this, enable_live_keys);
  enable_live_keys();

  if (!restoreGeometry(settings_.window_geometry())) resize(1280, 800);
  restoreState(settings_.window_state());
}

MainWindow::~MainWindow() = default;

void MainWindow::build_menus() {
  // File
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("Open video…"), QKeySequence::Open, this, &MainWindow::open_video_dialog);
  open_sample_ = file->addAction(tr("Open sample clip"), this, [this] { open_path(sample_); });
  open_sample_->setEnabled(false);
  open_sample_->setToolTip(tr("The bundled sample clip was not found"));
  file->addAction(tr("Open stream URL…"), QKeySequence(Qt::CTRL | Qt::Key_U), this,
                  &MainWindow::open_url_dialog);
  file->addAction(tr("Open device…"), QKeySequence(Qt::CTRL | Qt::Key_D), this, &MainWindow::open_device_dialog);
  recent_menu_ = file->addMenu(tr("Open recent"));
  connect(recent_menu_, &QMenu::aboutToShow, this, &MainWindow::rebuild_recent_menu);
  rebuild_recent_menu();
  file->addAction(tr("Close source"), QKeySequence(Qt::CTRL | Qt::Key_W), live_, &LiveTab::stop_source);
  file->addSeparator();
  file->addAction(tr("Export snapshot"), QKeySequence(Qt::Key_S), live_, &LiveTab::snapshot);
  file->addAction(live_->record_action());
  file->addAction(tr("Export frames…"), this, &MainWindow::export_frames_dialog);
  file->addAction(tr("Export detection report (CSV)…"), this, [this] {
    const QString dir = settings_.last_folder("export").isEmpty() ? live_->snapshot_folder()
                                                                 : settings_.last_folder("export");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export detection report"),
                                                      QDir(dir).filePath(QStringLiteral("detections.csv")),
                                                      tr("CSV files (*.csv)"));
    if (path.isEmpty()) return;
    settings_.set_last_folder("export", QFileInfo(path).absolutePath());
    live_->review()->export_detection_report(path);
  });
  file->addSeparator();
  QAction* quit = file->addAction(tr("Quit"), QKeySequence::Quit, this, &QWidget::close);
  quit->setMenuRole(QAction::QuitRole);

  // Model
  QMenu* model = menuBar()->addMenu(tr("&Model"));
  model->addAction(tr("Load checkpoint…"), QKeySequence(Qt::CTRL | Qt::Key_L), this,
                   &MainWindow::load_checkpoint_dialog);
  model->addAction(tr("Load backbone weights…"), this, &MainWindow::load_backbone_dialog);
  QMenu* device = model->addMenu(tr("Device"));
  device_group_ = new QActionGroup(this);
  for (const auto& [name, label, tip] :
       {std::tuple<QString, QString, QString>{"auto", tr("Automatic"), tr("The GPU when there is one, else the CPU")},
        {"cpu", tr("CPU"), tr("Always the CPU")},
        {"cuda", tr("GPU (CUDA)"), tr("Needs a CUDA build of PolypLens and an NVIDIA GPU")}}) {
    QAction* a = device->addAction(label);
    a->setCheckable(true);
    a->setData(name);
    a->setToolTip(tip);
    a->setChecked(name == live_->model()->device());
    device_group_->addAction(a);
    connect(a, &QAction::triggered, this, [this, n = name] { live_->model()->set_device(n); });
  }

  // View
  QMenu* view = menuBar()->addMenu(tr("&View"));
  QMenu* overlay = view->addMenu(tr("Overlay mode"));
  overlay_group_ = new QActionGroup(this);
  const QString current = live_->overlay_mode();
  for (const auto& [mode, label] : {std::pair<QString, QString>{"fill", tr("Fill")},
                                    {"outline", tr("Outline")},
                                    {"off", tr("Off")}}) {
    QAction* a = overlay->addAction(label);
    a->setCheckable(true);
    a->setData(mode);
    a->setChecked(mode == current);
    overlay_group_->addAction(a);
    connect(a, &QAction::triggered, this, [this, m = mode] { set_overlay_mode(m); });
  }
  overlay->addSeparator();
  QAction* cycle = overlay->addAction(tr("Cycle overlay mode"), QKeySequence(Qt::Key_O), live_,
                                      &LiveTab::cycle_overlay_mode);
  cycle->setObjectName("cycle_overlay");
  QAction* in_view = view->addAction(tr("Overlay only inside the scope's view"));
  in_view->setObjectName("overlay_limit_to_view");
  in_view->setToolTip(tr("Leave the black border around the endoscope's picture unpainted"));
  in_view->setCheckable(true);
  in_view->setChecked(live_->overlay_limit_to_view());
  connect(in_view, &QAction::toggled, live_, &LiveTab::set_overlay_limit_to_view);
  full_screen_ = view->addAction(tr("Full screen"));
  full_screen_->setShortcuts({QKeySequence(Qt::Key_F11), QKeySequence::FullScreen});
  full_screen_->setCheckable(true);
  connect(full_screen_, &QAction::toggled, this, &MainWindow::set_full_screen);
  QAction* leave = new QAction(this);
  leave->setShortcut(QKeySequence(Qt::Key_Escape));
  connect(leave, &QAction::triggered, this, [this] { set_full_screen(false); });
  addAction(leave);
  view->addAction(tr("Detection segments…"), QKeySequence(Qt::CTRL | Qt::Key_G), live_->review(),
                  &ReviewPanel::show_segments);
  hud_ = view->addAction(tr("HUD"));
  hud_->setShortcut(QKeySequence(Qt::Key_H));
  hud_->setCheckable(true);
  hud_->setChecked(settings_.hud_visible());
  connect(hud_, &QAction::toggled, live_, &LiveTab::set_hud_visible);
  view->addSeparator();
  view->addAction(tr("Live / Review tab"), QKeySequence(Qt::CTRL | Qt::Key_1), this,
                  [this] { tabs_->setCurrentWidget(live_); });
  view->addAction(tr("Training tab"), QKeySequence(Qt::CTRL | Qt::Key_2), this,
                  [this] { tabs_->setCurrentWidget(training_); });

  // Help
  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("Keyboard shortcuts"), QKeySequence(Qt::Key_F1), this, [this] { show_shortcuts(this); });
  QAction* about = help->addAction(tr("About PolypLens"), this, [this] {
    const ModelLoader* m = live_->model();
    show_about(this, m->checkpoint().isEmpty() ? QString() : m->preset(), m->summary());
  });
  about->setMenuRole(QAction::AboutRole);

  // Full screen hides the menu bar, and with it the shortcuts of its actions: the window holds them
  // too, so H, O, S, R and the rest work in full screen.
  std::function<void(QMenu*)> hold = [&](QMenu* menu) {
    for (QAction* a : menu->actions()) {
      if (a->menu()) hold(a->menu());
      else if (!a->shortcuts().isEmpty() && !actions().contains(a)) addAction(a);
    }
  };
  for (QAction* a : menuBar()->actions()) {
    if (a->menu()) hold(a->menu());
  }
}

void MainWindow::set_sample_clip(const QString& path) {
  sample_ = QFileInfo(path).isFile() ? QFileInfo(path).absoluteFilePath() : QString();
  open_sample_->setEnabled(!sample_.isEmpty());
  open_sample_->setToolTip(sample_.isEmpty() ? tr("The bundled sample clip was not found") : sample_);
}

QString MainWindow::open_startup_source() {
  const bool first = settings_.first_run();
  settings_.set_first_run_done();
  const QString last = settings_.last_source();
  const bool is_file = !last.contains(QStringLiteral("://")) && !last.startsWith(QStringLiteral("test")) &&
                       !last.startsWith(QStringLiteral("/dev/"));
  QString spec;
  if (!last.isEmpty() && (!is_file || QFileInfo(last).isFile())) {
    spec = last;
  } else if (first && !sample_.isEmpty()) {
    spec = sample_;
  }
  if (!spec.isEmpty()) open_path(spec);
  return spec;
}

QString MainWindow::open_dialog_folder() const {
  const QString last = settings_.last_folder("video");
  if (!last.isEmpty() && QFileInfo(last).isDir()) return last;
  if (!sample_.isEmpty()) return QFileInfo(sample_).absolutePath();
  const QString videos = QStandardPaths::writableLocation(QStandardPaths::MoviesLocation);
  return QFileInfo(videos).isDir() ? videos : QDir::homePath();
}

void MainWindow::rebuild_recent_menu() {
  recent_menu_->clear();
  const QStringList files = settings_.recent_files(), urls = settings_.recent_urls();
  for (const QString& f : files) {
    recent_menu_->addAction(QFileInfo(f).fileName(), this, [this, f] { open_path(f); })->setToolTip(f);
  }
  if (!files.isEmpty() && !urls.isEmpty()) recent_menu_->addSeparator();
  for (const QString& u : urls) recent_menu_->addAction(u, this, [this, u] { open_path(u); });
  if (files.isEmpty() && urls.isEmpty()) {
    recent_menu_->addAction(tr("(nothing yet)"))->setEnabled(false);
  } else {
    recent_menu_->addSeparator();
    recent_menu_->addAction(tr("Clear list"), this, [this] {
      settings_.clear_recent();
      live_->refresh_sources();
    });
  }
}

void MainWindow::open_path(const QString& path) {
  if (path.isEmpty()) return;
  if (is_checkpoint_path(path)) {
    live_->model()->load(path);
    return;
  }
  // Streams, devices and the test pattern are opened as typed; files by absolute path.
  // Recent and the source to reopen are updated by the tab once the source plays (a source that
  // never opened is not remembered).
  const bool is_uri = path.contains(QStringLiteral("://")) || path == QStringLiteral("test") ||
                      path.startsWith(QStringLiteral("test:")) || path.startsWith(QStringLiteral("/dev/video"));
  tabs_->setCurrentWidget(live_);
  live_->open_source(is_uri ? path : QFileInfo(path).absoluteFilePath());
}

void MainWindow::open_video_dialog() {
  const QString path =
      QFileDialog::getOpenFileName(this, tr("Open video"), open_dialog_folder(), tr(kVideoFilter));
  open_path(path);
}

void MainWindow::open_url_dialog() {
  const QStringList recent = settings_.recent_urls();
  bool ok = false;
  const QString url = QInputDialog::getItem(
      this, tr("Open stream URL"), tr("Stream URL (rtsp://, http://, udp://, …):"),
      recent.isEmpty() ? QStringList{QStringLiteral("rtsp://")} : recent, 0, true, &ok);
  if (!ok || url.trimmed().isEmpty()) return;
  if (!url.contains(QStringLiteral("://"))) {
    QMessageBox::warning(this, tr("Open stream URL"),
                         tr("'%1' is not a URL. Use a form like rtsp://host:8554/stream.").arg(url));
    return;
  }
  open_path(url.trimmed());
}

void MainWindow::open_device_dialog() {
  const auto devices = SourceBar::find_devices();
  QStringList labels;
  QStringList specs;
  for (const auto& d : devices) {
    labels << d.label;
    specs << d.spec;
  }
  labels << tr("Test pattern");
  specs << QStringLiteral("test:smpte");
  bool ok = false;
  const QString label = QInputDialog::getItem(
      this, tr("Open device"),
      devices.isEmpty() ? tr("No capture devices found. Connect a camera (and check that you are in the "
                             "'video' group), or open the test pattern:")
                        : tr("Capture device:"),
      labels, 0, false, &ok);
  if (ok) open_path(specs.value(labels.indexOf(label)));
}

void MainWindow::load_checkpoint_dialog() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Load checkpoint"),
                                                    settings_.last_folder("checkpoint"), tr(kCheckpointFilter));
  if (path.isEmpty()) return;
  settings_.set_last_folder("checkpoint", QFileInfo(path).absolutePath());
  live_->model()->load(path);
}

void MainWindow::load_backbone_dialog() {
  const QString path = QFileDialog::getOpenFileName(
      this, tr("Load backbone weights (torchvision ResNet)"), settings_.last_folder("checkpoint"),
      tr(kCheckpointFilter));
  if (path.isEmpty()) return;
  settings_.set_last_folder("checkpoint", QFileInfo(path).absolutePath());
  // ImageNet backbone weights initialise training; on their own they cannot segment anything.
  training_->form()->set_backbone_weights(path);
  tabs_->setCurrentWidget(training_);
  statusBar()->showMessage(tr("Backbone weights set for the next training run: %1").arg(path), 8000);
}

void MainWindow::export_frames_dialog() {
  QDialog dialog(this);
  dialog.setWindowTitle(tr("Export frames"));
  auto* form = new QFormLayout(&dialog);
  auto* detections = new QRadioButton(tr("Every frame with a detection"), &dialog);
  auto* nth = new QRadioButton(tr("Every Nth frame"), &dialog);
  auto* n = new QSpinBox(&dialog);
  n->setRange(1, 100000);
  n->setValue(25);
  (live_->model()->loaded() ? detections : nth)->setChecked(true);
  detections->setEnabled(live_->model()->loaded());
  if (!live_->model()->loaded()) detections->setToolTip(tr("Needs a model: Model ▸ Load checkpoint…"));
  auto* folder = new QLineEdit(settings_.last_folder("export").isEmpty() ? live_->snapshot_folder()
                                                                          : settings_.last_folder("export"),
                               &dialog);
  auto* browse = new QPushButton(tr("Browse…"), &dialog);
  connect(browse, &QPushButton::clicked, &dialog, [&] {
    const QString d = QFileDialog::getExistingDirectory(&dialog, tr("Export to"), folder->text());
    if (!d.isEmpty()) folder->setText(d);
  });
  auto* row = new QHBoxLayout;
  row->addWidget(folder, 1);
  row->addWidget(browse);
  form->addRow(detections);
  auto* nth_row = new QHBoxLayout;
  nth_row->addWidget(nth);
  nth_row->addWidget(n);
  form->addRow(nth_row);
  form->addRow(tr("Into"), row);
  form->addRow(new QLabel(tr("Each frame: the frame, its mask, the overlay and a JSON sidecar, in a new subfolder."),
                          &dialog));
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  form->addRow(buttons);
  if (dialog.exec() != QDialog::Accepted) return;
  settings_.set_last_folder("export", folder->text());
  if (!live_->review()->export_frames(folder->text(), detections->isChecked(), n->value())) return;

  auto* progress = new QProgressDialog(tr("Exporting frames…"), tr("Cancel"), 0, 1000, this);
  progress->setWindowModality(Qt::NonModal);
  progress->setMinimumDuration(0);
  progress->setAttribute(Qt::WA_DeleteOnClose);
  connect(live_->review(), &ReviewPanel::export_progress, progress, [progress](double f) {
    progress->setValue(static_cast<int>(f * 1000));
  });
  connect(live_->review(), &ReviewPanel::export_finished, progress, [progress] { progress->close(); });
  connect(progress, &QProgressDialog::canceled, live_->review(), &ReviewPanel::cancel_export);
  progress->show();
}

void MainWindow::set_overlay_mode(const QString& mode) { live_->set_overlay_mode(mode); }

void MainWindow::set_full_screen(bool on) {
  if (on == isFullScreen()) return;
  // Full screen is for the video: no menus, tabs or status bar, only the picture and its controls.
  menuBar()->setVisible(!on);
  statusBar()->setVisible(!on);
  tabs_->tabBar()->setVisible(!on);
  if (on) {
    tabs_->setCurrentWidget(live_);
    showFullScreen();
  } else {
    showNormal();
  }
  const QSignalBlocker block(full_screen_);
  full_screen_->setChecked(on);
}

void MainWindow::changeEvent(QEvent* e) {
  if (e->type() == QEvent::WindowStateChange && !isFullScreen() && !menuBar()->isVisible()) {
    set_full_screen(false);  // left full screen through the window manager
  }
  QMainWindow::changeEvent(e);
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (training_->is_running()) {
    const auto answer = QMessageBox::question(
        this, tr("Training is running"),
        tr("Stop training and quit?\n\nA resumable checkpoint is saved first; resume it later from the "
           "Training tab."),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
    if (answer != QMessageBox::Yes || !training_->stop_and_wait()) {
      e->ignore();
      return;
    }
  }
  if (!isFullScreen()) settings_.set_window_geometry(saveGeometry());
  settings_.set_window_state(saveState());
  live_->close_source();
  e->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
  if (e->mimeData()->hasUrls()) e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e) {
  for (const QUrl& url : e->mimeData()->urls()) {
    open_path(url.isLocalFile() ? url.toLocalFile() : url.toString());
  }
  e->acceptProposedAction();
}

}  // namespace pl::ui
