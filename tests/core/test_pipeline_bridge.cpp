// LiveSessionBridge: the session's callbacks arrive as Qt signals on the GUI thread, with the update
// notification coalesced (bounded event queue) and errors/reconnects carrying their category.
#include <QThread>
#include <QtTest>

#include "core/pipeline/live_session_bridge.h"
#include "core/video/fake_frame_source.h"

using namespace pl::core;

class TestPipelineBridge : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void signals_arrive_on_the_gui_thread_coalesced() {
    LiveSession session;
    LiveSessionBridge bridge(session);
    int updates = 0;
    int64_t frames_shown = 0;
    bool on_gui_thread = true;
    connect(&bridge, &LiveSessionBridge::updateReady, this, [&] {
      on_gui_thread = on_gui_thread && QThread::currentThread() == thread();
      ++updates;
      if (session.take_update().new_frame) ++frames_shown;
    });
    // Recorded on this (GUI) thread: a QSignalSpy would be called on the source's thread (a data race
    // with the reads below, which TSan reports).
    QStringList states;
    QObject receiver;  // destroyed before `states`: queued calls still pending then are dropped
    connect(&bridge, &LiveSessionBridge::stateChanged, &receiver,
            [&](SourceState s, const SourceInfo&) { states << QString::fromUtf8(to_string(s)); },
            Qt::QueuedConnection);
    FakeSourceOptions so;
    so.fps = 200.0;
    so.num_frames = 60;
    so.live = false;
    session.set_source(std::make_unique<FakeFrameSource>(so));
    session.start();
    QTRY_VERIFY_WITH_TIMEOUT(session.source()->state() == SourceState::EndOfStream, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(frames_shown > 0, 5000);
    QVERIFY(on_gui_thread);
    QVERIFY(updates <= 61);  // never more notifications than frames (+ the last one)
    QTRY_VERIFY_WITH_TIMEOUT(!states.isEmpty() && states.last() == "end-of-stream", 5000);
    session.stop();
  }

  // Each mask also arrives as a small footprint (<= kFootprintWidth px wide, the frame's aspect, polyp
  // where the mask had it) for the review's polyp events and the alert.
  void masks_arrive_as_footprints() {
    class LeftHalf : public FrameSegmenter {
     public:
      SegmentResult segment(const cv::Mat& bgr) override {
        SegmentResult r;
        r.mask = cv::Mat::zeros(bgr.size(), CV_8UC1);
        r.mask(cv::Rect(0, 0, bgr.cols / 2, bgr.rows)).setTo(1);
        return r;
      }
      std::string describe() const override { return "left half"; }
    };
    LiveSession session;
    LiveSessionBridge bridge(session);
    std::vector<cv::Mat> footprints;
    QObject receiver;  // destroyed before `footprints`: queued calls still pending then are dropped
    connect(&bridge, &LiveSessionBridge::maskFootprint, &receiver,
            [&](qint64, const cv::Mat& m) { footprints.push_back(m); });
    session.set_segmenter(std::make_unique<LeftHalf>());
    FakeSourceOptions so;
    so.fps = 50.0;
    so.num_frames = 10;
    so.size = {640, 480};
    so.live = false;
    session.set_source(std::make_unique<FakeFrameSource>(so));
    session.start();
    QTRY_VERIFY_WITH_TIMEOUT(!footprints.empty(), 10000);
    session.stop();
    const cv::Mat& f = footprints.front();
    QCOMPARE(f.cols, LiveSessionBridge::kFootprintWidth);
    QCOMPARE(f.rows, 120);
    QCOMPARE(cv::countNonZero(f.colRange(0, 80)), 80 * 120);
    QCOMPARE(cv::countNonZero(f.colRange(80, 160)), 0);
  }

  void errors_carry_their_category() {
    LiveSession session;
    LiveSessionBridge bridge(session);
    QList<VideoError> errors;  // recorded on this thread, as above
    QObject receiver;
    connect(&bridge, &LiveSessionBridge::errorOccurred, &receiver,
            [&](const VideoError& e) { errors.append(e); }, Qt::QueuedConnection);
    FakeSourceOptions so;
    so.fail_on_open = VideoError{VideoErrorCategory::Network, "Cannot connect to 'rtsp://cam'", "", true};
    session.set_source(std::make_unique<FakeFrameSource>(so));
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 5000);
    QCOMPARE(int(errors.at(0).category), int(VideoErrorCategory::Network));
    QCOMPARE(QString::fromUtf8(to_string(errors.at(0).category)), QString("network"));
    QVERIFY(QString::fromStdString(errors.at(0).message).contains("rtsp://cam"));
    QVERIFY(errors.at(0).transient);
    session.stop();
  }
};

QTEST_GUILESS_MAIN(TestPipelineBridge)
#include "test_pipeline_bridge.moc"
