// Detection timeline: segment rules (hysteresis, gap merging, minimum length), next/previous
// detection, the seek-bar strip, the CSV report, the sample clip's ground truth fed as masks, and the
// background pass over a generated clip whose polyp frames are known.
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <fstream>
#include <sstream>

#include "core/export/file_writer.h"
#include "core/review/detection_scan.h"
#include "core/review/detection_track.h"
#include "core/review/polyp_alert.h"
#include "core/review/segment_report.h"
#include "core/review/video_reader.h"
#include "core/sample/mask_track.h"
#include "review_clip.h"

using namespace pl::core::review;
using Segs = std::vector<DetectionSegment>;
Q_DECLARE_METATYPE(std::vector<float>)
Q_DECLARE_METATYPE(Segs)

namespace {

constexpr float U = kUnknownArea;

SegmentOptions opts(int gap, int min_frames, double enter = 0.1, double keep = 0.1) {
  SegmentOptions o;
  o.enter_area = enter;
  o.keep_area = keep;
  o.max_gap = gap;
  o.min_frames = min_frames;
  return o;
}

DetectionSegment seg(int64_t s, int64_t e, int64_t pf, float pa) { return {s, e, pf, pa}; }

std::string describe(const Segs& v) {
  std::ostringstream s;
  for (const auto& x : v) s << "[" << x.start << "," << x.end << " peak " << x.peak_frame << "=" << x.peak_area << "] ";
  return s.str();
}

}  // namespace

