#include "ui/live_tab.h"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>

#include "core/export/batch_export.h"
#include "core/export/export_paths.h"
#include "core/export/recorder.h"
#include "core/export/snapshot.h"
#include "core/log/log.h"
#include "core/overlay/overlay.h"
#include "core/review/detection_scan.h"
#include "core/review/segment_report.h"
#include "core/video/make_source.h"
#include "ui/image_convert.h"
#include "core/pipeline/predictor_segmenter.h"
#include "ui/settings.h"
#include "ui/source_bar.h"
#include "ui/timeline_slider.h"
#include "ui/transport_bar.h"
#include "ui/video_view.h"

namespace pl::ui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

// What the user can do about a source error, by category.
QString advice(const core::VideoError& e) {
  using C = core::VideoErrorCategory;
  switch (e.category) {
    case C::InvalidInput: return QObject::tr("Open a video file, a stream URL (rtsp://…) or a camera.");
    case C::NotFound: return QObject::tr("Check the path or pick another source.");
    case C::PermissionDenied: return QObject::tr("Check the file or device permissions (video group for cameras).");
    case C::Busy: return QObject::tr("Close the other program using the camera, then reconnect.");
    case C::MissingPlugin:
      return QObject::tr("Install the GStreamer plugins (gstreamer1.0-libav, -plugins-good, -plugins-ugly).");
    case C::NoVideo: return QObject::tr("The file holds no video stream; pick another file.");
    case C::DecodeError: return QObject::tr("The stream is damaged or in an unsupported format.");
    case C::Network: return QObject::tr("Check the address and the network.");
    case C::DeviceLost: return QObject::tr("Check the camera's cable.");
    case C::Stalled: return QObject::tr("The source stopped sending frames.");
    case C::WriteError: return QObject::tr("Check the disk space and the folder's permissions.");
    case C::Internal: break;
  }
  return QObject::tr("See the log for details.");
}

}  // namespace

LiveTab::LiveTab(Settings& settings, QWidget* parent) : QWidget(parent), settings_(settings) {
  source_bar_ = new SourceBar(this);
  view_ = new VideoView(this);
  transport_ = new TransportBar(this);
  transport_->hide();

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);
  layout->addWidget(source_bar_);
  layout->addWidget(view_, 1);
  layout->addWidget(transport_);

  overlay_mode_ = settings_.overlay_mode();
  overlay_alpha_ = settings_.overlay_alpha();
  device_ = settings_.device();
  source_bar_->set_overlay_mode(overlay_mode_);
  source_bar_->set_overlay_alpha(overlay_alpha_);
  view_->set_hud_visible(settings_.hud_visible());
  refresh_sources();

  connect(source_bar_, &SourceBar::open_requested, this, &LiveTab::open_source);
  connect(source_bar_, &SourceBar::open_file_requested, this, &LiveTab::open_file_requested);
  connect(source_bar_, &SourceBar::overlay_mode_selected, this, &LiveTab::set_overlay_mode);
  connect(source_bar_, &SourceBar::overlay_alpha_changed, this, &LiveTab::set_overlay_alpha);
  connect(view_, &VideoView::double_clicked, this, &LiveTab::full_screen_toggled);
  connect(transport_, &TransportBar::play_pause_requested, this, &LiveTab::play_pause);
  connect(transport_, &TransportBar::step_requested, this, &LiveTab::step);
  connect(transport_, &TransportBar::seek_requested, this, &LiveTab::seek);
  connect(transport_, &TransportBar::speed_changed, this, &LiveTab::set_speed);
  connect(transport_, &TransportBar::next_detection_requested, this, &LiveTab::next_detection);
  connect(transport_, &TransportBar::previous_detection_requested, this, &LiveTab::previous_detection);
  connect(transport_, &TransportBar::scan_requested, this, &LiveTab::scan_detections);
  connect(&loader_, &QFutureWatcher<LoadResult>::finished, this, [this] { on_loaded(loader_.result()); });

  session_ = std::make_unique<core::LiveSession>();
  core::SessionCallbacks cb;
  cb.on_update = [this] { QMetaObject::invokeMethod(this, [this] { pull(); }, Qt::QueuedConnection); };
  cb.on_state = [this](core::SourceState s, const core::SourceInfo& info) {
    QMetaObject::invokeMethod(this, [this, s, info] { on_state(s, info); }, Qt::QueuedConnection);
  };
  cb.on_error = [this](const core::VideoError& e) {
    QMetaObject::invokeMethod(this, [this, e] { on_error(e); }, Qt::QueuedConnection);
  };
  cb.on_reconnect = [this](const core::ReconnectInfo& r) {
    QMetaObject::invokeMethod(this, [this, r] { on_reconnect(r); }, Qt::QueuedConnection);
  };
  cb.on_mask = [this, track = track_](const core::MaskResult& m) {
    track->record_mask(m.frame_index, m.mask);  // thread-safe, O(1)
    QMetaObject::invokeMethod(this, [this, f = m.frame_index, a = m.polyp_area_percent / 100.0] {
      on_mask_area(f, a);
    }, Qt::QueuedConnection);
  };
  cb.on_inference_error = [this](const std::string& message) {
    QMetaObject::invokeMethod(this, [this, m = q(message)] {
      model_message_ = m;
      view_->show_toast(tr("Inference failed: %1").arg(m), 4000);
    }, Qt::QueuedConnection);
  };
  session_->set_callbacks(std::move(cb));

  install_shortcuts();
  hud_timer_.setInterval(250);  // mask age keeps growing while nothing new arrives
  connect(&hud_timer_, &QTimer::timeout, this, [this] {
    refresh_hud();
    refresh_strip();
  });
  hud_timer_.start();
  view_->set_placeholder(
      tr("No video source.\n\nFile ▸ Open video… (Ctrl+O), File ▸ Open stream URL… (Ctrl+U),\n"
         "pick a camera above, or drop a video file here."));
  refresh_hud();
}

