// The per-stage latency probe (for `polyplens bench`): runs end to end on a small size and reports
// every stage, with the model stages taken from the segmenter's own timings.
#include <QtTest>

#include <thread>

#include "core/pipeline/latency_probe.h"

using namespace pl::core;

namespace {
class TimedSegmenter : public FrameSegmenter {
 public:
  SegmentResult segment(const cv::Mat& bgr) override {
    ++calls;
    SegmentResult r;
    r.mask = cv::Mat::zeros(bgr.size(), CV_8UC1);
    r.preprocess_ms = 1.5;
    r.infer_ms = 20.0 + calls;  // 21, 22, ... : median of 3 calls after warm-up = 23
    r.postprocess_ms = 0.5;
    return r;
  }
  std::string describe() const override { return "timed fake"; }
  int calls = 0;
};
}  // namespace

class TestPipelineLatency : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void reports_every_stage() {
    LatencyProbeOptions o;
    o.size = {320, 240};
    o.frames = 12;
    o.segment_frames = 3;
    TimedSegmenter seg;
    const LatencyReport r = measure_latency(o, &seg);
    qInfo("\n%s", r.to_text().c_str());
    QCOMPARE(r.decode.samples, 11);  // intervals between 12 decoded frames
    QVERIFY(r.decode.median_ms > 0.0);
    QCOMPARE(r.copy_out.samples, 12);
    QCOMPARE(r.overlay.samples, 12);
    QCOMPARE(r.handoff.samples, 12);
    QVERIFY(r.overlay.median_ms > 0.0 && r.overlay.median_ms <= r.overlay.max_ms);
    QCOMPARE(seg.calls, 4);  // warm-up + 3
    QCOMPARE(r.inference.median_ms, 23.0);
    QCOMPARE(r.preprocess.median_ms, 1.5);
    QVERIFY(r.added_video_delay.median_ms >= r.overlay.median_ms);
    QVERIFY(r.annotation_delay_ms > 23.0 + 1.5 + 0.5);
    QVERIFY(r.to_text().find("hand-off") != std::string::npos);
    QCOMPARE(r.segmenter, std::string("timed fake"));
  }

  void summarize_statistics() {
    const StageStats s = summarize({5, 1, 3, 2, 4, 100, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19});
    QCOMPARE(s.samples, 20);
    QCOMPARE(s.median_ms, 10.5);
    QCOMPARE(s.p95_ms, 19.0);
    QCOMPARE(s.max_ms, 100.0);
    QCOMPARE(s.min_ms, 1.0);
    QCOMPARE(summarize({}).samples, 0);
  }

  void bad_options_are_rejected() {
    LatencyProbeOptions o;
    o.frames = 2;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, measure_latency(o, nullptr));
  }
};

QTEST_GUILESS_MAIN(TestPipelineLatency)
#include "test_pipeline_latency.moc"
