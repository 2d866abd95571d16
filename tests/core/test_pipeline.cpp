// The capture -> inference -> display pipeline: the latest-frame-wins mailbox, the inference worker
// and LiveSession, driven by the fake source and fake segmenters (no GStreamer, no model).
#include <QtTest>

#include <atomic>
#include <thread>

#include "core/pipeline/inference_worker.h"
#include "core/pipeline/latest_slot.h"
#include "core/pipeline/live_session.h"
#include "core/pipeline/rate_meter.h"
#include "core/video/fake_frame_source.h"
#include "core/video/index_pattern.h"

using namespace pl::core;
using namespace std::chrono_literals;

namespace {

// Marks the left half as polyp when the frame index is odd; optionally slow, optionally failing.
class FakeSegmenter : public FrameSegmenter {
 public:
  explicit FakeSegmenter(std::chrono::milliseconds cost = 0ms, std::string name = "fake") : cost_(cost), name_(std::move(name)) {}
  SegmentResult segment(const cv::Mat& bgr) override {
    if (fail_next.exchange(false)) throw std::runtime_error("fake failure");
    std::this_thread::sleep_for(cost_);
    SegmentResult r;
    r.mask = cv::Mat::zeros(bgr.size(), CV_8UC1);
    if (read_index_pattern(bgr) % 2 == 1) r.mask(cv::Rect(0, 0, bgr.cols / 2, bgr.rows)).setTo(1);
    r.infer_ms = static_cast<double>(cost_.count());
    return r;
  }
  std::string describe() const override { return name_; }
  std::atomic<bool> fail_next{false};

 private:
  std::chrono::milliseconds cost_;
  std::string name_;
};

Frame frame_with_index(int64_t i) {
  Frame f;
  f.bgr = make_index_pattern(i, {64, 48});
  f.index = i;
  f.pts_ns = i * 1000;
  f.captured = Clock::now();
  return f;
}

template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

}  // namespace