LiveTab::~LiveTab() {
  scan_.reset();      // cancels and joins
  exporter_.reset();  // cancels and joins
  if (recorder_) recorder_->stop();  // finalises the file
  if (session_) session_->stop();
}

Hud* LiveTab::hud() const { return view_->hud(); }

void LiveTab::install_shortcuts() {
  // Window-wide keys that only mean something here; the main window disables this tab's actions
  // while another tab is current (QWidget::actions() of this widget).
  auto add = [this](const QString& name, const QKeySequence& key, auto fn) {
    auto* a = new QAction(name, this);
    a->setObjectName(name);
    a->setShortcut(key);
    a->setShortcutContext(Qt::WindowShortcut);
    connect(a, &QAction::triggered, this, fn);
    addAction(a);
  };
  add(tr("Play / pause"), QKeySequence(Qt::Key_Space), [this] { play_pause(); });
  add(tr("Previous frame"), QKeySequence(Qt::Key_Left), [this] { step(-1); });
  add(tr("Next frame"), QKeySequence(Qt::Key_Right), [this] { step(+1); });
  add(tr("Back 5 s"), QKeySequence(Qt::SHIFT | Qt::Key_Left), [this] { jump_seconds(-5); });
  add(tr("Forward 5 s"), QKeySequence(Qt::SHIFT | Qt::Key_Right), [this] { jump_seconds(+5); });
  add(tr("Next detection"), QKeySequence(Qt::Key_N), [this] { next_detection(); });
  add(tr("Previous detection"), QKeySequence(Qt::Key_P), [this] { previous_detection(); });
  add(tr("Record"), QKeySequence(Qt::Key_R), [this] { toggle_recording(); });
}

void LiveTab::refresh_sources() { source_bar_->refresh(settings_.recent_urls(), settings_.recent_files()); }

// --- Source ----------------------------------------------------------------------------------

void LiveTab::open_source(const QString& spec) {
  std::unique_ptr<core::FrameSource> source;
  try {
    source = core::make_frame_source(spec.toStdString());
  } catch (const std::exception& e) {
    view_->set_banner(tr("Cannot open '%1': %2").arg(spec, q(e.what())));
    return;
  }
  open_frame_source(std::move(source), spec);
}

void LiveTab::open_frame_source(std::unique_ptr<core::FrameSource> source, const QString& spec) {
  source_spec_ = spec;
  source_bar_->set_current(spec);
  source_info_ = {};
  source_info_.description = source->info().description;
  source_error_.clear();
  shown_ = {};
  shown_mask_.reset();
  shown_index_ = -1;
  frames_shown_ = 0;
  view_->clear_frame();
  view_->set_dimmed(false);
  view_->set_alert(false);
  view_->set_banner(tr("Opening %1…").arg(spec), false);
  scan_.reset();  // a pass over the previous file is of no use now
  scan_pending_ = false;
  transport_->set_scan_progress(-1);
  track_->reset(0, 0);
  track_->set_source(spec.toStdString());
  strip_revision_ = ~uint64_t{0};
  transport_->slider()->set_marks({});
  alert_.reset();
  transport_->set_duration(0, 0);
  transport_->hide();
  pl::log::get("ui")->info("opening source {}", core::redact_credentials(spec.toStdString()));
  session_->set_source(std::move(source));
  session_->start();
  Q_EMIT source_changed(source_description());
}

void LiveTab::close_source() {
  session_->stop();
  source_spec_.clear();
  source_state_ = core::SourceState::Idle;
  source_info_ = {};
  shown_ = {};
  shown_mask_.reset();
  view_->clear_frame();
  view_->set_banner({});
  view_->set_dimmed(false);
  transport_->hide();
  Q_EMIT source_changed(source_description());
}