class TestTimeline : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void segments_data() {
    QTest::addColumn<std::vector<float>>("area");
    QTest::addColumn<int>("gap");
    QTest::addColumn<int>("minFrames");
    QTest::addColumn<double>("keep");
    QTest::addColumn<Segs>("want");
    const std::vector<float> flicker{0, .5f, .5f, .5f, 0, 0, .3f, .5f, 0, 0, 0, 0, 0, .9f, 0};
    QTest::newRow("no gap merging") << flicker << 0 << 1 << 0.1 << Segs{seg(1, 3, 1, .5f), seg(6, 7, 7, .5f), seg(13, 13, 13, .9f)};
    QTest::newRow("gap 2 merges") << flicker << 2 << 1 << 0.1 << Segs{seg(1, 7, 1, .5f), seg(13, 13, 13, .9f)};
    QTest::newRow("min length drops blips") << flicker << 2 << 3 << 0.1 << Segs{seg(1, 7, 1, .5f)};
    QTest::newRow("gap 5 bridges all") << flicker << 5 << 3 << 0.1 << Segs{seg(1, 13, 13, .9f)};
    // Unknown frames count as gap: sparse sampling merges, a long unseen stretch does not.
    const std::vector<float> sparse{U, .4f, U, U, .4f, U, U, .6f, U, U, U, U, U, U, U, U, .4f, U, .4f};
    QTest::newRow("unknown as gap") << sparse << 2 << 1 << 0.1 << Segs{seg(1, 7, 7, .6f), seg(16, 18, 16, .4f)};
    // Hysteresis: weak frames (0.05 > keep 0.02) extend a segment that has a strong one; a run of weak
    // frames alone is no segment.
    const std::vector<float> weak{.05f, .05f, .2f, .05f, .05f, 0, 0, 0, .05f, .05f, .05f, .05f};
    QTest::newRow("hysteresis") << weak << 0 << 1 << 0.02 << Segs{seg(0, 4, 2, .2f)};
    QTest::newRow("no hysteresis") << weak << 0 << 1 << 0.1 << Segs{seg(2, 2, 2, .2f)};
    QTest::newRow("empty") << std::vector<float>{} << 3 << 1 << 0.1 << Segs{};
    QTest::newRow("all unknown") << std::vector<float>(20, U) << 3 << 1 << 0.1 << Segs{};
    QTest::newRow("to the end") << std::vector<float>{0, 0, .3f, .3f, .3f} << 0 << 3 << 0.1 << Segs{seg(2, 4, 2, .3f)};
  }

  void segments() {
    QFETCH(std::vector<float>, area);
    QFETCH(int, gap);
    QFETCH(int, minFrames);
    QFETCH(double, keep);
    QFETCH(Segs, want);
    const auto got = find_segments(area, opts(gap, minFrames, 0.1, keep));
    QVERIFY2(got == want, ("got " + describe(got) + " want " + describe(want)).c_str());
  }

  void badOptionsAreRefused() {
    auto refuses = [](SegmentOptions o, const char* word) {
      try {
        o.validate();
      } catch (const std::invalid_argument& e) {
        return QString(e.what()).contains(word);
      }
      return false;
    };
    QVERIFY(refuses(opts(-1, 1), "max_gap"));
    QVERIFY(refuses(opts(0, 0), "min_frames"));
    QVERIFY(refuses(opts(0, 1, 0.1, 0.2), "keep_area"));
    QVERIFY(refuses(opts(0, 1, 1.5, 0.1), "enter_area"));
    DetectionTrack t;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, t.set_options(opts(0, 0)));
  }

  void nextAndPrevious() {
    DetectionTrack t(100, 25, opts(0, 1));
    for (int f : {10, 11, 12, 40, 41, 70}) t.record(f, 0.5);
    for (int f = 0; f < 100; ++f)
      if (!t.known(f)) t.record(f, 0.0);
    QCOMPARE(int(t.segments().size()), 3);
    QCOMPARE(t.next_detection(0), int64_t(10));
    QCOMPARE(t.next_detection(10), int64_t(40));  // from a segment's start: the next one
    QCOMPARE(t.next_detection(11), int64_t(40));
    QCOMPARE(t.next_detection(70), int64_t(-1));
    QCOMPARE(t.previous_detection(99), int64_t(70));
    QCOMPARE(t.previous_detection(70), int64_t(40));
    QCOMPARE(t.previous_detection(41), int64_t(40));  // inside: its own start first
    QCOMPARE(t.previous_detection(10), int64_t(-1));
    QCOMPARE(t.segment_at(11), 0);
    QCOMPARE(t.segment_at(13), -1);
    QCOMPARE(t.segment_at(70), 2);
    // Options apply to the queries at once.
    t.set_options(opts(27, 1));  // 12 -> 40 (27 frames apart) merges, 41 -> 70 (28) does not
    QCOMPARE(int(t.segments().size()), 2);
    QCOMPARE(t.next_detection(11), int64_t(70));
  }

  // The alert rises after K positive masks in a row and falls after M negative ones; isolated noise
  // never toggles it.
  void alertDebounces() {
    AlertOptions o;
    o.area_threshold = 0.01;
    o.enter_frames = 3;
    o.leave_frames = 4;
    PolypAlert alert(o);
    using E = PolypAlert::Event;
    // 1 = polyp, 0 = none; the events expected after each frame.
    const std::string frames = "010110011110001011000011";
    std::string events;
    for (char c : frames) {
      const E e = alert.update(c == '1' ? 0.2 : 0.0);
      events += e == E::Appeared ? 'A' : e == E::Cleared ? 'C' : '.';
    }
    QCOMPARE(events, std::string(".........A...........C.."));
    QCOMPARE(alert.alerts(), int64_t(1));
    QVERIFY(!alert.active());

    // Chatter test: a mask that flickers every frame (or every other pair) never raises an alert, and
    // once raised, flicker never clears it.
    PolypAlert quiet(o);
    int changes = 0;
    for (int i = 0; i < 1000; ++i) changes += quiet.update((i / 2) % 2 ? 0.5 : 0.0) != E::None;
    QCOMPARE(changes, 0);
    PolypAlert held(o);
    for (int i = 0; i < 3; ++i) held.update(0.5);
    QVERIFY(held.active());
    changes = 0;
    for (int i = 0; i < 1000; ++i) changes += held.update(i % 4 == 3 ? 0.5 : 0.0) != E::None;  // 3 off, 1 on
    QCOMPARE(changes, 0);
    QVERIFY(held.active());
    // Threshold is strict; NaN counts as no polyp; reset forgets.
    PolypAlert k1({0.01, 1, 1});
    QCOMPARE(k1.update(0.01), E::None);
    QCOMPARE(k1.update(0.011), E::Appeared);
    QCOMPARE(k1.update(std::nan("")), E::Cleared);
    k1.update(0.5);
    k1.reset();
    QVERIFY(!k1.active());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, PolypAlert({0.01, 0, 1}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, PolypAlert({0.01, 1, 0}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, PolypAlert({-0.1, 1, 1}));
  }

  void trackBookkeeping() {
    DetectionTrack t(10, 25);
    const auto r0 = t.revision();
    t.record(3, 0.25);
    QVERIFY(t.revision() > r0);
    QCOMPARE(t.known_frames(), int64_t(1));
    t.record(3, 0.5);  // overwrite: still one known frame
    QCOMPARE(t.known_frames(), int64_t(1));
    QCOMPARE(t.area(3), 0.5f);
    t.record(14, 2.0);  // grows, clamps
    QCOMPARE(t.frame_count(), int64_t(15));
    QCOMPARE(t.area(14), 1.0f);
    QCOMPARE(t.area(12), U);
    t.record(-4, 0.5);  // ignored
    QCOMPARE(t.known_frames(), int64_t(2));
    t.forget(3);
    QCOMPARE(t.known_frames(), int64_t(1));
    QVERIFY(!t.known(3));
    cv::Mat mask(10, 10, CV_8U, cv::Scalar(0));
    mask(cv::Rect(0, 0, 5, 2)).setTo(1);
    t.record_mask(5, mask);
    QCOMPARE(t.area(5), 0.1f);
    t.reset(4, 30);
    QCOMPARE(t.frame_count(), int64_t(4));
    QCOMPARE(t.known_frames(), int64_t(0));
  }

  void strip() {
    DetectionTrack t(100, 25, opts(0, 1));
    for (int f = 0; f < 50; ++f) t.record(f, 0.0);  // first half seen, clear
    for (int f = 20; f < 25; ++f) t.record(f, 0.4);  // one segment
    const auto cells = t.strip(10);
    QCOMPARE(int(cells.size()), 10);
    QCOMPARE(cells[0].first, int64_t(0));
    QCOMPARE(cells[9].last, int64_t(99));
    QCOMPARE(int(cells[2].state), int(StripCell::State::Detected));
    QCOMPARE(cells[2].peak_area, 0.4f);
    QCOMPARE(int(cells[1].state), int(StripCell::State::Clear));
    QCOMPARE(cells[1].coverage, 1.0f);
    QCOMPARE(int(cells[7].state), int(StripCell::State::Unknown));
    QCOMPARE(cells[7].coverage, 0.0f);
    // More cells than frames: one cell per frame; no track: nothing.
    QCOMPARE(int(t.strip(1000).size()), 100);
    QVERIFY(DetectionTrack().strip(10).empty());
  }

  // The sample clip's ground-truth masks, fed as the pipeline would feed predictions: a polyp is in
  // every frame (one segment over the whole clip, peaking where the truth is largest); blanking
  // frames 100-149 (the model missing the polyp for 2 s) splits it exactly there.
  void sampleGroundTruth() {
    const auto gt = pl::core::read_mask_track(POLYPLENS_TEST_SOURCE_DIR "/resources/samples/sample.plmasks");
    QCOMPARE(int(gt.size()), 351);
    DetectionTrack t(static_cast<int64_t>(gt.size()), gt.fps);
    DetectionTrack cut(static_cast<int64_t>(gt.size()), gt.fps);
    int64_t argmax = 0;
    double best = -1;
    for (size_t i = 0; i < gt.size(); ++i) {
      const cv::Mat m = gt.frame(i);
      const double a = double(cv::countNonZero(m)) / double(m.total());
      if (a > best) best = a, argmax = int64_t(i);
      t.record_mask(int64_t(i), m);
      cut.record_mask(int64_t(i), i >= 100 && i < 150 ? cv::Mat::zeros(m.size(), CV_8U) : m);
    }
    const auto s = t.segments();
    QCOMPARE(int(s.size()), 1);
    QCOMPARE(s[0].start, int64_t(0));
    QCOMPARE(s[0].end, int64_t(350));
    QCOMPARE(s[0].peak_frame, argmax);
    QCOMPARE(double(s[0].peak_area), double(float(best)));
    const auto c = cut.segments();
    QCOMPARE(int(c.size()), 2);
    QCOMPARE(c[0].end, int64_t(99));
    QCOMPARE(c[1].start, int64_t(150));
    QCOMPARE(cut.next_detection(10), int64_t(150));
  }

  void csvReport() {
    DetectionTrack t(100, 25, opts(0, 1));
    t.set_source("/videos/case, 12.mp4");
    for (int f = 0; f < 100; ++f) t.record(f, f >= 25 && f < 50 ? 0.2 : (f == 80 || f == 81) ? 0.05 + 0.1 * (f - 79) : 0.0);
    const std::string csv = segments_csv(t);
    std::istringstream in(csv);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    QCOMPARE(int(lines.size()), 4 + 2);
    QCOMPARE(lines[0], std::string("# source: \"/videos/case, 12.mp4\""));
    QVERIFY2(lines[1].find("fps: 25.000, frames: 100, frames segmented: 100") != std::string::npos, lines[1].c_str());
    QCOMPARE(lines[3], std::string("segment,start_frame,end_frame,frames,start_time_s,end_time_s,duration_s,"
                                   "start_timecode,end_timecode,peak_frame,peak_area_percent"));
    QCOMPARE(lines[4], std::string("1,25,49,25,1.000,2.000,1.000,00:00:01.000,00:00:02.000,25,20.00"));
    QCOMPARE(lines[5], std::string("2,80,81,2,3.200,3.280,0.080,00:00:03.200,00:00:03.280,81,25.00"));

    QTemporaryDir dir;
    const std::string path = (dir.path() + "/report.csv").toStdString();
    write_segments_csv(path, t);
    std::ifstream f(path);
    QCOMPARE(std::string(std::istreambuf_iterator<char>(f), {}), csv);
    // Never replaced unless asked.
    QVERIFY_THROWS_EXCEPTION(pl::core::exporting::ExportError, write_segments_csv(path, t));
    t.record(99, 0.9);
    write_segments_csv(path, t, /*replace=*/true);
    std::ifstream g(path);
    QVERIFY(std::string(std::istreambuf_iterator<char>(g), {}) != csv);
  }

  // The background pass decodes a real H.264 file: detections land on exactly the frames that show
  // the disk, a one-frame flicker is debounced away, and progress ends at the true frame count.
  void scanGeneratedClip() {
    QTemporaryDir dir;
    const std::string clip = (dir.path() + "/disk.mp4").toStdString();
    std::set<int> red;
    for (int f = 8; f <= 20; ++f) red.insert(f);
    for (int f = 31; f <= 35; ++f) red.insert(f);
    red.insert(44);  // flicker
    QVERIFY(pl::test::write_disk_clip(clip, 50, red));
    {
      VideoReader reader(clip);  // the length is known before decoding (progress bars need it)
      QCOMPARE(reader.frame_count(), int64_t(50));
      QCOMPARE(reader.fps(), pl::test::kClipFps);
      QCOMPARE(reader.width(), pl::test::kClipW);
    }

    auto track = std::make_shared<DetectionTrack>(0, pl::test::kClipFps, opts(2, 3, 0.02, 0.02));
    std::atomic<int> progress_calls{0};
    std::atomic<int64_t> first_total{0};
    std::atomic<int> finished_calls{0};
    JobCallbacks cb;
    cb.progress_interval_ms = 0;
    cb.on_progress = [&](const JobProgress& p) {
      if (progress_calls++ == 0) first_total = p.total;
    };
    cb.on_finished = [&](const JobResult&) { ++finished_calls; };
    DetectionScan scan(track, cb);
    int calls = 0;
    QElapsedTimer timer;
    timer.start();
    scan.start(clip, std::make_unique<pl::test::RedSegmenter>(&calls));
    const JobResult r = scan.wait();
    QCOMPARE(r.outcome, JobOutcome::Finished);
    QCOMPARE(r.progress.done, int64_t(50));
    QCOMPARE(r.progress.total, int64_t(50));
    QCOMPARE(calls, 50);
    QCOMPARE(finished_calls.load(), 1);
    QVERIFY(progress_calls.load() >= 50);
    QCOMPARE(first_total.load(), int64_t(50));
    QVERIFY(!scan.running());
    for (int f = 0; f < 50; ++f)
      QVERIFY2((track->area(f) > 0.02f) == (red.count(f) > 0), qPrintable(QString("frame %1 area %2").arg(f).arg(track->area(f))));
    const auto s = track->segments();
    QVERIFY2(s.size() == 2, describe(s).c_str());
    QCOMPARE(s[0].start, int64_t(8));
    QCOMPARE(s[0].end, int64_t(20));
    QCOMPARE(s[1].start, int64_t(31));
    QCOMPARE(s[1].end, int64_t(35));

    // A second pass skips frames already known; stride 2 on a fresh track segments half the frames.
    calls = 0;
    scan.start(clip, std::make_unique<pl::test::RedSegmenter>(&calls));
    QCOMPARE(scan.wait().outcome, JobOutcome::Finished);
    QCOMPARE(calls, 0);
    auto sparse = std::make_shared<DetectionTrack>(0, pl::test::kClipFps, opts(2, 3, 0.02, 0.02));
    DetectionScan scan2(sparse);
    ScanOptions so;
    so.stride = 2;
    scan2.start(clip, std::make_unique<pl::test::RedSegmenter>(&calls), so);
    QCOMPARE(scan2.wait().outcome, JobOutcome::Finished);
    QCOMPARE(calls, 25);
    const auto s2 = sparse->segments();
    QVERIFY2(s2.size() == 2 && s2[0].start == 8 && s2[0].end == 20 && s2[1].start == 32 && s2[1].end == 34,
             describe(s2).c_str());
    qInfo("scan of 3 x 50 frames: %lld ms", static_cast<long long>(timer.elapsed()));
  }

  void scanCancelAndFailure() {
    QTemporaryDir dir;
    const std::string clip = (dir.path() + "/long.mp4").toStdString();
    QVERIFY(pl::test::write_disk_clip(clip, 120, {}));
    auto track = std::make_shared<DetectionTrack>();
    DetectionScan scan(track);
    // A slow segmenter so the cancel lands mid-way.
    struct Slow : pl::core::FrameSegmenter {
      pl::core::SegmentResult segment(const cv::Mat& bgr) override {
        QThread::msleep(5);
        return {cv::Mat::zeros(bgr.size(), CV_8U)};
      }
      std::string describe() const override { return "slow"; }
    };
    scan.start(clip, std::make_unique<Slow>());
    QThread::msleep(60);
    scan.cancel();
    const auto r = scan.wait();
    QCOMPARE(r.outcome, JobOutcome::Cancelled);
    QVERIFY2(r.progress.done > 0 && r.progress.done < 120, qPrintable(QString::number(r.progress.done)));
    QCOMPARE(track->known_frames(), r.progress.done);

    scan.start((dir.path() + "/missing.mp4").toStdString(), std::make_unique<Slow>());
    const auto f = scan.wait();
    QCOMPARE(f.outcome, JobOutcome::Failed);
    QVERIFY2(QString::fromStdString(f.error).contains("missing.mp4"), f.error.c_str());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, scan.start(clip, nullptr));

    // Destroying a running scan cancels and joins.
    auto scan3 = std::make_unique<DetectionScan>(track);
    scan3->start(clip, std::make_unique<Slow>());
    QThread::msleep(20);
    scan3.reset();
  }
};

QTEST_GUILESS_MAIN(TestTimeline)
#include "test_timeline.moc"
