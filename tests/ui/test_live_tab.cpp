// The Live / Review tab with real video: a tiny H.264 clip made by GStreamer (videotestsrc -> mp4),
// played through core::LiveSession into the window; transport (pause, seek, step, end of file); a
// real checkpoint of a tiny ANN model loaded in the background (loading -> warming up -> running)
// with the overlay composed over the frames; and the error states (missing file, bad checkpoint).
#include <QAction>
#include <QDir>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/video/fake_frame_source.h"
#include "model/checkpoint.h"
#include "model/presets.h"
#include "model/segmentor.h"
#include "ui/hud.h"
#include "ui/live_tab.h"
#include "ui/main_window.h"
#include "ui/model_loader.h"
#include "ui/review_panel.h"
#include "ui/settings.h"
#include "ui/source_bar.h"
#include "ui/timeline_slider.h"
#include "ui/transport_bar.h"
#include "ui/video_view.h"
#include "support/isolated_settings.h"

using namespace pl::ui;
using pl::core::SourceState;

namespace {

bool wait_until(const std::function<bool()>& cond, int timeout_ms) {
  QElapsedTimer t;
  t.start();
  while (!cond()) {
    if (t.elapsed() > timeout_ms) return false;
    QTest::qWait(10);
  }
  return true;
}

// A 320x240 endoscope-like frame (as tests/core/test_fov.cpp's scope_frame): dark noisy border with
// the tower's text in it, a lit textured disc of radius 100 with a dark lumen in its middle.
cv::Mat scope_frame() {
  cv::RNG rng(17);
  cv::Mat f(240, 320, CV_8UC3);
  rng.fill(f, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(12));
  cv::Mat disc = cv::Mat::zeros(f.size(), CV_8UC1);
  cv::circle(disc, {160, 120}, 100, cv::Scalar(255), cv::FILLED);
  cv::Mat tissue(f.size(), CV_8UC3);
  rng.fill(tissue, cv::RNG::UNIFORM, cv::Scalar(40, 60, 120), cv::Scalar(90, 120, 230));
  tissue.copyTo(f, disc);
  cv::circle(f, {160, 120}, 20, cv::Scalar(4, 4, 4), cv::FILLED);
  cv::putText(f, "ID 0042", {6, 16}, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(255, 255, 255), 1);
  return f;
}

// The border: everything more than 4 px outside the lit disc (the view may reach a pixel past it).
cv::Mat scope_border() {
  cv::Mat inside = cv::Mat::zeros(240, 320, CV_8UC1);
  cv::circle(inside, {160, 120}, 104, cv::Scalar(255), cv::FILLED);
  return inside == 0;
}

// The picture on screen as BGR.
cv::Mat shown_bgr(LiveTab* live) {
  const QImage img = live->view()->frame().convertToFormat(QImage::Format_BGR888);
  cv::Mat out(img.height(), img.width(), CV_8UC3);
  for (int y = 0; y < img.height(); ++y) std::memcpy(out.ptr(y), img.constScanLine(y), size_t(img.width()) * 3);
  return out;
}

// How many pixels of `where` differ between a and b (any channel).
int changed_pixels(const cv::Mat& a, const cv::Mat& b, const cv::Mat& where) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  cv::Mat any = diff.reshape(1, a.rows * a.cols);
  cv::reduce(any, any, 1, cv::REDUCE_MAX);
  return cv::countNonZero(any.reshape(1, a.rows) & where);
}

}  // namespace

class TestLiveTab : public QObject {
  Q_OBJECT

  QTemporaryDir tmp_;
  QString clip_, checkpoint_;

