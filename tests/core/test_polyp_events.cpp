// Polyp events and the video-level evaluation (docs/metrics.md §6) on synthetic clips whose events are
// known: a polyp appears and disappears, two are in view at once, one is hidden for a few frames, a
// one-frame flicker, a polyp never detected. Every figure is worked out by hand from the clip in
// event_clip.h.
#include <QtTest>

#include <cmath>
#include <functional>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "core/review/detection_track.h"
#include "core/review/event_eval.h"
#include "core/review/polyp_alert.h"
#include "core/review/polyp_events.h"
#include "core/review/segment_report.h"
#include "event_clip.h"

using namespace pl::core::review;
using namespace pl::test;

namespace {

EventOptions options(int max_gap = 2, double min_duration_s = 0.5) {
  EventOptions o;
  o.min_region_area = 0.001;  // 5 of 4800 px
  o.max_gap = max_gap;
  o.min_duration_s = min_duration_s;
  return o;
}

EventEvalReport evaluate_clip(const std::vector<Disk>& truth, const std::vector<Disk>& pred, int frames,
                              const EventOptions& o = options()) {
  EventEvaluator ev(o, kFps);
  for (int f = 0; f < frames; ++f) ev.add(draw(truth, f), draw(pred, f));
  return ev.report();
}

}  // namespace