class TestPipeline : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void slot_latest_wins_and_counts_drops() {
    LatestSlot<int> slot;
    QVERIFY(!slot.put(1));
    QVERIFY(slot.put(2));
    QVERIFY(slot.put(3));
    QCOMPARE(slot.try_take().value(), 3);
    QVERIFY(!slot.try_take().has_value());
    const SlotCounters c = slot.counters();
    QCOMPARE(c.put, int64_t{3});
    QCOMPARE(c.replaced, int64_t{2});
    QCOMPARE(c.taken, int64_t{1});
  }

  void slot_take_waits_and_close_wakes() {
    LatestSlot<int> slot;
    std::thread producer([&] {
      std::this_thread::sleep_for(30ms);
      slot.put(7);
    });
    QCOMPARE(slot.take(2s).value(), 7);
    producer.join();
    std::thread closer([&] {
      std::this_thread::sleep_for(30ms);
      slot.close();
    });
    const auto t0 = Clock::now();
    QVERIFY(!slot.take(5s).has_value());
    QVERIFY(Clock::now() - t0 < 2s);
    closer.join();
    QVERIFY(!slot.put(8));
    QVERIFY(!slot.has_item());
  }

  void rate_meter_measures_and_goes_to_zero_when_idle() {
    RateMeter m;
    const auto t0 = Clock::now();
    for (int i = 0; i < 11; ++i) m.tick(t0 + i * 50ms);  // 20 per second
    QVERIFY(qAbs(m.rate(t0 + 510ms) - 20.0) < 1e-6);
    QCOMPARE(m.rate(t0 + 5s), 0.0);
  }

  void worker_tags_masks_with_their_frame() {
    std::mutex mu;
    std::vector<MaskResult> masks;
    InferenceCallbacks cb;
    cb.on_mask = [&](const MaskResult& m) {
      std::lock_guard<std::mutex> lock(mu);
      masks.push_back(m);
    };
    InferenceWorker w(std::make_unique<FakeSegmenter>(), cb);
    w.start();
    const Frame f = frame_with_index(5);
    w.submit(f);
    QVERIFY(wait_until([&] { std::lock_guard<std::mutex> l(mu); return !masks.empty(); }, 5s));
    w.stop();
    const MaskResult& m = masks.front();
    QCOMPARE(m.frame_index, int64_t{5});
    QCOMPARE(m.pts_ns, int64_t{5000});
    QVERIFY(m.captured == f.captured);
    QVERIFY(m.finished >= m.captured);
    QCOMPARE(m.mask.size(), f.bgr.size());
    QCOMPARE(m.polyp_area_percent, 50.0);
    QCOMPARE(w.stats().processed, int64_t{1});
  }

  void worker_survives_a_throwing_model_and_swaps_models() {
    std::atomic<int> errors{0}, masks{0};
    InferenceCallbacks cb;
    cb.on_mask = [&](const MaskResult&) { ++masks; };
    cb.on_error = [&](const std::string& msg) {
      QVERIFY(msg.find("fake failure") != std::string::npos);
      ++errors;
    };
    auto seg = std::make_unique<FakeSegmenter>(0ms, "first");
    seg->fail_next = true;
    InferenceWorker w(std::move(seg), cb);
    QCOMPARE(w.describe(), std::string("first"));
    w.start();
    w.submit(frame_with_index(1));
    QVERIFY(wait_until([&] { return errors.load() == 1; }, 5s));
    w.submit(frame_with_index(2));
    QVERIFY(wait_until([&] { return masks.load() == 1; }, 5s));
    QCOMPARE(w.stats().failed, int64_t{1});

    w.set_segmenter(std::make_unique<FakeSegmenter>(0ms, "second"));
    QCOMPARE(w.describe(), std::string("second"));
    w.submit(frame_with_index(3));
    QVERIFY(wait_until([&] { return masks.load() == 2; }, 5s));
    w.set_segmenter(nullptr);
    QVERIFY(!w.has_segmenter());
    QVERIFY(!w.submit(frame_with_index(4)));  // ignored without a model
    w.stop();
  }

  // The core promise: a slow model never slows capture or the display; it just skips frames.
  void slow_model_drops_frames_but_capture_and_display_keep_their_rate() {
    FakeSourceOptions so;
    so.fps = 100.0;
    auto source = std::make_unique<FakeFrameSource>(so);
    FakeFrameSource* fake = source.get();
    LiveSession session(std::make_unique<FakeSegmenter>(120ms));
    std::atomic<int> updates{0};
    SessionCallbacks cb;
    cb.on_update = [&] { ++updates; };
    session.set_callbacks(cb);
    session.set_source(std::move(source));
    QCOMPARE(fake->wait_for({SourceState::Paused}, 5s), SourceState::Paused);
    QVERIFY(session.stats().warming_up);
    session.start();

    const auto t0 = Clock::now();
    double worst_take_ms = 0.0;
    int64_t frames_seen = 0, last_index = -1;
    while (Clock::now() - t0 < 1500ms) {
      const auto a = Clock::now();
      DisplayUpdate u = session.take_update();
      worst_take_ms = std::max(worst_take_ms, ms_between(a, Clock::now()));
      if (u.new_frame) {
        QVERIFY(u.frame.index > last_index);  // always newer, never a backlog
        last_index = u.frame.index;
        ++frames_seen;
      }
      std::this_thread::sleep_for(16ms);  // a 60 Hz display
    }
    const double elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const SessionStats s = session.stats();
    session.stop();

    const double produced_rate = fake->frames_produced() / elapsed_s;
    qInfo("capture %.1f fps (stats %.1f), inference %.1f fps, masks %lld, dropped inference %lld, display %lld, "
          "worst take_update %.3f ms, frames shown %lld",
          produced_rate, s.capture_fps, s.inference_fps, (long long)s.masks, (long long)s.dropped_inference,
          (long long)s.dropped_display, worst_take_ms, (long long)frames_seen);
    QVERIFY2(produced_rate > 80.0, "capture slowed down behind the model");
    QVERIFY(s.capture_fps > 80.0);
    QVERIFY(s.masks >= 5 && s.masks <= 14);             // ~1.5 s / 120 ms
    QVERIFY(s.dropped_inference > s.frames_captured / 2);  // most frames skipped by the model
    QVERIFY(s.inference_fps > 4.0 && s.inference_fps < 10.0);
    QVERIFY(s.mask_age_ms >= 100.0);
    QVERIFY(!s.warming_up);
    QVERIFY(s.dropped_display > 0);   // 100 fps into a 60 Hz display
    QVERIFY(frames_seen > 40);
    QVERIFY2(worst_take_ms < 20.0, "the display waited");
    QVERIFY(updates.load() <= frames_seen + s.masks + 2);  // coalesced, bounded
  }

  void update_notification_is_coalesced_until_taken() {
    FakeSourceOptions so;
    so.fps = 200.0;
    auto source = std::make_unique<FakeFrameSource>(so);
    LiveSession session;  // no model: display path only
    std::atomic<int> updates{0};
    SessionCallbacks cb;
    cb.on_update = [&] { ++updates; };
    session.set_callbacks(cb);
    session.set_source(std::move(source));
    session.start();
    QVERIFY(wait_until([&] { return session.stats().frames_captured >= 20; }, 5s));
    QCOMPARE(updates.load(), 1);  // the GUI hasn't taken anything: one notification outstanding
    DisplayUpdate u = session.take_update();
    QVERIFY(u.new_frame);
    QVERIFY(!u.mask.has_value());
    QVERIFY(!u.stats.model_loaded);
    QVERIFY(!u.stats.warming_up);
    QVERIFY(u.stats.dropped_display >= 18);
    QVERIFY(wait_until([&] { return updates.load() == 2; }, 5s));  // re-armed by take_update
    session.stop();
  }

  void paused_step_gets_the_mask_of_that_exact_frame() {
    FakeSourceOptions so;
    so.live = false;
    so.num_frames = 30;
    LiveSession session(std::make_unique<FakeSegmenter>());
    session.set_source(std::make_unique<FakeFrameSource>(so));
    FrameSource* src = session.source();
    QCOMPARE(src->wait_for({SourceState::Paused}, 5s), SourceState::Paused);
    QVERIFY(src->seek_to_frame(7));
    DisplayUpdate u;
    QVERIFY(wait_until([&] {
      DisplayUpdate t = session.take_update();
      if (!t.frame.empty()) u = t;
      return u.mask_matches_frame;
    }, 5s));
    QCOMPARE(u.frame.index, int64_t{7});
    QVERIFY(u.frame.preroll);
    QCOMPARE(u.mask->frame_index, int64_t{7});
    QCOMPARE(u.mask_lag_frames, int64_t{0});
    QCOMPARE(int(u.mask->mask.at<uchar>(0, 0)), 1);  // odd frame -> left half polyp
    session.stop();
  }

  void source_errors_reach_the_session() {
    FakeSourceOptions so;
    so.fail_after_frames = 3;
    so.failure = {VideoErrorCategory::DeviceLost, "Lost '/dev/video9'", "", true};
    std::mutex mu;
    std::vector<VideoError> errors;
    SessionCallbacks cb;
    cb.on_error = [&](const VideoError& e) {
      std::lock_guard<std::mutex> l(mu);
      errors.push_back(e);
    };
    LiveSession session;
    session.set_callbacks(cb);
    session.set_source(std::make_unique<FakeFrameSource>(so));
    session.start();
    QCOMPARE(session.source()->wait_for({SourceState::Failed}, 5s), SourceState::Failed);
    std::lock_guard<std::mutex> l(mu);
    QCOMPARE(errors.size(), size_t{1});
    QCOMPARE(errors[0].category, VideoErrorCategory::DeviceLost);
    QCOMPARE(session.stats().source_state, SourceState::Failed);
  }

  void replacing_the_source_forgets_old_frames_and_masks() {
    FakeSourceOptions so;
    so.fps = 100.0;
    LiveSession session(std::make_unique<FakeSegmenter>(50ms));
    session.set_source(std::make_unique<FakeFrameSource>(so));
    session.start();
    QVERIFY(wait_until([&] { return session.stats().masks >= 1; }, 5s));
    session.set_source(nullptr);
    const DisplayUpdate u = session.take_update();
    QVERIFY(u.frame.empty());
    QVERIFY(!u.mask.has_value());
    std::this_thread::sleep_for(120ms);  // a mask in flight from the old source must not appear
    QVERIFY(!session.take_update().mask.has_value());
  }
};

QTEST_GUILESS_MAIN(TestPipeline)
#include "test_pipeline.moc"