 private Q_SLOTS:
  void initTestCase() {
    pl::test::isolate_settings();
    QVERIFY(tmp_.isValid());
    // 45 frames of 160x120 at 30 fps: 1.5 s.
    clip_ = QDir(tmp_.path()).filePath("clip.mp4");
    QProcess gst;
    gst.start("gst-launch-1.0", {"-q", "videotestsrc", "num-buffers=45", "pattern=ball", "!",
                                 "video/x-raw,width=160,height=120,framerate=30/1", "!", "x264enc",
                                 "speed-preset=ultrafast", "key-int-max=5", "!", "mp4mux", "!", "filesink",
                                 "location=" + clip_});
    QVERIFY(gst.waitForFinished(60000));
    QVERIFY2(gst.exitCode() == 0 && QFileInfo(clip_).size() > 0, gst.readAllStandardError().constData());

    // A tiny ANN (ResNet-18 D8, narrow head, 64x64 input), randomly initialised: real inference,
    // meaningless masks, a few milliseconds per frame.
    auto options = pl::model::preset("ann-r18-live");
    options.channels = 16;
    options.project_channels = 8;
    options.aux_channels = 8;
    options.input_h = options.input_w = 64;
    pl::model::AnnSegmentor model(options);
    checkpoint_ = QDir(tmp_.path()).filePath("tiny.pt");
    pl::model::save_checkpoint(checkpoint_.toStdString(), model, {});
  }

  void init() { QSettings("PolypLens", "PolypLens").clear(); }