class TestPolypEvents : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void appearAndDisappear() {
    // One polyp, frames 3-12, growing: one event with its first/last frame, peak and duration.
    EventTracker t(options(), kFps);
    for (int f = 0; f < 20; ++f) {
      cv::Mat m(kH, kW, CV_8U, cv::Scalar(0));
      if (f >= 3 && f <= 12) cv::circle(m, {40, 30}, 3 + (f <= 8 ? f : 16 - f), cv::Scalar(255), cv::FILLED);
      t.add(f, m);
      QCOMPARE(t.started().size(), size_t(f == 3 ? 1 : 0));
    }
    const auto ev = t.events();
    QCOMPARE(int(ev.size()), 1);
    QCOMPARE(ev[0].first_frame, int64_t(3));
    QCOMPARE(ev[0].last_frame, int64_t(12));
    QCOMPARE(ev[0].frames_seen, int64_t(10));
    QCOMPARE(ev[0].peak_frame, int64_t(8));
    cv::Mat peak(kH, kW, CV_8U, cv::Scalar(0));
    cv::circle(peak, {40, 30}, 11, cv::Scalar(1), cv::FILLED);
    QCOMPARE(ev[0].peak_area, cv::countNonZero(peak) / double(kW * kH));
    QCOMPARE(ev[0].duration_s, 1.0);
    QVERIFY(!ev[0].flicker);
    QVERIFY(std::isnan(ev[0].mean_confidence));  // no probabilities given
    QVERIFY(t.open_events().empty());            // unseen for more than max_gap frames
  }

  void movingPolypIsOneEvent() {
    // 3 px per frame: consecutive disks overlap, so one event crosses the frame.
    std::vector<cv::Mat> masks;
    for (int f = 0; f < 20; ++f) masks.push_back(draw({{8 + 3 * f, 30, 6, 0, 19}}, f));
    const auto ev = track_events(masks, options(), kFps);
    QCOMPARE(int(ev.size()), 1);
    QCOMPARE(ev[0].length(), int64_t(20));
  }

  void gaps_data() {
    QTest::addColumn<int>("maxGap");
    QTest::addColumn<int>("hidden");  // frames hidden in the middle of a 20-frame polyp
    QTest::addColumn<int>("events");
    QTest::newRow("gap 2, hidden 2: one") << 2 << 2 << 1;
    QTest::newRow("gap 2, hidden 3: two") << 2 << 3 << 2;
    QTest::newRow("gap 0, hidden 1: two") << 0 << 1 << 2;
    QTest::newRow("gap 5, hidden 5: one") << 5 << 5 << 1;
  }

  void gaps() {
    QFETCH(int, maxGap);
    QFETCH(int, hidden);
    QFETCH(int, events);
    std::vector<int> h;
    for (int i = 0; i < hidden; ++i) h.push_back(8 + i);
    std::vector<cv::Mat> masks;
    for (int f = 0; f < 25; ++f) masks.push_back(draw({{40, 30, 8, 0, 19, h}}, f));
    QCOMPARE(int(track_events(masks, options(maxGap, 0), kFps).size()), events);
  }

  void skippedFramesAreGaps() {
    // Frames never fed (sparse sampling) count as unseen exactly like frames without the polyp.
    const cv::Mat m = draw({{40, 30, 8, 0, 99}}, 0);
    EventTracker t(options(2, 0), kFps);
    for (int f : {0, 3, 6, 10, 11}) t.add(f, m);  // gaps of 2, 2, 3 frames
    const auto ev = t.events();
    QCOMPARE(int(ev.size()), 2);
    QCOMPARE(ev[0].last_frame, int64_t(6));
    QCOMPARE(ev[1].first_frame, int64_t(10));
    QCOMPARE(ev[0].frames_seen, int64_t(3));
  }

  void flickerIsCountedApart() {
    // A one-frame blob and a 4-frame blob (0.4 s) are flicker at 0.5 s; a 5-frame one (0.5 s) is not.
    const std::vector<Disk> d = {{10, 10, 4, 2, 2}, {40, 30, 4, 10, 13}, {65, 45, 4, 20, 24}};
    std::vector<cv::Mat> masks;
    for (int f = 0; f < 30; ++f) masks.push_back(draw(d, f));
    const auto ev = track_events(masks, options(), kFps);
    QCOMPARE(int(ev.size()), 3);
    QVERIFY(ev[0].flicker);
    QVERIFY(ev[1].flicker);
    QVERIFY(!ev[2].flicker);
    const auto s = summarize_events(ev, kFps);
    QCOMPARE(s.events, 1);
    QCOMPARE(s.flicker, 2);
    QCOMPARE(s.frames_on_screen, int64_t(5));
    QCOMPARE(s.seconds_on_screen, 0.5);
  }

  void twoPolypsAtOnce() {
    // Two disks in view together are two events; time on screen is the union of their spans.
    const std::vector<Disk> d = {{15, 15, 6, 0, 19}, {60, 40, 6, 10, 29}};
    std::vector<cv::Mat> masks;
    for (int f = 0; f < 30; ++f) masks.push_back(draw(d, f));
    const auto ev = track_events(masks, options(), kFps);
    QCOMPARE(int(ev.size()), 2);
    QCOMPARE(ev[1].first_frame, int64_t(10));
    QCOMPARE(ev[1].last_frame, int64_t(29));
    QCOMPARE(summarize_events(ev, kFps).frames_on_screen, int64_t(30));
  }

  void splitRegionStaysOneEvent() {
    // A fold cuts the polyp in two for a few frames: both halves overlap its footprint.
    EventTracker t(options(), kFps);
    for (int f = 0; f < 12; ++f) {
      cv::Mat m = draw({{40, 30, 10, 0, 11}}, f);
      if (f >= 4 && f <= 7) m.col(40).setTo(0), m.col(41).setTo(0);
      const cv::Mat& ids = t.add(f, m);
      QCOMPARE(ids.at<int32_t>(30, 32), 1);
      QCOMPARE(ids.at<int32_t>(30, 48), 1);
    }
    QCOMPARE(int(t.events().size()), 1);
  }

  void namedPolypsStayApart() {
    // Two polyps seen one after the other at the same place (a cut, as in the sample clip's
    // cross-fades), and two touching in one frame: overlap alone makes one event of each pair, a
    // ground truth that names its polyps keeps them apart.
    std::vector<cv::Mat> masks, names;
    for (int f = 0; f < 20; ++f) {
      const cv::Mat m = draw({{40, 30, 8, 0, 19}}, f);
      masks.push_back(m);
      names.push_back(m * (f < 10 ? 1 : 2));
    }
    QCOMPARE(int(track_events(masks, options(), kFps).size()), 1);
    EventTracker t(options(), kFps);
    for (int f = 0; f < 20; ++f) t.add(f, masks[size_t(f)], {}, names[size_t(f)]);
    auto ev = t.events();
    QCOMPARE(int(ev.size()), 2);
    QCOMPARE(ev[0].identity, 1);
    QCOMPARE(ev[0].last_frame, int64_t(9));
    QCOMPARE(ev[1].identity, 2);
    QCOMPARE(ev[1].first_frame, int64_t(10));

    cv::Mat touching(kH, kW, CV_8U, cv::Scalar(0));
    touching(cv::Rect(20, 20, 10, 10)).setTo(3);
    touching(cv::Rect(30, 20, 10, 10)).setTo(4);
    EventTracker u(options(), kFps);
    const cv::Mat& ids = u.add(0, touching != 0, {}, touching);
    QCOMPARE(int(u.events().size()), 2);
    QCOMPARE(ids.at<int32_t>(25, 25), 1);
    QCOMPARE(ids.at<int32_t>(25, 35), 2);
    // Unnamed pixels (255) are followed by overlap as before.
    EventTracker w(options(), kFps);
    w.add(0, touching != 0, {}, cv::Mat(touching != 0));
    QCOMPARE(int(w.events().size()), 1);
    QCOMPARE(w.events()[0].identity, 0);
  }

  void speckleIsIgnored() {
    EventOptions o = options();
    o.min_region_area = 0.01;  // 48 px: a 3x3 speck is not a region
    EventTracker t(o, kFps);
    cv::Mat m(kH, kW, CV_8U, cv::Scalar(0));
    m(cv::Rect(5, 5, 3, 3)).setTo(1);
    const cv::Mat& ids = t.add(0, m);
    QCOMPARE(cv::countNonZero(ids), 0);
    QVERIFY(t.events().empty());
  }

  void meanConfidence() {
    // The mean over frames of the mean probability inside the event's region: (0.6 + 1.0) / 2.
    EventTracker t(options(), kFps);
    const cv::Mat m = draw({{40, 30, 6, 0, 9}}, 0);
    t.add(0, m, cv::Mat(kH, kW, CV_32F, cv::Scalar(0.6f)));
    cv::Mat prob(kH, kW, CV_32F, cv::Scalar(0.1f));
    prob.setTo(1.0f, m);
    t.add(1, m, prob);
    QVERIFY(std::abs(t.events()[0].mean_confidence - 0.8) < 1e-6);
  }

  void badInputIsRefused() {
    const auto says = [](const std::function<void()>& f, const char* word) {
      try {
        f();
      } catch (const std::invalid_argument& e) {
        return QString(e.what()).contains(word);
      }
      return false;
    };
    EventOptions bad = options();
    bad.max_gap = -1;
    QVERIFY(says([&] { bad.validate(); }, "max_gap"));
    bad = options();
    bad.min_region_area = 1.5;
    QVERIFY(says([&] { bad.validate(); }, "min_region_area"));
    QVERIFY(says([&] { EventTracker(options(), 0); }, "fps"));
    EventTracker t(options(), kFps);
    const cv::Mat m = draw({}, 0);
    t.add(4, m);
    QVERIFY(says([&] { t.add(4, m); }, "frame 4 comes after frame 4"));
    QVERIFY(says([&] { t.add(5, cv::Mat(10, 10, CV_8U, cv::Scalar(0))); }, "10x10"));
    QVERIFY(says([&] { t.add(6, m, cv::Mat(kH, kW, CV_8U)); }, "probability"));
    EventEvaluator ev(options(), kFps);
    QVERIFY(says([&] { ev.add(m, cv::Mat(kH, kW + 1, CV_8U)); }, "frame 0"));
  }

  void delayStats_data() {
    QTest::addColumn<std::vector<int>>("delays");
    QTest::addColumn<double>("median");
    QTest::addColumn<double>("p90");
    QTest::addColumn<double>("max");
    QTest::newRow("one") << std::vector<int>{4} << 4.0 << 4.0 << 4.0;
    QTest::newRow("two") << std::vector<int>{3, 0} << 1.5 << 3.0 << 3.0;
    QTest::newRow("ten") << std::vector<int>{10, 1, 2, 3, 4, 5, 6, 7, 8, 9} << 5.5 << 9.0 << 10.0;
    QTest::newRow("eleven") << std::vector<int>{0, 0, 1, 1, 2, 2, 3, 3, 4, 20, 30} << 2.0 << 20.0 << 30.0;
  }

  void delayStats() {
    QFETCH(std::vector<int>, delays);
    QFETCH(double, median);
    QFETCH(double, p90);
    QFETCH(double, max);
    std::vector<PolypOutcome> polyps(delays.size());
    for (size_t i = 0; i < delays.size(); ++i) polyps[i].found = true, polyps[i].delay_frames = delays[i];
    polyps.push_back({});  // a missed polyp does not count
    polyps.push_back(polyps.front());
    polyps.back().in_view_at_start = true;  // nor one in view from the clip's first frame
    const auto s = delay_stats(polyps, 25);
    QCOMPARE(s.n, int(delays.size()));
    QCOMPARE(s.median_frames, median);
    QCOMPARE(s.p90_frames, p90);
    QCOMPARE(s.max_frames, max);
    QCOMPARE(s.median_ms, median * 40);
    QCOMPARE(s.p90_ms, p90 * 40);
  }

  void clipMetrics() {
    const auto r = evaluate_clip(kTruth, kPred, 100);
    QCOMPARE(r.frames, int64_t(100));
    QCOMPARE(r.minutes, 100 / kFps / 60);
    // Truth: A, B (one event across its occlusion), C, and D as flicker.
    QCOMPARE(int(r.truth_events.size()), 4);
    QCOMPARE(r.truth_flicker, 1);
    QCOMPARE(int(r.polyps.size()), 3);
    const auto& a = r.polyps[0];
    const auto& b = r.polyps[1];
    const auto& c = r.polyps[2];
    QCOMPARE(a.truth.first_frame, int64_t(10));
    QCOMPARE(b.truth.first_frame, int64_t(30));
    QCOMPARE(b.truth.last_frame, int64_t(59));
    QCOMPARE(b.truth.frames_seen, int64_t(28));
    QCOMPARE(c.truth.first_frame, int64_t(70));
    // Per polyp: A found 3 frames late, B at once (by two model events), C missed.
    QVERIFY(a.found && b.found && !c.found);
    QCOMPARE(a.delay_frames, int64_t(3));
    QCOMPARE(a.delay_ms, 300.0);
    QCOMPARE(a.frames_detected, int64_t(27));
    QCOMPARE(b.delay_frames, int64_t(0));
    QCOMPARE(b.frames_detected, int64_t(18 + 7));
    QCOMPARE(b.predicted_events, (std::vector<int>{3, 4}));
    QCOMPARE(c.delay_frames, int64_t(-1));
    QCOMPARE(r.polyps_found, 2);
    QCOMPARE(r.polyp_sensitivity, 2.0 / 3.0);
    QCOMPARE(r.delay.n, 2);
    QCOMPARE(r.delay.median_ms, 150.0);
    QCOMPARE(r.delay.p90_ms, 300.0);
    QCOMPARE(r.delay.max_ms, 300.0);
    // Model events: flicker (1), A (2), B (3, 4), false alarms (5: 0.7 s, 6: 1.5 s).
    QCOMPARE(int(r.predicted_events.size()), 6);
    QCOMPARE(r.predicted_flicker, 1);
    QCOMPARE(r.false_positive_events, (std::vector<int>{1, 5, 6}));
    QCOMPARE(r.fp_events, 3);
    QCOMPARE(r.fp_events_over_0_5s, 2);
    QCOMPARE(r.fp_events_over_1s, 1);
    QVERIFY(std::abs(r.fp_per_minute - 18) < 1e-9);
    QVERIFY(std::abs(r.fp_per_minute_over_0_5s - 12) < 1e-9);
    QVERIFY(std::abs(r.fp_per_minute_over_1s - 6) < 1e-9);
    // Per frame: 70 polyp frames (42 hit; 7 of the 28 missed have a mask elsewhere), 30 polyp-free
    // frames (18 with a mask: the flicker, B during its occlusion, both false alarms).
    QCOMPARE(r.frames_tp, int64_t(42));
    QCOMPARE(r.frames_fn, int64_t(28));
    QCOMPARE(r.frames_misplaced, int64_t(7));
    QCOMPARE(r.frames_fp, int64_t(18));
    QCOMPARE(r.frames_tn, int64_t(12));
    QCOMPARE(r.frame_sensitivity, 0.6);
    QCOMPARE(r.frame_specificity, 0.4);
    // The JSON report carries the same figures.
    const auto j = r.to_json();
    QCOMPARE(j.at("polyps_found").get<int>(), 2);
    QCOMPARE(j.at("false_positive_events").at("over_1s").get<int>(), 1);
    QCOMPARE(j.at("time_to_first_detection").at("median_ms").get<double>(), 150.0);
    QVERIFY(j.at("polyp_outcomes").at(2).at("delay_ms").is_null());
    QCOMPARE(j.at("per_frame").at("tn").get<int64_t>(), int64_t(12));
    QVERIFY(QString::fromStdString(r.to_text()).contains("MISSED"));
  }

  void polypInViewAtStart() {
    // A polyp already in view at frame 0 appeared before the clip: found, but its delay is not timed.
    const auto r = evaluate_clip({{20, 20, 6, 0, 19}, {60, 40, 6, 10, 29}}, {{20, 20, 6, 4, 19}, {60, 40, 6, 12, 29}}, 30);
    QCOMPARE(r.polyps_found, 2);
    QVERIFY(r.polyps[0].in_view_at_start);
    QCOMPARE(r.polyps[0].delay_frames, int64_t(4));
    QCOMPARE(r.delay.n, 1);
    QCOMPARE(r.delay.max_frames, 2.0);
  }

  void perfectModel() {
    const auto r = evaluate_clip(kTruth, kTruth, 100);
    QCOMPARE(r.polyp_sensitivity, 1.0);
    QCOMPARE(r.delay.max_frames, 0.0);
    QCOMPARE(r.fp_events, 0);
    QCOMPARE(r.frame_sensitivity, 1.0);
    QCOMPARE(r.frame_specificity, 1.0);
  }

  void noPolyps() {
    // Without truth the per-polyp and per-frame sensitivities are undefined (NaN, null in JSON).
    const auto r = evaluate_clip({}, {{40, 30, 5, 0, 9}}, 20);
    QVERIFY(std::isnan(r.polyp_sensitivity));
    QVERIFY(std::isnan(r.frame_sensitivity));
    QCOMPARE(r.frame_specificity, 0.5);
    QCOMPARE(r.fp_events, 1);
    QVERIFY(r.to_json().at("polyp_sensitivity").is_null());
  }

  void alertOncePerEvent() {
    // Two polyps: the first, hidden for 4 masks mid-way (an occlusion shorter than leave_frames 6),
    // alerts once; the second, appearing beside it, alerts once more; one-mask flicker never does.
    AlertOptions o;
    o.area_threshold = 0.001;
    o.enter_frames = 3;
    o.leave_frames = 6;
    PolypAlert alert(o);
    const std::vector<Disk> d = {{20, 20, 6, 5, 40, {15, 16, 17, 18}}, {60, 40, 6, 25, 45}, {70, 10, 3, 50, 50}};
    std::vector<int> appeared, cleared;
    for (int f = 0; f < 70; ++f) {
      const auto e = alert.update_mask(draw(d, f));
      if (e == PolypAlert::Event::Appeared) appeared.push_back(f);
      if (e == PolypAlert::Event::Cleared) cleared.push_back(f);
    }
    QCOMPARE(appeared, (std::vector<int>{7, 27}));  // the third mask of each polyp
    QCOMPARE(cleared, (std::vector<int>{51}));      // 6 masks after the last polyp mask (45)
    QCOMPARE(alert.alerts(), int64_t(2));
    // A new source forgets the events: the first polyp's masks start a fresh count.
    alert.reset();
    QVERIFY(!alert.active());
    QCOMPARE(alert.update_mask(draw(d, 5)), PolypAlert::Event::None);
  }
};


