#include "ui/review_panel.h"

#include <QDialog>
#include <QDir>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cstdlib>

#include "core/export/batch_export.h"
#include "core/log/log.h"
#include "core/review/detection_scan.h"
#include "core/review/segment_report.h"
#include "core/sample/mask_track.h"
#include "ui/model_loader.h"
#include "ui/timeline_slider.h"
#include "ui/transport_bar.h"
#include "ui/video_view.h"

namespace pl::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

// m:ss.s (frame), or the frame alone without a frame rate.
QString when(int64_t frame, double fps) {
  if (fps <= 0) return QString::number(frame);
  const double t = double(frame) / fps;
  return QStringLiteral("%1:%2 (%3)")
      .arg(int(t) / 60)
      .arg(t - 60 * (int(t) / 60), 4, 'f', 1, QLatin1Char('0'))
      .arg(frame);
}

struct TrackedEvents {
  uint64_t generation = 0, revision = 0;
  std::vector<core::review::PolypEvent> events;
  std::vector<int> false_alarms;
};

struct LoadedTruth {
  std::shared_ptr<core::review::DetectionTrack> track;
  QString error;
};
}  // namespace

ReviewPanel::ReviewPanel(VideoView* view, TransportBar* transport, ModelLoader* model, QObject* parent)
    : QObject(parent), view_(view), transport_(transport), model_(model) {
  connect(transport_, &TransportBar::scan_requested, this, &ReviewPanel::scan_detections);
  strip_timer_.setInterval(250);  // the track changes with every mask; the strip follows at 4 Hz
  connect(&strip_timer_, &QTimer::timeout, this, &ReviewPanel::refresh_strip);
  connect(&strip_timer_, &QTimer::timeout, this, &ReviewPanel::update_events);
  strip_timer_.start();
}

ReviewPanel::~ReviewPanel() {
  scan_.reset();      // cancels and joins
  exporter_.reset();  // cancels and joins
}

void ReviewPanel::reset(const QString& spec) {
  spec_ = spec;
  info_ = {};
  scan_.reset();  // a pass over the previous file is of no use now
  scan_pending_ = false;
  transport_->set_scan_progress(-1);
  track_->reset(0, 0);
  track_->set_source(spec.toStdString());
  strip_revision_ = ~uint64_t{0};
  transport_->slider()->set_marks({});
  ++generation_;
  events_.clear();
  false_alarms_.clear();
  events_revision_ = ~uint64_t{0};
  events_running_ = false;
  truth_.reset();
  truth_name_.clear();
  transport_->slider()->set_events({});
  if (segments_dialog_) fill_events_table();
  // A ground-truth track beside the video (as `polyplens make-sample` writes one) comes with it.
  const QFileInfo file(spec);
  if (file.isFile()) {
    const QString masks = file.dir().filePath(file.completeBaseName() + QStringLiteral(".plmasks"));
    if (QFileInfo::exists(masks)) load_ground_truth(masks, true);
  }
}

void ReviewPanel::set_source_info(const core::SourceInfo& info) {
  info_ = info;
  if (info.seekable && track_->known_frames() == 0 && track_->frame_count() != info.frame_count) {
    track_->reset(info.frame_count, info.fps);
  }
}

