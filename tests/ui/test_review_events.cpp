// Polyp events in the review (docs/metrics.md §6): the synthetic clip of tests/core/event_clip.h fed
// to the review panel as masks, with its ground-truth track beside the "video": the timeline shows one
// bar per event (flicker and false alarms marked), a click on a bar seeks to the event's first frame,
// the events window lists them under the video's summary, and the detection report lists them with
// the frames it covers.
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "core/event_clip.h"
#include "core/sample/mask_track.h"
#include "ui/model_loader.h"
#include "ui/review_panel.h"
#include "ui/settings.h"
#include "ui/timeline_slider.h"
#include "ui/transport_bar.h"
#include "ui/video_view.h"
#include "support/isolated_settings.h"

using namespace pl::ui;
using namespace pl::test;

class TestReviewEvents : public QObject {
  Q_OBJECT

  QTemporaryDir tmp_;

  struct Rig {
    Settings settings;  // outlives the window's children (the model loader reads it)
    QWidget window;
    VideoView* view = nullptr;
    TransportBar* transport = nullptr;
    ModelLoader* model = nullptr;
    ReviewPanel* panel = nullptr;
  };

  // A panel over `video` (an empty file: nothing is decoded here), 100 frames at 10 fps.
  static void open(Rig& rig, const QString& video) {
    rig.view = new VideoView(&rig.window);
    rig.transport = new TransportBar(&rig.window);
    rig.transport->resize(800, 40);
    rig.view->resize(320, 240);
    rig.transport->move(0, 250);
    rig.window.resize(820, 300);
    rig.model = new ModelLoader(rig.settings, &rig.window);
    rig.panel = new ReviewPanel(rig.view, rig.transport, rig.model, &rig.window);
    rig.transport->set_duration(100, 10);
    rig.window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&rig.window));
    rig.panel->reset(video);
    pl::core::SourceInfo info;
    info.description = QFileInfo(video).fileName().toStdString();
    info.seekable = true;
    info.fps = kFps;
    info.frame_count = 100;
    rig.panel->set_source_info(info);
  }

 private Q_SLOTS:
  void initTestCase() {
    pl::test::isolate_settings();
    QVERIFY(tmp_.isValid());
    QFile(tmp_.filePath("clip.mp4")).open(QIODevice::WriteOnly);
    QFile(tmp_.filePath("sparse.mp4")).open(QIODevice::WriteOnly);
    pl::core::MaskTrackWriter truth(tmp_.filePath("clip.plmasks").toStdString(), kW, kH, kFps);
    for (int f = 0; f < 100; ++f) truth.add(draw(kTruth, f));
    truth.close();
  }

  void eventsOnTheTimeline() {
    Rig rig;
    open(rig, tmp_.filePath("clip.mp4"));
    // The ground truth beside the video is loaded with it.
    QTRY_VERIFY_WITH_TIMEOUT(rig.panel->has_ground_truth(), 10000);
    auto track = rig.panel->detections();
    for (int f = 0; f < 100; ++f) track->record_mask(f, draw(kPred, f));

    // The review's default gap (5 frames) bridges B's 3-frame miss: flicker (1), A (2), B (3), and the
    // false alarms 62-68 (4) and 85-99 (5).
    QTRY_COMPARE_WITH_TIMEOUT(int(rig.panel->events().size()), 5, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(rig.panel->false_alarms(), (std::vector<int>{1, 4, 5}), 10000);
    TimelineSlider* slider = rig.transport->slider();
    QTRY_COMPARE_WITH_TIMEOUT(int(slider->events().size()), 5, 10000);
    const auto& bars = slider->events();
    QCOMPARE(bars[1].first, int64_t(13));
    QCOMPARE(bars[1].last, int64_t(39));
    QVERIFY(bars[0].flicker && !bars[1].flicker);
    QCOMPARE(bars[2].first, int64_t(30));
    QCOMPARE(bars[2].last, int64_t(59));
    QVERIFY(bars[0].false_alarm && !bars[1].false_alarm && !bars[2].false_alarm && bars[3].false_alarm &&
            bars[4].false_alarm);
    QVERIFY2(bars[3].tip.contains("False alarm 4"), qPrintable(bars[3].tip));

    // A and B are in view together (frames 30-39): their bars take two lanes.
    QVERIFY(slider->event_rect(1).top() != slider->event_rect(2).top());
    QVERIFY(slider->event_rect(1).intersects(slider->event_rect(2).translated(0, slider->event_rect(1).top() -
                                                                                    slider->event_rect(2).top())));
    // A click on a bar seeks to the event's first frame (through the transport bar, as the tab seeks).
    QSignalSpy seeks(rig.transport, &TransportBar::seek_requested);
    QSignalSpy clicked(slider, &TimelineSlider::event_clicked);
    const QRect bar = slider->event_rect(1);
    QVERIFY(!bar.isEmpty());
    QTest::mouseClick(slider, Qt::LeftButton, {}, QPoint(bar.right() - 1, bar.center().y()));
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.at(0).at(0).toInt(), 1);
    QCOMPARE(seeks.count(), 1);
    QCOMPARE(seeks.at(0).at(0).value<int64_t>(), int64_t(13));
    QCOMPARE(slider->value(), 13);
    // A click on the groove away from the bars still seeks where it lands.
    QTest::mouseClick(slider, Qt::LeftButton, {}, QPoint(slider->width() * 3 / 4, 4));
    QCOMPARE(seeks.count(), 2);
    QVERIFY(seeks.at(1).at(0).value<int64_t>() > 60);

    // The per-video summary.
    const QString summary = rig.panel->summary();
    QVERIFY2(summary.contains("4 polyp event(s)"), qPrintable(summary));
    QVERIFY2(summary.contains("1 flicker"), qPrintable(summary));
    QVERIFY2(summary.contains("false alarms: 3 (against clip.plmasks)"), qPrintable(summary));
    QVERIFY2(summary.contains("From 100 frames segmented"), qPrintable(summary));
    // Model events (not the flicker) span 13-59, 62-68 and 85-99: 47 + 7 + 15 = 69 frames.
    QVERIFY2(summary.contains("6.9 s with a polyp on screen (69 % of 10.0 s)"), qPrintable(summary));

    // The events window: one row per event with its kind; a click asks to seek to its first frame.
    QTableWidget* table = rig.panel->show_segments();
    QVERIFY(table);
    QCOMPARE(table->rowCount(), 5);
    QVERIFY2(table->item(1, 0)->text().contains("(13)"), qPrintable(table->item(1, 0)->text()));
    QVERIFY2(table->item(1, 1)->text().contains("(39)"), qPrintable(table->item(1, 1)->text()));
    QCOMPARE(table->item(1, 2)->text(), QStringLiteral("2.70 s"));
    QCOMPARE(table->item(0, 5)->text(), QStringLiteral("flicker, false alarm"));
    QCOMPARE(table->item(1, 5)->text(), QStringLiteral("polyp"));
    QCOMPARE(table->item(2, 5)->text(), QStringLiteral("polyp"));
    QCOMPARE(table->item(4, 5)->text(), QStringLiteral("false alarm"));
    QVERIFY(table->window()->findChild<QLabel*>("summary")->text().contains("4 polyp event(s)"));
    QSignalSpy panel_seeks(rig.panel, &ReviewPanel::seek_requested);
    Q_EMIT table->cellClicked(2, 1);
    QCOMPARE(panel_seeks.count(), 1);
    QCOMPARE(panel_seeks.at(0).at(0).toLongLong(), qlonglong(30));

    // The detection report lists the events and the false alarms.
    const QString csv = tmp_.filePath("events.csv");
    QCOMPARE(rig.panel->export_detection_report(csv), QString());
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(f.readAll());
    QVERIFY2(text.contains("# covers: 100 of 100 frames segmented"), qPrintable(text));
    QVERIFY2(text.contains("# false alarms against clip.plmasks: 3 (event 1 4 5)"), qPrintable(text));
    QVERIFY2(text.contains("\n2,13,39,27,27,"), qPrintable(text));
  }

  void partialCoverageIsSaid() {
    // Only every other frame segmented (playback behind the video), no ground truth.
    Rig rig;
    open(rig, tmp_.filePath("sparse.mp4"));
    auto track = rig.panel->detections();
    for (int f = 0; f < 100; f += 2) track->record_mask(f, draw(kPred, f));
    QTRY_VERIFY_WITH_TIMEOUT(!rig.panel->events().empty(), 10000);
    QVERIFY(!rig.panel->has_ground_truth());
    const QString summary = rig.panel->summary();
    QVERIFY2(summary.contains("From 50 of 100 frames segmented: Scan to cover the whole file"), qPrintable(summary));
    QVERIFY(!summary.contains("false alarms"));
    const QString csv = tmp_.filePath("sparse.csv");
    QCOMPARE(rig.panel->export_detection_report(csv), QString());
    QVERIFY2(rig.view->toast().contains("covers the 50 of 100 frames segmented"), qPrintable(rig.view->toast()));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(QString::fromUtf8(f.readAll()).contains("only the frames the model processed while playing"));
  }

  void mismatchedGroundTruthIsRefused() {
    Rig rig;
    open(rig, tmp_.filePath("clip.mp4"));
    QTRY_VERIFY_WITH_TIMEOUT(rig.panel->has_ground_truth(), 10000);
    // Another file of 50 frames: the 100-frame track is not its ground truth.
    QSignalSpy loaded(rig.panel, &ReviewPanel::ground_truth_loaded);
    rig.panel->reset(tmp_.filePath("sparse.mp4"));
    pl::core::SourceInfo info;
    info.seekable = true;
    info.fps = kFps;
    info.frame_count = 50;
    rig.panel->set_source_info(info);
    rig.panel->load_ground_truth(tmp_.filePath("clip.plmasks"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 10000);
    QVERIFY(!loaded.at(0).at(0).toBool());
    QVERIFY2(loaded.at(0).at(1).toString().contains("has 100 frames, the video 50"),
             qPrintable(loaded.at(0).at(1).toString()));
    QVERIFY(!rig.panel->has_ground_truth());
    rig.panel->load_ground_truth(tmp_.filePath("missing.plmasks"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 10000);
    QVERIFY2(loaded.at(1).at(1).toString().contains("missing.plmasks"), qPrintable(loaded.at(1).at(1).toString()));
  }
};

QTEST_MAIN(TestReviewEvents)
#include "test_review_events.moc"