// The review's detection track: the same events from footprints kept per frame.
class TestReviewEvents : public QObject {
  Q_OBJECT

  static std::shared_ptr<DetectionTrack> track_of(const std::vector<Disk>& disks, int frames, int stride = 1) {
    auto t = std::make_shared<DetectionTrack>(frames, kFps);
    EventOptions o = options();
    t->set_event_options(o);
    for (int f = 0; f < frames; f += stride) t->record_mask(f, draw(disks, f));
    return t;
  }

 private Q_SLOTS:
  void eventsFromFootprints() {
    const auto t = track_of(kTruth, 100);
    const auto ev = t->events();
    QCOMPARE(int(ev.size()), 4);
    const std::vector<std::pair<int64_t, int64_t>> spans = {{10, 39}, {30, 59}, {70, 89}, {95, 96}};
    for (size_t i = 0; i < spans.size(); ++i) {
      QCOMPARE(ev[i].first_frame, spans[i].first);
      QCOMPARE(ev[i].last_frame, spans[i].second);
    }
    QVERIFY(ev[3].flicker);
    // A alone on frames 10-29: its peak area is the frame's whole area, as counted at full size.
    QCOMPARE(ev[0].peak_area, double(float(cv::countNonZero(draw({kTruth[0]}, 20)) / double(kW * kH))));
    QCOMPARE(t->event_at(35), 0);   // A and B both span it: the first
    QCOMPARE(t->event_at(50), 1);
    QCOMPARE(t->event_at(96), 3);   // only the flicker
    QCOMPARE(t->event_at(65), -1);
    const auto sum = summarize_events(ev, t->event_fps());
    QCOMPARE(sum.events, 3);
    QCOMPARE(sum.frames_on_screen, int64_t(30 + 20 + 20));  // 10-59 and 70-89
  }