  void plays_a_clip_with_transport() {
    MainWindow w;
    w.resize(900, 600);
    w.show();
    LiveTab* live = w.live_tab();
    QSignalSpy shown(live, &LiveTab::frame_shown);
    w.open_path(clip_);
    QVERIFY2(wait_until([&] { return live->view()->has_frame(); }, 20000), qPrintable(live->view()->banner()));
    QCOMPARE(live->view()->frame().size(), QSize(160, 120));
    // The first frame and the source's state (which shows the transport) come from different threads:
    // either may reach the window first.
    QVERIFY(wait_until([&] { return live->transport()->isVisible(); }, 10000));
    QVERIFY(std::abs(live->transport()->frame_count() - 45) <= 1);
    QCOMPARE(live->transport()->fps(), 30.0);
    QVERIFY(w.findChildren<QLabel*>().size() > 0);
    const QString status = w.statusBar()->findChildren<QLabel*>().first()->text();
    QVERIFY2(status.contains("clip.mp4") && status.contains("160×120"), qPrintable(status));
    // No model: the HUD says how to get one, and the frame is shown as decoded.
    QVERIFY(live->hud()->lines().join('\n').contains("no model loaded"));

    // Pause, seek, step: the frame on screen follows.
    QVERIFY(wait_until([&] { return live->playing(); }, 10000));
    live->play_pause();
    QVERIFY(wait_until([&] { return live->source_state() == SourceState::Paused; }, 10000));
    live->seek(20);
    QVERIFY2(wait_until([&] { return live->current_frame() == 20; }, 10000),
             qPrintable(QString::number(live->current_frame())));
    QVERIFY(live->transport()->time_text().contains("frame 20"));
    live->step(+1);
    QVERIFY(wait_until([&] { return live->current_frame() == 21; }, 10000));
    live->step(-1);
    QVERIFY(wait_until([&] { return live->current_frame() == 20; }, 10000));

    // Detections on the timeline (as masks would record them): N jumps to the next one, the seek bar
    // strip shows it.
    auto track = live->review()->detections();
    for (int f = 0; f < 30; ++f) track->record(f, 0.0);
    for (int f = 30; f <= 36; ++f) track->record(f, 0.05);
    live->next_detection();
    QVERIFY(wait_until([&] { return live->current_frame() == 30; }, 10000));
    QVERIFY(wait_until([&] {
      for (const auto& m : live->transport()->slider()->marks()) {
        if (m.state == TimelineMark::State::Detected) return true;
      }
      return false;
    }, 5000));
    live->previous_detection();  // none before frame 30: stays (no seek is asked for), says so
    QCOMPARE(live->current_frame(), int64_t(30));
    QVERIFY(live->view()->toast().contains("No earlier detection"));

    // The segment list: one row (frames 30-36); a click on it seeks to its start.
    QTableWidget* table = live->review()->show_segments();
    QVERIFY(table);
    QCOMPARE(table->rowCount(), 1);
    QVERIFY2(table->item(0, 0)->text().contains("(30)"), qPrintable(table->item(0, 0)->text()));
    QVERIFY2(table->item(0, 1)->text().contains("(36)"), qPrintable(table->item(0, 1)->text()));
    QVERIFY(table->item(0, 3)->text().startsWith("5.0"));
    live->seek(5);
    QVERIFY(wait_until([&] { return live->current_frame() == 5; }, 10000));
    Q_EMIT table->cellClicked(0, 2);
    QVERIFY(wait_until([&] { return live->current_frame() == 30; }, 10000));

    // The CSV report of the segments, and a clear refusal when the folder cannot be written.
    const QString csv = QDir(tmp_.path()).filePath("detections.csv");
    QCOMPARE(live->review()->export_detection_report(csv), QString());
    QFile report(csv);
    QVERIFY(report.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(report.readAll());
    // One row for frames 30-36 (7 frames), as segments or, with the review panel's polyp events, as events.
    QVERIFY2((text.contains("segment,start_frame,end_frame") || text.contains("event,first_frame,last_frame")) &&
                 text.contains("\n1,30,36,7,"),
             qPrintable(text));
    QVERIFY(live->view()->toast().contains("Detection report saved"));
    QVERIFY(!live->review()->export_detection_report("/nonexistent-dir/x.csv").isEmpty());
    QVERIFY(live->view()->toast().contains("not saved"));

    // Play to the end: the banner says so and Space starts again from the top.
    live->play_pause();
    QVERIFY(wait_until([&] { return live->source_state() == SourceState::EndOfStream; }, 20000));
    QVERIFY(live->view()->banner().contains("End of file"));
    QVERIFY(shown.count() >= 20);
    live->play_pause();
    QVERIFY(wait_until([&] { return live->playing() && live->current_frame() < 20; }, 10000));
  }

  void loads_a_model_and_draws_the_overlay() {
    MainWindow w;
    w.show();
    LiveTab* live = w.live_tab();
    w.open_path(clip_);
    QVERIFY(wait_until([&] { return live->view()->has_frame(); }, 20000));
    live->play_pause();  // pause: the mask then belongs to the frame on screen
    QVERIFY(wait_until([&] { return live->source_state() == SourceState::Paused; }, 10000));

    w.open_path(checkpoint_);  // a .pt goes to the model
    QCOMPARE(live->model()->status(), ModelStatus::kLoading);
    QVERIFY(live->hud()->lines().join('\n').contains("loading"));
    QVERIFY2(wait_until([&] { return live->model()->status() == ModelStatus::kRunning; }, 60000),
             qPrintable(live->hud()->lines().join(" | ")));
    QVERIFY(live->model()->summary().contains("tiny.pt"));
    const int64_t paused_at = live->current_frame();
    // The mask of the paused frame: Running comes with the first mask, which may still be the one
    // of a frame decoded before the pause; the paused frame's own follows.
    QVERIFY2(wait_until([&] { return live->hud()->lines().join('\n').contains("this frame"); }, 30000),
             qPrintable(live->hud()->lines().join(" | ")));
    QVERIFY(!live->hud()->stale());
    live->seek(paused_at + 10);
    QVERIFY(wait_until([&] { return live->current_frame() == paused_at + 10 &&
                                    live->hud()->lines().join('\n').contains("this frame"); }, 30000));
    const QString status = w.statusBar()->findChildren<QLabel*>().last()->text();
    QVERIFY2(status.contains("tiny.pt"), qPrintable(status));
    QVERIFY(!live->hud()->lines().join('\n').contains("warming"));

    // Fill blends every pixel (polyp red or background green): the picture differs from the frame;
    // with the overlay off it is the decoded frame again.
    live->set_overlay_mode("fill");
    const QImage filled = live->view()->frame().convertToFormat(QImage::Format_RGB888);
    live->set_overlay_mode("off");
    const QImage plain = live->view()->frame().convertToFormat(QImage::Format_RGB888);
    QCOMPARE(filled.size(), plain.size());
    QVERIFY(filled != plain);
    live->set_overlay_mode("outline");
    QVERIFY(live->view()->frame().convertToFormat(QImage::Format_RGB888) != filled);

    // S: frame, mask, overlay and sidecar in the snapshot folder.
    const QString snaps = QDir(tmp_.path()).filePath("snaps");
    live->set_snapshot_folder(snaps);
    QSignalSpy written(live, &LiveTab::snapshot_written);
    live->snapshot();
    QVERIFY(written.wait(10000));
    QCOMPARE(written.first().at(0).toString(), snaps);
    const QStringList files = QDir(snaps).entryList(QDir::Files);
    QVERIFY2(files.filter("_frame.png").size() == 1 && files.filter("_mask.png").size() == 1 &&
                 files.filter("_overlay.png").size() == 1 && files.filter(".json").size() == 1,
             qPrintable(files.join(", ")));
    QVERIFY(live->view()->toast().contains("Snapshot saved"));
    // The sidecar agrees with the HUD: the paused frame's own mask is 0 ms old, however long it was
    // paused.
    QFile sidecar(QDir(snaps).filePath(files.filter(".json").first()));
    QVERIFY(sidecar.open(QIODevice::ReadOnly));
    const QJsonObject meta = QJsonDocument::fromJson(sidecar.readAll()).object();
    QCOMPARE(meta.value("mask_frame").toInteger(), paused_at + 10);
    QCOMPARE(meta.value("mask_age_ms").toDouble(-1), 0.0);

    // R: the annotated view to an MP4, red dot while recording.
    const QString recs = QDir(tmp_.path()).filePath("recs");
    pl::ui::Settings().set_last_folder("recordings", recs);
    live->toggle_recording();
    QVERIFY(live->recording());
    QVERIFY(live->view()->recording());
    QSignalSpy recorded(live, &LiveTab::frame_shown);
    live->play_pause();
    QVERIFY(wait_until([&] { return recorded.count() >= 5; }, 20000));
    live->toggle_recording();
    QVERIFY(!live->recording());
    QVERIFY(wait_until([&] { return live->view()->toast().contains("Recording saved"); }, 20000));
    const QStringList mp4 = QDir(recs).entryList({"*.mp4"}, QDir::Files);
    QCOMPARE(mp4.size(), 1);
    QVERIFY(QFileInfo(QDir(recs).filePath(mp4.first())).size() > 1000);

    // The background detection pass segments the whole file with its own model instance.
    QSignalSpy scanned(live->review(), &ReviewPanel::scan_finished);
    QVERIFY(live->review()->scan_detections());
    QVERIFY(live->review()->scanning());
    QVERIFY(scanned.wait(60000));
    QCOMPARE(scanned.first().at(0).toBool(), true);
    QVERIFY2(live->review()->detections()->known_frames() >= 20,
             qPrintable(QString::number(live->review()->detections()->known_frames())));
  }

  // First run: the bundled sample plays, the Open dialog starts beside it; the next start reopens
  // the source that played last; after Stop nothing is reopened.
  void the_first_run_opens_the_sample_and_a_restart_the_last_source() {
    const QString sample = QStringLiteral(POLYPLENS_TEST_SOURCE_DIR "/resources/samples/sample.mp4");
    QVERIFY2(QFileInfo(sample).isFile(), qPrintable(sample));
    {
      MainWindow w;
      w.set_sample_clip(sample);
      w.show();
      QCOMPARE(w.open_dialog_folder(), QFileInfo(sample).absolutePath());
      QCOMPARE(w.open_startup_source(), sample);
      LiveTab* live = w.live_tab();
      QVERIFY2(wait_until([&] { return live->view()->has_frame(); }, 20000), qPrintable(live->view()->banner()));
      QVERIFY(wait_until([&] { return Settings().last_source() == sample; }, 5000));
      QVERIFY(Settings().recent_files().contains(sample));
      QVERIFY(live->source_bar()->stop_enabled());
      // Another source, which then plays: that one is reopened next time.
      w.open_path(clip_);
      QVERIFY(wait_until([&] { return Settings().last_source() == clip_; }, 20000));
    }
    {
      MainWindow w;
      w.set_sample_clip(sample);
      QCOMPARE(w.open_startup_source(), clip_);
      QVERIFY(wait_until([&] { return w.live_tab()->view()->has_frame(); }, 20000));
      w.live_tab()->stop_source();
      QVERIFY(!w.live_tab()->has_source());
      QVERIFY(!w.live_tab()->view()->has_frame());
      QVERIFY(!w.live_tab()->source_bar()->stop_enabled());
    }
    MainWindow w;
    w.set_sample_clip(sample);
    QCOMPARE(w.open_startup_source(), QString());  // stopped, and not the first run any more
    QVERIFY(!w.live_tab()->has_source());
  }

  // A file that fails to open is not kept in Recent or the Source box, and is not reopened.
  void a_failed_source_is_not_remembered() {
    MainWindow w;
    w.show();
    LiveTab* live = w.live_tab();
    w.open_path(clip_);
    QVERIFY(wait_until([&] { return Settings().last_source() == clip_; }, 20000));
    const QString missing = QDir(tmp_.path()).filePath("gone.mp4");
    // Once it played, later deleted: it is in Recent until it fails.
    Settings().add_recent_file(missing);
    live->refresh_sources();
    QVERIFY(live->source_bar()->sources().contains(missing));
    w.open_path(missing);
    QVERIFY(wait_until([&] { return live->source_state() == SourceState::Failed; }, 20000));
    QVERIFY2(!Settings().recent_files().contains(missing), qPrintable(Settings().recent_files().join(", ")));
    QVERIFY(!live->source_bar()->sources().contains(missing));
    QVERIFY(Settings().recent_files().contains(clip_));
    QCOMPARE(Settings().last_source(), clip_);
    MainWindow again;
    QCOMPARE(again.open_startup_source(), clip_);
  }

  // A stream that never connected says why it cannot connect, not "source lost".
  void a_stream_that_never_connected_says_why() {
    MainWindow w;
    w.show();
    LiveTab* live = w.live_tab();
    const QString url = QStringLiteral("rtsp://127.0.0.1:9/none");  // the discard port: refused
    w.open_path(url);
    QVERIFY2(wait_until([&] {
               const QString b = live->view()->banner();
               return b.contains("attempt") || live->source_state() == SourceState::Failed;
             }, 30000),
             qPrintable(live->view()->banner()));
    const QString banner = live->view()->banner();
    if (live->source_state() == SourceState::Failed && banner.contains("plugin", Qt::CaseInsensitive))
      QSKIP("no RTSP plugin here");
    QVERIFY2(!banner.contains("lost") && banner.contains("Cannot connect") && banner.contains("127.0.0.1:9") &&
                 banner.contains("Stop gives up"),
             qPrintable(banner));
    QVERIFY(!Settings().recent_urls().contains(url));
    live->stop_source();
    QVERIFY(live->view()->banner().isEmpty());
    QVERIFY(Settings().last_source().isEmpty());
  }

  void errors_are_named_on_screen() {
    MainWindow w;
    w.show();
    LiveTab* live = w.live_tab();
    w.open_path(QDir(tmp_.path()).filePath("missing.mp4"));
    QVERIFY2(wait_until([&] { return live->source_state() == SourceState::Failed; }, 20000),
             qPrintable(live->view()->banner()));
    QVERIFY2(live->view()->banner().contains("missing.mp4"), qPrintable(live->view()->banner()));

    const QString bogus = QDir(tmp_.path()).filePath("bogus.pt");
    QFile f(bogus);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not a checkpoint");
    f.close();
    w.open_path(bogus);
    QVERIFY(wait_until([&] { return live->model()->status() == ModelStatus::kFailed; }, 20000));
    QVERIFY(live->hud()->warning());
    QVERIFY(live->hud()->lines().join('\n').contains("model failed"));
    QVERIFY(live->view()->toast().contains("bogus.pt"));
  }

  // A live source that is lost must not leave a frozen picture that looks live.
  void a_lost_source_greys_the_picture_and_says_so() {
    MainWindow w;
    w.show();
    LiveTab* live = w.live_tab();
    pl::core::FakeSourceOptions o;
    o.fail_after_frames = 15;
    o.failure = {pl::core::VideoErrorCategory::DeviceLost, "The camera 'fake0' was disconnected.", "", false};
    live->open_frame_source(std::make_unique<pl::core::FakeFrameSource>(o), "fake0");
    QVERIFY(wait_until([&] { return live->view()->has_frame(); }, 10000));
    QVERIFY(!live->view()->dimmed());
    QVERIFY(wait_until([&] { return live->source_state() == SourceState::Failed; }, 10000));
    QVERIFY(live->view()->dimmed());
    QVERIFY2(live->view()->banner().contains("disconnected") && live->view()->banner().contains("cable"),
             qPrintable(live->view()->banner()));
  }

  // Real footage has a black border around the scope's field of view: the green wash must not cover
  // it, on screen or in a snapshot, unless View > "Overlay only inside the scope's view" is off
  // (remembered for the next start).
  void the_overlay_stays_inside_the_scopes_view() {
    const cv::Mat scope = scope_frame();
    const cv::Mat border = scope_border();
    const int border_px = cv::countNonZero(border);
    {
      MainWindow w;
      w.show();
      LiveTab* live = w.live_tab();
      auto* in_view = w.findChild<QAction*>("overlay_limit_to_view");
      QVERIFY(in_view);
      QVERIFY(in_view->isCheckable() && in_view->isChecked());
      QCOMPARE(in_view->text(), QString("Overlay only inside the scope's view"));
      w.open_path(checkpoint_);
      pl::core::FakeSourceOptions o;
      o.size = {320, 240};
      o.fps = 30;
      o.picture = [scope](int64_t) { return scope; };
      live->open_frame_source(std::make_unique<pl::core::FakeFrameSource>(o), "scope");
      // A mask is on screen once the disc is painted (fill blends every pixel it covers).
      QVERIFY2(wait_until([&] {
        return live->model()->status() == ModelStatus::kRunning && live->view()->has_frame() &&
               changed_pixels(shown_bgr(live), scope, border == 0) > 1000;
      }, 60000), qPrintable(live->view()->banner()));
      QCOMPARE(changed_pixels(shown_bgr(live), scope, border), 0);

      const QString snaps = QDir(tmp_.path()).filePath("scope_snaps");
      live->set_snapshot_folder(snaps);
      QSignalSpy written(live, &LiveTab::snapshot_written);
      live->snapshot();
      QVERIFY(written.wait(20000));
      QCOMPARE(written.first().at(0).toString(), snaps);
      const QStringList overlays = QDir(snaps).entryList({"*_overlay.png"});
      QCOMPARE(overlays.size(), 1);
      const cv::Mat snap = cv::imread(QDir(snaps).filePath(overlays.first()).toStdString(), cv::IMREAD_COLOR);
      QCOMPARE(changed_pixels(snap, scope, border), 0);
      QVERIFY(changed_pixels(snap, scope, border == 0) > 1000);

      in_view->setChecked(false);  // repaints at once
      QCOMPARE(changed_pixels(shown_bgr(live), scope, border), border_px);
      QVERIFY(!live->overlay_limit_to_view());
      QVERIFY(!Settings().overlay_limit_to_view());
    }
    MainWindow again;
    QVERIFY(!again.findChild<QAction*>("overlay_limit_to_view")->isChecked());
    QVERIFY(!again.live_tab()->overlay_limit_to_view());
  }

  // The HUD's drop counters are the current source's: a source that outruns the model drops many
  // frames; the next one starts again from 0. The next source delivers one frame and stalls, so it
  // can drop at most that one inference frame (the old source's last frame may still wait in the
  // model's mailbox when it arrives) and no display frame (the session clears its display slot).
  void drop_counters_restart_for_each_source() {
    MainWindow w;
    w.show();
    LiveTab* live = w.live_tab();
    w.open_path(checkpoint_);
    pl::core::FakeSourceOptions fast;
    fast.fps = 0;  // back to back: far faster than any model
    live->open_frame_source(std::make_unique<pl::core::FakeFrameSource>(fast), "fast");
    QVERIFY2(wait_until([&] {
      return live->model()->status() == ModelStatus::kRunning && live->hud()->state().dropped_inference > 10;
    }, 60000), qPrintable(QString::number(live->hud()->state().dropped_inference)));

    pl::core::FakeSourceOptions one;
    one.stall_after_frames = 1;
    live->open_frame_source(std::make_unique<pl::core::FakeFrameSource>(one), "one frame");
    QVERIFY(wait_until([&] { return live->frames_shown() == 1 && live->current_frame() == 0; }, 20000));
    QVERIFY2(live->hud()->state().dropped_inference <= 1,
             qPrintable(QString::number(live->hud()->state().dropped_inference)));
    QCOMPARE(live->hud()->state().dropped_display, 0LL);
  }

  void the_test_pattern_is_live_without_transport() {
    MainWindow w;
    w.show();
    LiveTab* live = w.live_tab();
    w.open_path("test:ball");
    QVERIFY(wait_until([&] { return live->view()->has_frame(); }, 20000));
    QVERIFY(!live->transport()->isVisible());
    QVERIFY(wait_until([&] { return live->hud()->state().capture_fps > 5; }, 10000));
    live->close_source();
    QVERIFY(!live->view()->has_frame());
  }
};

QTEST_MAIN(TestLiveTab)
#include "test_live_tab.moc"