bool LiveTab::has_source() const { return !source_spec_.isEmpty(); }

QString LiveTab::source_description() const {
  if (source_spec_.isEmpty()) return tr("no source");
  QString d = source_info_.description.empty() ? source_spec_ : q(source_info_.description);
  if (source_info_.width > 0) d += QStringLiteral(" · %1×%2").arg(source_info_.width).arg(source_info_.height);
  if (source_info_.fps > 0) d += tr(" · %1 fps").arg(source_info_.fps, 0, 'f', source_info_.fps < 10 ? 1 : 0);
  d += QStringLiteral(" · ") + q(core::to_string(source_state_));
  return d;
}

void LiveTab::on_state(core::SourceState s, const core::SourceInfo& info) {
  using S = core::SourceState;
  if (source_spec_.isEmpty() && s != S::Stopped) return;  // a late report from a closed source
  source_state_ = s;
  source_info_ = info;
  switch (s) {
    case S::Opening:
      view_->set_banner(info.live ? tr("Connecting to %1…").arg(q(info.description))
                                  : tr("Opening %1…").arg(q(info.description)),
                        false);
      break;
    case S::Paused:
    case S::Playing:
      view_->set_banner({});
      view_->set_dimmed(false);
      source_error_.clear();
      if (info.seekable) {
        if (transport_->frame_count() != info.frame_count || transport_->fps() != info.fps) {
          transport_->set_duration(info.frame_count, info.fps);
        }
        if (track_->known_frames() == 0 && track_->frame_count() != info.frame_count) {
          track_->reset(info.frame_count, info.fps);
        }
        transport_->show();
      } else {
        transport_->hide();
      }
      transport_->set_playing(s == S::Playing);
      break;
    case S::Reconnecting:
      view_->set_dimmed(true);
      break;
    case S::EndOfStream:
      view_->set_banner(tr("End of file — Space plays it again from the start"), false);
      transport_->set_playing(false);
      break;
    case S::Failed:
      view_->set_dimmed(true);
      view_->set_banner(source_error_.isEmpty() ? tr("The source failed; open it again or pick another.")
                                                : source_error_);
      transport_->set_playing(false);
      break;
    case S::Idle:
    case S::Stopped:
      break;
  }
  Q_EMIT source_changed(source_description());
  refresh_hud();
}

void LiveTab::on_error(const core::VideoError& e) {
  source_error_ = tr("%1 %2").arg(q(e.message), advice(e));
  pl::log::get("ui")->warn("source error: {}", e.to_string());
  view_->set_banner(source_error_);
  if (!e.transient) view_->set_dimmed(true);
}

void LiveTab::on_reconnect(const core::ReconnectInfo& r) {
  // Never leave a frozen picture that looks live: grey it out and say what is happening.
  view_->set_dimmed(true);
  view_->set_banner(tr("Source lost — reconnecting in %1 s… (attempt %2)")
                        .arg(r.delay_ms / 1000.0, 0, 'f', r.delay_ms % 1000 ? 1 : 0)
                        .arg(r.attempt));
}

// --- Display ---------------------------------------------------------------------------------

void LiveTab::pull() {
  core::DisplayUpdate u = session_->take_update();
  if (u.frame.empty()) return;
  const bool changed = u.new_frame || u.new_mask || shown_.empty();
  shown_ = std::move(u.frame);
  if (u.mask) shown_mask_ = std::move(u.mask);
  mask_matches_frame_ = u.mask_matches_frame;
  if (u.new_mask && model_status_ == ModelStatus::kWarmingUp) model_status_ = ModelStatus::kRunning;
  if (!changed) return;
  recompose();
  if (u.new_frame) {
    shown_index_ = shown_.index;
    ++frames_shown_;
    transport_->set_position(shown_index_);
    if (!view_->banner().isEmpty() && source_error_.isEmpty() && source_state_ == core::SourceState::Playing) {
      view_->set_banner({});
    }
    view_->set_dimmed(false);
    if (recorder_) recorder_->push(composed_);
    Q_EMIT frame_shown(shown_index_);
  }
  refresh_hud();
}

void LiveTab::recompose() {
  if (shown_.empty()) return;
  core::OverlayOptions o;
  o.mode = core::overlay_mode_from_string(overlay_mode_.toStdString());
  o.alpha = overlay_alpha_;
  const cv::Mat mask = (shown_mask_ && model_loaded()) ? shown_mask_->mask : cv::Mat();
  try {
    composed_ = core::compose_overlay(shown_.bgr, mask, o);
  } catch (const std::exception& e) {  // a malformed mask must not take the picture away
    pl::log::get("ui")->warn("overlay failed: {}", e.what());
    composed_ = shown_.bgr;
  }
  view_->set_frame(to_qimage(composed_));
}