  void sparsePlaybackKeepsEventsWhole() {
    // Every 3rd frame segmented (playback behind the video): 2-frame holes stay inside events.
    const auto ev = track_of({{40, 30, 8, 10, 60}}, 80, 3)->events();
    QCOMPARE(int(ev.size()), 1);
    QCOMPARE(ev[0].first_frame, int64_t(12));
    QCOMPARE(ev[0].last_frame, int64_t(60));
    QCOMPARE(ev[0].frames_seen, int64_t(17));
  }

  void areaOnlyFrames() {
    // Frames recorded by area alone are one region of unknown place; below min_region_area none.
    DetectionTrack t(40, kFps);
    for (int f = 0; f < 40; ++f) t.record(f, f >= 10 && f < 30 ? 0.05 : 0.0005);
    const auto ev = t.events();
    QCOMPARE(int(ev.size()), 1);
    QCOMPARE(ev[0].first_frame, int64_t(10));
    QCOMPARE(ev[0].last_frame, int64_t(29));
    QCOMPARE(ev[0].peak_area, double(0.05f));
  }

  void falseAlarmsAgainstTruth() {
    const auto truth = track_of(kTruth, 100);
    const auto model = track_of(kPred, 100);
    QCOMPARE(int(model->events().size()), 6);
    QCOMPARE(model->false_alarms(*truth), (std::vector<int>{1, 5, 6}));
    QCOMPARE(truth->false_alarms(*truth), std::vector<int>{});
  }

