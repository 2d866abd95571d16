// The video sources' model branch (FrameSource::set_model_box; docs/architecture.md "The video
// pipeline"): GStreamer scales a second copy of each frame to the model's letterbox content size
// (core/base/fit.h). Model frames have exactly that size and the full frames' indices, after open,
// during playback, after seek and step; a 4K live test pattern delivers both; without a box nothing
// extra arrives; LiveSession hands the model the small frames when the source has the branch and the
// full frames otherwise.
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "core/base/fit.h"
#include "core/pipeline/live_session.h"
#include "core/test_video_clips.h"
#include "core/video/fake_frame_source.h"
#include "core/video/gst_frame_source.h"

using namespace pl::core;
using namespace std::chrono_literals;
using pl::test::Recorder;

namespace {

SourceSpec file_spec(const QString& path, Playback playback = Playback::Realtime) {
  SourceSpec s = SourceSpec::parse(path.toStdString());
  s.playback = playback;
  return s;
}

cv::Size fit(cv::Size frame, int box_h, int box_w) {
  const FitSize c = fit_into(frame.height, frame.width, box_h, box_w);
  return {static_cast<int>(c.w), static_cast<int>(c.h)};
}

// Records the full frames (Recorder::frames) and, separately, the model frames.
struct BranchRecorder : Recorder {
  std::vector<Frame> model;

  SourceCallbacks callbacks() {
    SourceCallbacks cb = Recorder::callbacks();
    cb.on_model_frame = [this](const Frame& f) { push([&] { model.push_back(f); }); };
    return cb;
  }
  Frame wait_model_index(int64_t index, size_t after, std::chrono::milliseconds timeout = 5s) {
    Frame found;
    wait([&] {
      for (size_t i = after; i < model.size(); ++i)
        if (model[i].index == index) {
          found = model[i];
          return true;
        }
      return false;
    }, timeout);
    return found;
  }
  size_t model_count() {
    std::lock_guard<std::mutex> l(mu);
    return model.size();
  }
};

// Mean absolute difference between a model frame and its full frame scaled by OpenCV.
double scaled_difference(const Frame& model, const Frame& full) {
  cv::Mat ref;
  cv::resize(full.bgr, ref, model.bgr.size(), 0, 0, cv::INTER_AREA);
  const cv::Scalar d = cv::mean(cv::abs(ref - model.bgr) + cv::abs(model.bgr - ref));
  return (d[0] + d[1] + d[2]) / 3.0;
}

// Records the size of every frame it is given; a mask of zeros.
class SizeRecordingSegmenter : public FrameSegmenter {
 public:
  SegmentResult segment(const cv::Mat& bgr) override {
    {
      std::lock_guard<std::mutex> l(mu);
      sizes.push_back(bgr.size());
    }
    SegmentResult r;
    r.mask = cv::Mat::zeros(bgr.size(), CV_8UC1);
    return r;
  }
  std::string describe() const override { return "size recorder"; }
  cv::Size input_box() const override { return {320, 256}; }  // 256 high, 320 wide
  std::vector<cv::Size> recorded() {
    std::lock_guard<std::mutex> l(mu);
    return sizes;
  }