void LiveTab::refresh_hud() {
  const core::SessionStats st = session_->stats();
  HudState h;
  h.model = model_status_;
  h.message = model_message_;
  if (model_status_ == ModelStatus::kWarmingUp && st.masks > 0 && !st.warming_up) h.model = ModelStatus::kRunning;
  h.capture_fps = st.capture_fps;
  h.inference_fps = st.inference_fps;
  h.mask_age_ms = st.mask_age_ms;
  h.mask_matches_frame = mask_matches_frame_;
  h.dropped_inference = st.dropped_inference;
  h.dropped_display = st.dropped_display;
  h.device = model_device_.isEmpty() ? tr("no model") : model_device_;
  view_->set_hud_state(h);
}

// --- Model -----------------------------------------------------------------------------------

void LiveTab::load_checkpoint(const QString& path) {
  if (path.isEmpty()) return;
  const int generation = ++load_generation_;
  model_status_ = ModelStatus::kLoading;
  model_message_ = QFileInfo(path).fileName();
  refresh_hud();
  Q_EMIT model_changed(tr("loading %1…").arg(QFileInfo(path).fileName()));
  core::inference::PredictorOptions options;
  options.device = device_.toStdString();
  options.threads = std::max(1, QThread::idealThreadCount());
  loader_.setFuture(QtConcurrent::run([generation, path, options]() {
    LoadResult r;
    r.generation = generation;
    r.path = path;
    try {
      r.segmenter = std::make_shared<core::PredictorSegmenter>(path.toStdString(), options);
    } catch (const std::exception& e) {
      r.error = QString::fromStdString(e.what());
    }
    return r;
  }));
}

void LiveTab::on_loaded(const LoadResult& r) {
  if (r.generation != load_generation_) return;  // a newer load was started meanwhile
  const QString name = QFileInfo(r.path).fileName();
  if (!r.segmenter) {
    model_status_ = ModelStatus::kFailed;
    model_message_ = r.error;
    pl::log::get("ui")->warn("cannot load checkpoint {}: {}", r.path.toStdString(), r.error.toStdString());
    view_->show_toast(tr("Cannot load %1: %2 — load a checkpoint written by 'polyplens train' or the "
                         "Training tab.").arg(name, r.error),
                      8000);
    refresh_hud();
    Q_EMIT model_changed(model_summary());
    return;
  }
  checkpoint_ = r.path;
  model_preset_ = q(r.segmenter->info().preset);
  model_device_ = q(r.segmenter->info().device);
  model_message_.clear();
  model_status_ = ModelStatus::kWarmingUp;
  settings_.set_last_checkpoint(r.path);
  pl::log::get("ui")->info("model loaded: {}", r.segmenter->describe());
  session_->set_segmenter(core::share_segmenter(r.segmenter));
  // A paused file gets no new frames: deliver the one on screen again so it gets its mask.
  if (core::FrameSource* src = session_->source();
      src && source_info_.seekable && source_state_ != core::SourceState::Playing && shown_index_ >= 0) {
    src->seek_to_frame(shown_index_);
  }
  view_->show_toast(tr("Model loaded: %1").arg(model_summary()));
  refresh_hud();
  Q_EMIT model_changed(model_summary());
}

void LiveTab::unload_model() {
  ++load_generation_;
  session_->set_segmenter(nullptr);
  checkpoint_.clear();
  model_preset_.clear();
  model_device_.clear();
  model_status_ = ModelStatus::kNone;
  shown_mask_.reset();
  recompose();
  refresh_hud();
  Q_EMIT model_changed(model_summary());
}

QString LiveTab::model_summary() const {
  if (model_status_ == ModelStatus::kLoading) return tr("loading %1…").arg(model_message_);
  if (checkpoint_.isEmpty()) return model_status_ == ModelStatus::kFailed ? tr("failed to load") : tr("no model");
  return QStringLiteral("%1 · %2 · %3").arg(model_preset_, QFileInfo(checkpoint_).fileName(), model_device_);
}

void LiveTab::set_device(const QString& device) {
  if (device == device_) return;
  device_ = device;
  settings_.set_device(device);
  if (!checkpoint_.isEmpty()) load_checkpoint(checkpoint_);
}

// --- Overlay ---------------------------------------------------------------------------------

void LiveTab::set_overlay_mode(const QString& mode) {
  if (mode != "fill" && mode != "outline" && mode != "off") return;
  if (mode == overlay_mode_) return;
  overlay_mode_ = mode;
  settings_.set_overlay_mode(mode);
  source_bar_->set_overlay_mode(mode);
  view_->show_toast(tr("Overlay: %1").arg(mode), 1200);
  recompose();
  Q_EMIT overlay_mode_changed(mode);
}

void LiveTab::cycle_overlay_mode() {
  set_overlay_mode(overlay_mode_ == "fill"      ? QStringLiteral("outline")
                   : overlay_mode_ == "outline" ? QStringLiteral("off")
                                                : QStringLiteral("fill"));
}