  void eventsReport() {
    const auto truth = track_of(kTruth, 100);
    const auto model = track_of(kPred, 100);
    model->set_source("clip.mp4");
    const QString csv = QString::fromStdString(events_csv(*model, truth.get(), "clip.plmasks"));
    QVERIFY2(csv.contains("# covers: 100 of 100 frames segmented (100.0 %), frames 0-99"), qPrintable(csv));
    QVERIFY(!csv.contains("only the frames the model processed"));
    QVERIFY2(csv.contains("# summary: 5 polyp events, 1 flicker"), qPrintable(csv));
    QVERIFY2(csv.contains("# false alarms against clip.plmasks: 3 (event 1 5 6)"), qPrintable(csv));
    const QStringList rows = csv.split('\n', Qt::SkipEmptyParts).filter(QRegularExpression("^[0-9]"));
    QCOMPARE(rows.size(), 6);
    const double flicker_area = 100.0 * cv::countNonZero(draw({kPred[0]}, 5)) / double(kW * kH);
    QCOMPARE(rows[0], QStringLiteral("1,5,5,1,1,0.500,0.600,0.100,00:00:00.500,00:00:00.600,5,%1,1,1")
                          .arg(flicker_area, 0, 'f', 2));
    QVERIFY2(rows[1].startsWith("2,13,39,27,27,1.300,4.000,2.700,"), qPrintable(rows[1]));
    QVERIFY(rows[1].endsWith(",0,0"));
    // Frames the model never saw are said to be missing.
    const auto sparse = track_of(kPred, 100, 2);
    const QString partial = QString::fromStdString(events_csv(*sparse));
    QVERIFY2(partial.contains("# covers: 50 of 100 frames segmented (50.0 %), frames 0-98"), qPrintable(partial));
    QVERIFY(partial.contains("only the frames the model processed while playing, unless Scan"));
    QVERIFY(!partial.contains("false alarms"));
  }
};

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  int status = 0;
  {
    TestPolypEvents t;
    status |= QTest::qExec(&t, argc, argv);
  }
  {
    TestReviewEvents t;
    status |= QTest::qExec(&t, argc, argv);
  }
  return status;
}

#include "test_polyp_events.moc"