void ReviewPanel::refresh_strip() {
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

// --- Polyp events ----------------------------------------------------------------------------

void ReviewPanel::update_events() {
  const uint64_t rev = track_->revision();
  if (events_running_ || (rev == events_revision_ && !events_stale_)) return;
  events_running_ = true;
  events_stale_ = false;
  auto* watcher = new QFutureWatcher<TrackedEvents>(this);
  connect(watcher, &QFutureWatcher<TrackedEvents>::finished, this, [this, watcher] {
    const TrackedEvents r = watcher->result();
    watcher->deleteLater();
    if (r.generation != generation_) return;  // another file was opened meanwhile
    events_running_ = false;
    events_ = r.events;
    false_alarms_ = r.false_alarms;
    events_revision_ = r.revision;
    show_events_on_timeline();
    if (segments_dialog_) fill_events_table();
    Q_EMIT events_changed();
  });
  watcher->setFuture(QtConcurrent::run([track = track_, truth = truth_, generation = generation_, rev] {
    TrackedEvents r;
    r.generation = generation;
    r.revision = rev;  // read before tracking: a change meanwhile makes the next tick track again
    r.events = track->events();
    if (truth) r.false_alarms = track->false_alarms(*truth);
    return r;
  }));
}

void ReviewPanel::show_events_on_timeline() {
  const double fps = track_->event_fps();
  std::vector<TimelineEvent> bars;
  bars.reserve(events_.size());
  for (const auto& e : events_) {
    TimelineEvent b;
    b.first = e.first_frame;
    b.last = e.last_frame;
    b.flicker = e.flicker;
    b.false_alarm = std::find(false_alarms_.begin(), false_alarms_.end(), e.id) != false_alarms_.end();
    b.tip = tr("%1 %2: %3 – %4, %5 s, peak %6 % (click: go to its first frame)")
                .arg(b.flicker ? tr("Flicker") : b.false_alarm ? tr("False alarm") : tr("Polyp event"))
                .arg(e.id)
                .arg(when(e.first_frame, fps), when(e.last_frame, fps))
                .arg(e.duration_s, 0, 'f', 2)
                .arg(100.0 * e.peak_area, 0, 'f', 1);
    bars.push_back(b);
  }
  transport_->slider()->set_events(std::move(bars));
}

void ReviewPanel::load_ground_truth(const QString& path, bool quiet) {
  auto* watcher = new QFutureWatcher<LoadedTruth>(this);
  connect(watcher, &QFutureWatcher<LoadedTruth>::finished, this, [this, watcher, path, quiet, generation = generation_] {
    const LoadedTruth r = watcher->result();
    watcher->deleteLater();
    if (generation != generation_) return;
    QString message;
    if (!r.error.isEmpty()) {
      message = tr("Ground truth not loaded: %1").arg(r.error);
    } else if (info_.frame_count > 0 && std::abs(r.track->frame_count() - info_.frame_count) > 1) {
      // The source's count is estimated from duration x fps: one frame either way is rounding.
      message = tr("Ground truth not loaded: %1 has %2 frames, the video %3")
                    .arg(QFileInfo(path).fileName())
                    .arg(r.track->frame_count())
                    .arg(info_.frame_count);
    } else {
      truth_ = r.track;
      truth_name_ = QFileInfo(path).fileName();
      events_stale_ = true;
      message = tr("Ground truth loaded: %1 (%2 frames)").arg(truth_name_).arg(r.track->frame_count());
    }
    if (!quiet) view_->show_toast(message, 4000);
    pl::log::get("ui")->info("{}", message.toStdString());
    Q_EMIT ground_truth_loaded(truth_ != nullptr && r.error.isEmpty(), message);
  });
  watcher->setFuture(QtConcurrent::run([path, options = track_->event_options()] {
    LoadedTruth r;
    try {
      const auto masks = core::read_mask_track(path.toStdString());
      r.track = std::make_shared<core::review::DetectionTrack>(static_cast<int64_t>(masks.size()), masks.fps);
      r.track->set_event_options(options);
      r.track->set_source(path.toStdString());
      for (size_t i = 0; i < masks.size(); ++i) r.track->record_mask(static_cast<int64_t>(i), masks.frame(i));
    } catch (const std::exception& e) {
      r.error = q(e.what());
    }
    return r;
  }));
}

QString ReviewPanel::summary() const {
  const auto s = core::review::summarize_events(events_, track_->event_fps());
  const int64_t frames = track_->frame_count(), known = track_->known_frames();
  QString text = tr("%n polyp event(s)", nullptr, s.events) +
                 tr(", %1 s with a polyp on screen").arg(s.seconds_on_screen, 0, 'f', 1);
  if (frames > 0 && track_->fps() > 0)
    text += tr(" (%1 % of %2 s)")
                .arg(100.0 * double(s.frames_on_screen) / double(frames), 0, 'f', 0)
                .arg(double(frames) / track_->fps(), 0, 'f', 1);
  text += tr(", %n flicker", nullptr, s.flicker);
  if (truth_) text += tr("; false alarms: %1 (against %2)").arg(false_alarms_.size()).arg(truth_name_);
  text += frames > 0 && known < frames
              ? tr(". From %1 of %2 frames segmented: Scan to cover the whole file.").arg(known).arg(frames)
              : tr(". From %1 frames segmented.").arg(known);
  return text;
}

// --- Detection pass --------------------------------------------------------------------------

bool ReviewPanel::scanning() const { return scan_pending_ || (scan_ && scan_->running()); }

bool ReviewPanel::scan_detections() {
  if (scanning()) {
    if (scan_) scan_->cancel();
    return false;
  }
  if (!is_file()) {
    view_->show_toast(tr("The detection pass works on video files"), 3000);
    return false;
  }
  if (model_->checkpoint().isEmpty()) {
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
      view_->show_toast(r.outcome == O::Finished    ? tr("Detection pass finished: %1")
                                                          .arg(tr("%n polyp event(s)", nullptr,
                                                                  core::review::summarize_events(
                                                                      track_->events(), track_->event_fps()).events))
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
  auto* watcher = new QFutureWatcher<ModelLoader::Instance>(this);
  connect(watcher, &QFutureWatcher<ModelLoader::Instance>::finished, this,
          [this, watcher, video = spec_.toStdString(), scan = scan_.get()] {
            ModelLoader::Instance r = watcher->result();
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
  watcher->setFuture(model_->build_instance());
  return true;
}

// --- Export frames ---------------------------------------------------------------------------

bool ReviewPanel::exporting() const { return exporter_ && exporter_->running(); }

void ReviewPanel::cancel_export() {
  if (exporter_) exporter_->cancel();
}

bool ReviewPanel::export_frames(const QString& out_dir, bool detections_only, int every_n) {
  if (exporting()) {
    view_->show_toast(tr("An export is already running"));
    return false;
  }
  if (!is_file()) {
    view_->show_toast(tr("Export frames works on video files: open one first (File ▸ Open video…)"), 5000);
    return false;
  }
  if (detections_only && model_->checkpoint().isEmpty()) {
    view_->show_toast(tr("Exporting detections needs a model: Model ▸ Load checkpoint…"), 5000);
    return false;
  }
  core::exporting::BatchExportOptions options;
  options.selection = detections_only ? core::exporting::BatchSelection::Detections
                                      : core::exporting::BatchSelection::EveryNth;
  options.every_n = std::max(1, every_n);
  options.snapshot.out_dir = out_dir.toStdString();
  options.snapshot.overlay_options = overlay_;
  core::exporting::SnapshotMeta meta;
  meta.source = info_.description;
  meta.model_preset = model_->preset().toStdString();
  meta.checkpoint = QFileInfo(model_->checkpoint()).fileName().toStdString();
  meta.device = model_->model_device().toStdString();
  const std::string video = spec_.toStdString();

  core::review::JobCallbacks cb;
  cb.on_progress = [this](const core::review::JobProgress& p) {
    QMetaObject::invokeMethod(this, [this, f = p.fraction()] { Q_EMIT export_progress(f); }, Qt::QueuedConnection);
  };
  cb.on_finished = [this](const core::review::JobResult& r) {
    QMetaObject::invokeMethod(this, [this, r] {
      const auto summary = exporter_ ? exporter_->summary() : core::exporting::BatchSummary{};
      using O = core::review::JobOutcome;
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
  const auto start = [this, video, meta, options](std::unique_ptr<core::FrameSegmenter> segmenter) {
    try {
      exporter_->start(video, std::move(segmenter), meta, options);
    } catch (const std::exception& e) {
      view_->show_toast(tr("Cannot export: %1").arg(q(e.what())), 6000);
      Q_EMIT export_finished(false, q(e.what()));
    }
  };
  view_->show_toast(tr("Exporting frames to %1…").arg(QDir::toNativeSeparators(out_dir)));
  if (model_->checkpoint().isEmpty()) {  // every Nth frame without a model: frames only
    start(nullptr);
    return true;
  }
  // The exporter needs its own model instance (the live pipeline keeps its own); building it takes
  // seconds, so it happens off the GUI thread.
  auto* watcher = new QFutureWatcher<ModelLoader::Instance>(this);
  connect(watcher, &QFutureWatcher<ModelLoader::Instance>::finished, this, [this, watcher, start] {
    ModelLoader::Instance r = watcher->result();
    watcher->deleteLater();
    if (!r.segmenter) {
      view_->show_toast(tr("Cannot export: %1").arg(r.error), 6000);
      Q_EMIT export_finished(false, r.error);
      return;
    }
    start(core::share_segmenter(std::move(r.segmenter)));
  });
  watcher->setFuture(model_->build_instance());
  return true;
}

// --- Report and segments ---------------------------------------------------------------------

QString ReviewPanel::export_detection_report(const QString& path) {
  QString error;
  const int64_t known = track_->known_frames(), frames = track_->frame_count();
  if (known == 0) {
    error = tr("No frame segmented yet: play the file with a model loaded, or scan it (Scan).");
  } else {
    try {
      core::review::write_events_csv(path.toStdString(), *track_, true, truth_.get(), truth_name_.toStdString());
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
  }
  if (error.isEmpty()) {
    view_->show_toast(known < frames ? tr("Detection report saved: %1 (covers the %2 of %3 frames segmented; Scan "
                                          "covers the whole file)").arg(path).arg(known).arg(frames)
                                     : tr("Detection report saved: %1").arg(path),
                      known < frames ? 6000 : 3000);
    pl::log::get("ui")->info("detection report written to {}", path.toStdString());
  } else {
    view_->show_toast(tr("Detection report not saved: %1").arg(error), 5000);
  }
  return error;
}

QTableWidget* ReviewPanel::show_segments() {
  if (!segments_dialog_) {
    segments_dialog_ = new QDialog(view_->window());
    segments_dialog_->setWindowTitle(tr("Polyp events"));
    auto* layout = new QVBoxLayout(segments_dialog_);
    auto* note = new QLabel(segments_dialog_);
    note->setObjectName(QStringLiteral("summary"));
    note->setWordWrap(true);
    auto* table = new QTableWidget(0, 6, segments_dialog_);
    table->setObjectName(QStringLiteral("events"));
    table->setHorizontalHeaderLabels(
        {tr("First seen"), tr("Last seen"), tr("Duration"), tr("Peak area"), tr("Peak frame"), tr("Kind")});
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    connect(table, &QTableWidget::cellClicked, this, [this, table](int row, int) {
      const QTableWidgetItem* item = table->item(row, 0);
      if (item) Q_EMIT seek_requested(item->data(Qt::UserRole).toLongLong());
    });
    layout->addWidget(note);
    layout->addWidget(table);
    segments_dialog_->resize(620, 340);
  }
  // Shown now with what the track holds (the timeline's copy may lag by one timer tick).
  events_ = track_->events();
  if (truth_) false_alarms_ = track_->false_alarms(*truth_);
  events_revision_ = ~uint64_t{0};  // let the timer refresh the timeline too
  fill_events_table();
  segments_dialog_->show();
  segments_dialog_->raise();
  return segments_dialog_->findChild<QTableWidget*>(QStringLiteral("events"));
}

void ReviewPanel::fill_events_table() {
  auto* table = segments_dialog_->findChild<QTableWidget*>(QStringLiteral("events"));
  auto* note = segments_dialog_->findChild<QLabel*>(QStringLiteral("summary"));
  note->setText(summary() + tr("\nClick a row to go to the event's first frame. Flicker: shorter than %1 s.")
                                .arg(track_->event_options().min_duration_s, 0, 'f', 1));
  const double fps = info_.fps > 0 ? info_.fps : 0.0;
  table->setRowCount(int(events_.size()));
  for (int r = 0; r < int(events_.size()); ++r) {
    const auto& e = events_[size_t(r)];
    auto* first = new QTableWidgetItem(when(e.first_frame, fps));
    first->setData(Qt::UserRole, qlonglong(e.first_frame));
    table->setItem(r, 0, first);
    table->setItem(r, 1, new QTableWidgetItem(when(e.last_frame, fps)));
    table->setItem(r, 2, new QTableWidgetItem(fps > 0 ? tr("%1 s").arg(e.duration_s, 0, 'f', 2)
                                                      : tr("%1 frames").arg(e.length())));
    table->setItem(r, 3, new QTableWidgetItem(QStringLiteral("%1 %").arg(100.0 * e.peak_area, 0, 'f', 1)));
    table->setItem(r, 4, new QTableWidgetItem(QString::number(e.peak_frame)));
    const bool alarm = std::find(false_alarms_.begin(), false_alarms_.end(), e.id) != false_alarms_.end();
    table->setItem(r, 5, new QTableWidgetItem(e.flicker && alarm ? tr("flicker, false alarm")
                                              : e.flicker        ? tr("flicker")
                                              : alarm            ? tr("false alarm")
                                                                 : tr("polyp")));
  }
}

}  // namespace pl::ui