void LiveTab::set_overlay_alpha(double alpha) {
  overlay_alpha_ = std::clamp(alpha, 0.0, 1.0);
  settings_.set_overlay_alpha(overlay_alpha_);
  source_bar_->set_overlay_alpha(overlay_alpha_);
  recompose();
}

void LiveTab::set_hud_visible(bool on) {
  view_->set_hud_visible(on);
  settings_.set_hud_visible(on);
}

// --- Transport -------------------------------------------------------------------------------

void LiveTab::play_pause() {
  core::FrameSource* src = session_->source();
  if (!src) return;
  switch (source_state_) {
    case core::SourceState::Playing:
      if (source_info_.seekable) session_->pause();
      break;
    case core::SourceState::EndOfStream:
      src->seek_to_frame(0);
      session_->start();
      break;
    default:
      session_->start();
  }
}

void LiveTab::step(int frames) {
  core::FrameSource* src = session_->source();
  if (!src || !source_info_.seekable) return;
  if (source_state_ == core::SourceState::Playing) session_->pause();
  src->step(frames);
}

void LiveTab::jump_seconds(double seconds) {
  if (source_info_.fps <= 0) return;
  seek(shown_index_ + static_cast<int64_t>(std::lround(seconds * source_info_.fps)));
}

void LiveTab::seek(int64_t frame) {
  core::FrameSource* src = session_->source();
  if (!src || !source_info_.seekable) return;
  int64_t last = source_info_.frame_count > 0 ? source_info_.frame_count - 1 : frame;
  src->seek_to_frame(std::clamp<int64_t>(frame, 0, std::max<int64_t>(0, last)));
}

void LiveTab::set_speed(double speed) {
  if (core::FrameSource* src = session_->source(); src && source_info_.seekable) src->set_rate(speed);
}

void LiveTab::next_detection() {
  if (!source_info_.seekable) return;
  const int64_t f = track_->next_detection(shown_index_);
  if (f < 0) {
    view_->show_toast(tr("No later detection (so far: only frames shown or scanned are known)"), 2000);
    return;
  }
  if (source_state_ == core::SourceState::Playing) session_->pause();
  seek(f);
}

void LiveTab::previous_detection() {
  if (!source_info_.seekable) return;
  const int64_t f = track_->previous_detection(shown_index_);
  if (f < 0) {
    view_->show_toast(tr("No earlier detection"), 2000);
    return;
  }
  if (source_state_ == core::SourceState::Playing) session_->pause();
  seek(f);
}

void LiveTab::on_mask_area(int64_t frame, double area) {
  using E = core::review::PolypAlert::Event;
  const E e = alert_.update(area);
  if (e == E::Appeared) view_->set_alert(true);
  if (e == E::Cleared) view_->set_alert(false);
  (void)frame;
}

void LiveTab::refresh_strip() {
  if (!transport_->isVisible()) return;
  const int cells = transport_->slider()->strip_cells();
  const uint64_t rev = track_->revision();
  if (rev == strip_revision_ && cells == strip_cells_) return;
  strip_revision_ = rev;
  strip_cells_ = cells;
  std::vector<TimelineMark> marks;
  const auto strip = track_->strip(cells);
  marks.reserve(strip.size());
  float peak = 0;
  for (const auto& c : strip) peak = std::max(peak, c.peak_area);
  for (const auto& c : strip) {
    TimelineMark m;
    m.first = c.first;
    m.last = c.last;
    m.state = c.state == core::review::StripCell::State::Detected ? TimelineMark::State::Detected
              : c.state == core::review::StripCell::State::Clear  ? TimelineMark::State::Clear
                                                                   : TimelineMark::State::Unknown;
    m.strength = peak > 0 ? c.peak_area / peak : 1.0f;
    marks.push_back(m);
  }
  transport_->slider()->set_marks(std::move(marks));
}

// --- Capture ---------------------------------------------------------------------------------

QString LiveTab::snapshot_folder() const {
  const QString f = settings_.last_folder("snapshot");
  return !f.isEmpty() ? f : q(core::exporting::default_snapshot_dir());
}

void LiveTab::set_snapshot_folder(const QString& folder) { settings_.set_last_folder("snapshot", folder); }

QString LiveTab::recordings_folder() const {
  const QString f = settings_.last_folder("recordings");
  return !f.isEmpty() ? f : q(core::exporting::default_recording_dir());
}