 private:
  std::mutex mu;
  std::vector<cv::Size> sizes;
};

template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace

class TestModelBranch : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString pattern_clip_, lit_clip_;
  const cv::Size clip_size_{640, 360};

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    pattern_clip_ = dir_.filePath("pattern40_640x360.mp4");
    pl::test::make_pattern_clip(pattern_clip_.toStdString(), 40, clip_size_);
    // An evenly lit clip: the field-of-view tracker sees the whole frame.
    lit_clip_ = dir_.filePath("lit30_640x360.mp4");
    QCOMPARE(pl::test::run_launch("videotestsrc num-buffers=30 pattern=white ! "
                                  "video/x-raw,width=640,height=360,framerate=30/1 ! x264enc speed-preset=ultrafast ! "
                                  "mp4mux ! filesink location=" + lit_clip_.toStdString()),
             std::string());
  }

  void fit_matches_the_letterbox_formula() {
    const FitSize a = fit_into(2160, 3840, 256, 320);
    QCOMPARE(a.h, int64_t{180});
    QCOMPARE(a.w, int64_t{320});
    const FitSize b = fit_into(1080, 1350, 352, 352);  // 352 / 1350 * 1080 = 281.6
    QCOMPARE(b.h, int64_t{282});
    QCOMPARE(b.w, int64_t{352});
    const FitSize c = fit_into(10, 5000, 256, 320);  // never below one pixel
    QCOMPARE(c.h, int64_t{1});
    QVERIFY(fit_into(0, 10, 256, 320).empty());
  }

  void file_model_frames_follow_open_play_seek_and_step() {
    BranchRecorder rec;
    GstFrameSource src(file_spec(pattern_clip_));
    src.set_model_box(256, 320);
    QVERIFY(src.has_model_branch());
    src.set_callbacks(rec.callbacks());
    src.open();
    QCOMPARE(src.wait_for({SourceState::Paused, SourceState::Failed}, 10s), SourceState::Paused);
    QVERIFY(src.has_model_branch());
    const cv::Size small = fit(clip_size_, 256, 320);
    QCOMPARE(small, cv::Size(320, 180));

    // After open: the prerolled frame 0, scaled.
    const Frame m0 = rec.wait_model_index(0, 0);
    QVERIFY(!m0.empty());
    QVERIFY(m0.preroll);
    QCOMPARE(m0.bgr.size(), small);
    QCOMPARE(m0.source_size, clip_size_);
    QVERIFY(m0.bgr.isContinuous());
    const Frame f0 = rec.wait_index(0, 0);
    QCOMPARE(f0.bgr.size(), clip_size_);
    QCOMPARE(f0.source_size, clip_size_);
    QCOMPARE(m0.pts_ns, f0.pts_ns);
    QVERIFY2(scaled_difference(m0, f0) < 12.0, "the model frame is not the full frame scaled");

    // Playback: every model frame is one of the full frames, same timestamp, same picture.
    src.start();
    QCOMPARE(src.wait_for({SourceState::EndOfStream, SourceState::Failed}, 10s), SourceState::EndOfStream);
    QVERIFY(rec.wait([&] { return !rec.model.empty() && rec.model.back().index == 39; }, 3s));
    {
      std::lock_guard<std::mutex> l(rec.mu);
      std::map<int64_t, Frame> full;
      for (const Frame& f : rec.frames) full[f.index] = f;
      size_t played = 0;
      for (const Frame& m : rec.model) {
        QCOMPARE(m.bgr.size(), small);
        QCOMPARE(m.source_size, clip_size_);
        QVERIFY2(full.count(m.index), qPrintable(QString("model frame %1 has no full frame").arg(m.index)));
        QCOMPARE(m.pts_ns, full[m.index].pts_ns);
        QVERIFY(scaled_difference(m, full[m.index]) < 12.0);
        if (!m.preroll) ++played;
      }
      qInfo("%zu full frames, %zu model frames (%zu during playback)", rec.frames.size(), rec.model.size(), played);
      QVERIFY2(played >= 30, "most frames should reach the model branch when nobody is slow");
    }

    // Seek and step while paused: the model frame of the asked frame arrives, marked preroll.
    src.pause();
    for (const auto& [what, target] : std::vector<std::pair<const char*, int64_t>>{{"seek 17", 17}, {"step", 18}, {"seek 3", 3}}) {
      const size_t before = rec.model_count(), before_full = rec.frame_count();
      QVERIFY2(target == 18 ? src.step(1) : src.seek_to_frame(target), what);
      const Frame m = rec.wait_model_index(target, before);
      QVERIFY2(!m.empty(), what);
      QVERIFY2(m.preroll, what);
      QCOMPARE(m.bgr.size(), small);
      const Frame f = rec.wait_index(target, before_full);
      QVERIFY2(f.preroll, what);
      QCOMPARE(f.pts_ns, m.pts_ns);  // the same frame (an accurate seek clips it to the target)
    }
    src.stop();
    QVERIFY(rec.errors.empty());
  }

  void live_4k_test_pattern_delivers_both() {
    BranchRecorder rec;
    SourceSpec spec = SourceSpec::parse("test:smpte");
    spec.width = 3840;
    spec.height = 2160;
    spec.fps = 10;
    GstFrameSource src(spec);
    src.set_model_box(256, 320);
    src.set_callbacks(rec.callbacks());
    src.open();
    src.start();
    QCOMPARE(src.wait_for({SourceState::Playing, SourceState::Failed}, 10s), SourceState::Playing);
    QVERIFY(rec.wait([&] { return rec.frames.size() >= 6 && rec.model.size() >= 6; }, 10s));
    src.stop();
    std::lock_guard<std::mutex> l(rec.mu);
    std::map<int64_t, const Frame*> full;
    for (const Frame& f : rec.frames) {
      QCOMPARE(f.bgr.size(), cv::Size(3840, 2160));
      full[f.index] = &f;
    }
    int matched = 0;
    double lead_ms = 0;
    for (size_t i = 0; i < rec.model.size(); ++i) {
      const Frame& m = rec.model[i];
      QCOMPARE(m.bgr.size(), cv::Size(320, 180));
      QCOMPARE(m.source_size, cv::Size(3840, 2160));
      if (i > 0) QVERIFY(m.index > rec.model[i - 1].index);
      auto it = full.find(m.index);
      if (it == full.end()) continue;  // live branches may drop different frames
      QCOMPARE(m.pts_ns, it->second->pts_ns);
      lead_ms += ms_between(m.captured, it->second->captured);
      ++matched;
    }
    qInfo("4K live: %zu full, %zu model frames, %d paired; model frame ready %.1f ms before the full one on average",
          rec.frames.size(), rec.model.size(), matched, matched ? lead_ms / matched : 0.0);
    QVERIFY(matched >= 3);
  }

  void without_a_box_no_model_frames() {
    BranchRecorder rec;
    GstFrameSource src(file_spec(pattern_clip_, Playback::EveryFrame));
    src.set_callbacks(rec.callbacks());
    QVERIFY(!src.has_model_branch());
    src.open();
    src.start();
    QCOMPARE(src.wait_for({SourceState::EndOfStream, SourceState::Failed}, 10s), SourceState::EndOfStream);
    src.stop();
    QCOMPARE(int(rec.frames.size()), 40);
    QVERIFY(rec.model.empty());
    QVERIFY(!src.has_model_branch());
  }

  void live_session_gives_the_model_small_frames_from_a_branch() {
    auto seg = std::make_unique<SizeRecordingSegmenter>();
    SizeRecordingSegmenter* recorder = seg.get();
    LiveSession session(std::move(seg));
    std::mutex mu;
    std::vector<cv::Size> mask_sizes;
    std::atomic<int> errors{0};
    SessionCallbacks cb;
    cb.on_mask = [&](const MaskResult& m) {
      std::lock_guard<std::mutex> l(mu);
      mask_sizes.push_back(m.mask.size());
    };
    cb.on_inference_error = [&](const std::string&) { ++errors; };
    session.set_callbacks(std::move(cb));
    session.set_source(std::make_unique<GstFrameSource>(file_spec(lit_clip_)));
    QVERIFY(session.source()->has_model_branch());
    session.start();
    QVERIFY(wait_until([&] { return recorder->recorded().size() >= 5; }, 10s));
    QVERIFY(wait_until([&] { std::lock_guard<std::mutex> l(mu); return mask_sizes.size() >= 5; }, 5s));
    DisplayUpdate u = session.take_update();
    session.stop();
    for (const cv::Size& s : recorder->recorded()) QCOMPARE(s, cv::Size(320, 180));
    {
      std::lock_guard<std::mutex> l(mu);
      for (const cv::Size& s : mask_sizes) QCOMPARE(s, clip_size_);  // masks are the full frame's size
    }
    QCOMPARE(u.frame.bgr.size(), clip_size_);  // the display gets full frames
    QCOMPARE(errors.load(), 0);
  }

  void live_session_gives_full_frames_without_a_branch() {
    auto seg = std::make_unique<SizeRecordingSegmenter>();
    SizeRecordingSegmenter* recorder = seg.get();
    LiveSession session(std::move(seg));
    FakeSourceOptions o;
    o.size = {160, 120};
    o.fps = 60;
    session.set_source(std::make_unique<FakeFrameSource>(o));
    QVERIFY(!session.source()->has_model_branch());
    session.start();
    QVERIFY(wait_until([&] { return recorder->recorded().size() >= 5; }, 5s));
    session.stop();
    for (const cv::Size& s : recorder->recorded()) QCOMPARE(s, cv::Size(160, 120));
  }
};

QTEST_GUILESS_MAIN(TestModelBranch)
#include "test_model_branch.moc"