void LiveTab::snapshot() {
  if (shown_.empty()) {
    view_->show_toast(tr("Nothing to snapshot: no video on screen"));
    return;
  }
  core::exporting::SnapshotMeta meta;
  meta.source = source_info_.description.empty() ? source_spec_.toStdString() : source_info_.description;
  meta.frame_index = shown_.index;
  meta.pts_ns = shown_.pts_ns;
  cv::Mat mask;
  if (shown_mask_ && model_loaded()) {
    mask = shown_mask_->mask;
    meta.model_preset = model_preset_.toStdString();
    meta.checkpoint = QFileInfo(checkpoint_).fileName().toStdString();
    meta.device = model_device_.toStdString();
    meta.mask_frame_index = shown_mask_->frame_index;
    meta.mask_age_ms = core::ms_between(shown_mask_->captured, core::Clock::now());
  }
  core::exporting::SnapshotOptions options;
  options.out_dir = snapshot_folder().toStdString();
  options.overlay_options.mode = core::overlay_mode_from_string(overlay_mode_.toStdString());
  options.overlay_options.alpha = overlay_alpha_;
  QDir().mkpath(snapshot_folder());
  // PNG encoding of a full-HD frame takes tens of ms: off the GUI thread.
  auto* watcher = new QFutureWatcher<QString>(this);
  connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, folder = snapshot_folder()] {
    const QString error = watcher->result();
    watcher->deleteLater();
    if (error.isEmpty()) {
      view_->show_toast(tr("Snapshot saved to %1").arg(QDir::toNativeSeparators(folder)));
      Q_EMIT snapshot_written(folder, 1);
    } else {
      view_->show_toast(tr("Snapshot failed: %1").arg(error), 6000);
      Q_EMIT snapshot_written({}, 0);
    }
  });
  watcher->setFuture(QtConcurrent::run([frame = shown_.bgr, mask, meta, options]() -> QString {
    try {
      core::exporting::write_snapshot(frame, mask, meta, options);
      return {};
    } catch (const std::exception& e) {
      return QString::fromStdString(e.what());
    }
  }));
}

void LiveTab::toggle_recording() {
  if (recorder_) {
    // Finalising the MP4 takes tens of ms; do it off the GUI thread and say where the file went.
    std::shared_ptr<core::exporting::Recorder> r(recorder_.release());
    view_->set_recording(false);
    Q_EMIT recording_changed(false);
    auto* watcher = new QFutureWatcher<QString>(this);
    connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, path = q(r->options().path)] {
      const QString error = watcher->result();
      watcher->deleteLater();
      view_->show_toast(error.isEmpty() ? tr("Recording saved to %1").arg(QDir::toNativeSeparators(path))
                                        : tr("Recording %1 ended with an error: %2").arg(path, error),
                        error.isEmpty() ? 3000 : 8000);
    });
    watcher->setFuture(QtConcurrent::run([r]() { return QString::fromStdString(r->stop().error); }));
    return;
  }
  if (composed_.empty()) {
    view_->show_toast(tr("Nothing to record: no video on screen"));
    return;
  }
  core::exporting::RecorderOptions o;
  o.path = core::exporting::new_recording_path(
      recordings_folder().toStdString(), source_info_.description.empty() ? "live" : source_info_.description);
  o.width = composed_.cols;
  o.height = composed_.rows;
  o.fps = source_info_.fps > 0 ? source_info_.fps : 25.0;
  o.on_error = [this](const std::string& message) {
    QMetaObject::invokeMethod(this, [this, m = q(message)] {
      view_->show_toast(tr("Recording stopped: %1").arg(m), 8000);
      if (recorder_) toggle_recording();
    }, Qt::QueuedConnection);
  };
  try {
    auto r = std::make_unique<core::exporting::Recorder>(o);
    r->start();
    recorder_ = std::move(r);
  } catch (const std::exception& e) {
    view_->show_toast(tr("Cannot record: %1").arg(q(e.what())), 8000);
    return;
  }
  recorder_->push(composed_);
  view_->set_recording(true);
  view_->show_toast(tr("Recording to %1").arg(QDir::toNativeSeparators(q(o.path))));
  Q_EMIT recording_changed(true);
}

bool LiveTab::scanning() const { return scan_pending_ || (scan_ && scan_->running()); }

bool LiveTab::scan_detections() {
  if (scanning()) {
    if (scan_) scan_->cancel();
    return false;
  }
  if (!source_info_.seekable || source_spec_.isEmpty()) {
    view_->show_toast(tr("The detection pass works on video files"), 3000);
    return false;
  }
  if (checkpoint_.isEmpty()) {
    view_->show_toast(tr("The detection pass needs a model: Model ▸ Load checkpoint…"), 4000);
    return false;
  }
  core::review::JobCallbacks cb;
  cb.on_progress = [this](const core::review::JobProgress& p) {
    QMetaObject::invokeMethod(this, [this, f = p.fraction()] { transport_->set_scan_progress(f); },
                              Qt::QueuedConnection);
  };
  cb.on_finished = [this](const core::review::JobResult& r) {
    QMetaObject::invokeMethod(this, [this, r] {
      transport_->set_scan_progress(-1);
      using O = core::review::JobOutcome;
      view_->show_toast(r.outcome == O::Finished    ? tr("Detection pass finished: %1 segment(s)")
                                                          .arg(track_->segments().size())
                        : r.outcome == O::Cancelled ? tr("Detection pass cancelled")
                                                    : tr("Detection pass failed: %1").arg(q(r.error)),
                        4000);
      Q_EMIT scan_finished(r.outcome == O::Finished);
    }, Qt::QueuedConnection);
  };
  scan_ = std::make_unique<core::review::DetectionScan>(track_, cb);
  scan_pending_ = true;
  transport_->set_scan_progress(0);
  // Its own model instance (the live pipeline keeps using its own), built off the GUI thread.
  auto* watcher = new QFutureWatcher<LoadResult>(this);
  connect(watcher, &QFutureWatcher<LoadResult>::finished, this,
          [this, watcher, video = source_spec_.toStdString(), scan = scan_.get()] {
            LoadResult r = watcher->result();
            watcher->deleteLater();
            if (scan != scan_.get()) return;  // another file was opened meanwhile
            scan_pending_ = false;
            if (!r.segmenter) {
              transport_->set_scan_progress(-1);
              view_->show_toast(tr("Detection pass: cannot load the model: %1").arg(r.error), 6000);
              Q_EMIT scan_finished(false);
              return;
            }
            core::review::ScanOptions options;
            options.stride = 2;  // every other frame: half the cost, segments stay whole (max_gap 5)
            try {
              scan_->start(video, core::share_segmenter(std::move(r.segmenter)), options);
            } catch (const std::exception& e) {
              transport_->set_scan_progress(-1);
              view_->show_toast(tr("Detection pass: %1").arg(q(e.what())), 6000);
              Q_EMIT scan_finished(false);
            }
          });
  core::inference::PredictorOptions po;
  po.device = device_.toStdString();
  watcher->setFuture(QtConcurrent::run([path = checkpoint_, po]() {
    LoadResult r;
    r.path = path;
    try {
      r.segmenter = std::make_shared<core::PredictorSegmenter>(path.toStdString(), po);
    } catch (const std::exception& e) {
      r.error = QString::fromStdString(e.what());
    }
    return r;
  }));
  return true;
}

bool LiveTab::exporting() const { return exporter_ && exporter_->running(); }

void LiveTab::cancel_export() {
  if (exporter_) exporter_->cancel();
}

bool LiveTab::export_frames(const QString& out_dir, bool detections_only, int every_n) {
  if (exporting()) {
    view_->show_toast(tr("An export is already running"));
    return false;
  }
  if (!source_info_.seekable || source_spec_.isEmpty()) {
    view_->show_toast(tr("Export frames works on video files: open one first (File ▸ Open video…)"), 5000);
    return false;
  }
  if (detections_only && checkpoint_.isEmpty()) {
    view_->show_toast(tr("Exporting detections needs a model: Model ▸ Load checkpoint…"), 5000);
    return false;
  }
  core::exporting::BatchExportOptions options;
  options.selection = detections_only ? core::exporting::BatchSelection::Detections
                                      : core::exporting::BatchSelection::EveryNth;
  options.every_n = std::max(1, every_n);
  options.snapshot.out_dir = out_dir.toStdString();
  options.snapshot.overlay_options.mode = core::overlay_mode_from_string(overlay_mode_.toStdString());
  options.snapshot.overlay_options.alpha = overlay_alpha_;
  core::exporting::SnapshotMeta meta;
  meta.source = source_info_.description;
  meta.model_preset = model_preset_.toStdString();
  meta.checkpoint = QFileInfo(checkpoint_).fileName().toStdString();
  meta.device = model_device_.toStdString();
  const QString checkpoint = checkpoint_;
  const QString device = device_;
  const std::string video = source_spec_.toStdString();

  pl::core::review::JobCallbacks cb;
  cb.on_progress = [this](const pl::core::review::JobProgress& p) {
    QMetaObject::invokeMethod(this, [this, f = p.fraction()] { Q_EMIT export_progress(f); }, Qt::QueuedConnection);
  };
  cb.on_finished = [this](const pl::core::review::JobResult& r) {
    QMetaObject::invokeMethod(this, [this, r] {
      const auto summary = exporter_ ? exporter_->summary() : core::exporting::BatchSummary{};
      using O = pl::core::review::JobOutcome;
      const QString message =
          r.outcome == O::Finished    ? tr("Exported %1 frames to %2").arg(summary.frames_exported).arg(q(summary.folder))
          : r.outcome == O::Cancelled ? tr("Export cancelled after %1 frames (kept in %2)")
                                            .arg(summary.frames_exported).arg(q(summary.folder))
                                      : tr("Export failed: %1").arg(q(r.error));
      view_->show_toast(message, 6000);
      Q_EMIT export_finished(r.outcome == O::Finished, message);
    }, Qt::QueuedConnection);
  };
  exporter_ = std::make_unique<core::exporting::BatchExporter>(cb);
  // The exporter needs its own model instance (the live pipeline keeps its own); building it takes
  // seconds, so it happens on the exporter's side of a QtConcurrent hop.
  auto* watcher = new QFutureWatcher<QString>(this);
  auto segmenter = std::make_shared<std::unique_ptr<core::FrameSegmenter>>();
  connect(watcher, &QFutureWatcher<QString>::finished, this,
          [this, watcher, segmenter, video, meta, options] {
            const QString error = watcher->result();
            watcher->deleteLater();
            if (!error.isEmpty()) {
              view_->show_toast(tr("Cannot export: %1").arg(error), 6000);
              Q_EMIT export_finished(false, error);
              return;
            }
            try {
              exporter_->start(video, std::move(*segmenter), meta, options);
            } catch (const std::exception& e) {
              view_->show_toast(tr("Cannot export: %1").arg(q(e.what())), 6000);
              Q_EMIT export_finished(false, q(e.what()));
            }
          });
  watcher->setFuture(QtConcurrent::run([segmenter, checkpoint, device]() -> QString {
    if (checkpoint.isEmpty()) return {};
    try {
      core::inference::PredictorOptions po;
      po.device = device.toStdString();
      *segmenter = std::make_unique<core::PredictorSegmenter>(checkpoint.toStdString(), po);
      return {};
    } catch (const std::exception& e) {
      return QString::fromStdString(e.what());
    }
  }));
  view_->show_toast(tr("Exporting frames to %1…").arg(QDir::toNativeSeparators(out_dir)));
  return true;
}

QString LiveTab::export_detection_report(const QString& path) {
  QString error;
  if (!track_ || track_->segments().empty()) {
    error = tr("No detections to report yet: play the file with a model loaded, or scan it (Scan).");
  } else {
    try {
      core::review::write_segments_csv(path.toStdString(), *track_, true);
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
  }
  if (error.isEmpty()) {
    view_->show_toast(tr("Detection report saved: %1").arg(path), 3000);
    pl::log::get("ui")->info("detection report written to {}", path.toStdString());
  } else {
    view_->show_toast(tr("Detection report not saved: %1").arg(error), 5000);
  }
  return error;
}

QTableWidget* LiveTab::show_segments() {
  if (!segments_dialog_) {
    segments_dialog_ = new QDialog(this);
    segments_dialog_->setWindowTitle(tr("Detection segments"));
    auto* layout = new QVBoxLayout(segments_dialog_);
    auto* note = new QLabel(tr("Frames shown or scanned so far. Click a row to go to its start."), segments_dialog_);
    auto* table = new QTableWidget(0, 5, segments_dialog_);
    table->setObjectName(QStringLiteral("segments"));
    table->setHorizontalHeaderLabels({tr("Start"), tr("End"), tr("Duration"), tr("Peak area"), tr("Peak frame")});
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    connect(table, &QTableWidget::cellClicked, this, [this, table](int row, int) {
      const QTableWidgetItem* item = table->item(row, 0);
      if (item) seek(item->data(Qt::UserRole).toLongLong());
    });
    layout->addWidget(note);
    layout->addWidget(table);
    segments_dialog_->resize(520, 320);
  }
  auto* table = segments_dialog_->findChild<QTableWidget*>(QStringLiteral("segments"));
  const double fps = source_info_.fps > 0 ? source_info_.fps : 0.0;
  const auto when = [fps](int64_t frame) {
    if (fps <= 0) return QString::number(frame);
    const double t = double(frame) / fps;
    return QStringLiteral("%1:%2 (%3)")
        .arg(int(t) / 60)
        .arg(t - 60 * (int(t) / 60), 4, 'f', 1, QLatin1Char('0'))
        .arg(frame);
  };
  const auto segments = track_ ? track_->segments() : std::vector<core::review::DetectionSegment>{};
  table->setRowCount(int(segments.size()));
  for (int r = 0; r < int(segments.size()); ++r) {
    const auto& g = segments[size_t(r)];
    auto* start = new QTableWidgetItem(when(g.start));
    start->setData(Qt::UserRole, qlonglong(g.start));
    table->setItem(r, 0, start);
    table->setItem(r, 1, new QTableWidgetItem(when(g.end)));
    table->setItem(r, 2, new QTableWidgetItem(fps > 0 ? tr("%1 s").arg(double(g.length()) / fps, 0, 'f', 2)
                                                      : tr("%1 frames").arg(g.length())));
    table->setItem(r, 3, new QTableWidgetItem(QStringLiteral("%1 %").arg(100.0 * g.peak_area, 0, 'f', 1)));
    table->setItem(r, 4, new QTableWidgetItem(QString::number(g.peak_frame)));
  }
  segments_dialog_->show();
  segments_dialog_->raise();
  return table;
}

}  // namespace pl::ui
