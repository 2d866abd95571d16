// GStreamer frame sources on tiny clips made at test time: exact frame counts, frame-accurate seek and
// step, rate/pause/EOS, the live test pattern, categorised errors for broken inputs (no crash, no
// hang), reconnect with backoff, a stalled HTTP stream that recovers, and credential stripping.
#include <QTemporaryDir>
#include <QtTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>

#include "core/log/log.h"
#include "core/test_video_clips.h"
#include "core/video/device_list.h"
#include "core/video/gst_frame_source.h"
#include "core/video/make_source.h"

using namespace pl::core;
using namespace std::chrono_literals;
using pl::test::Recorder;

namespace {

// A TCP port on loopback that nothing listens on (bound then closed).
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// An HTTP MJPEG "camera": each connection gets `burst` JPEG frames at 30 fps, then silence (a stall)
// while the connection stays open.
class StallingMjpegServer {
 public:
  explicit StallingMjpegServer(int burst) : burst_(burst) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 4);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~StallingMjpegServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (int c : clients_) close(c);
  }
  int port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  void serve() {
    int sent_total = 0;
    while (!stop_) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      clients_.push_back(c);
      ++connections_;
      std::string request;  // read the GET before answering, like a real server
      char buf[1024];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      std::string head =
          "HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\nCache-Control: no-cache\r\n\r\n";
      send(c, head.data(), head.size(), MSG_NOSIGNAL);
      for (int i = 0; i < burst_ && !stop_; ++i, ++sent_total) {
        std::vector<uchar> jpg;
        cv::imencode(".jpg", make_index_pattern(sent_total, {160, 120}), jpg);
        std::string part = "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " + std::to_string(jpg.size()) + "\r\n\r\n";
        send(c, part.data(), part.size(), MSG_NOSIGNAL);
        send(c, jpg.data(), jpg.size(), MSG_NOSIGNAL);
        send(c, "\r\n", 2, MSG_NOSIGNAL);
        std::this_thread::sleep_for(33ms);
      }
      // Then nothing: the stream stalls with the connection open.
    }
  }
  int burst_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::vector<int> clients_;
  std::thread thread_;
};

SourceSpec file_spec(const QString& path, Playback playback) {
  SourceSpec s = SourceSpec::parse(path.toStdString());
  s.playback = playback;
  return s;
}

}  // namespace

class TestVideoSource : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString pattern_clip_, testsrc_clip_;

  QString path(const char* name) const { return dir_.filePath(name); }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    pattern_clip_ = path("pattern40.mp4");
    pl::test::make_pattern_clip(pattern_clip_.toStdString(), 40);
    testsrc_clip_ = path("testsrc45.mp4");
    QCOMPARE(pl::test::run_launch("videotestsrc num-buffers=45 ! video/x-raw,width=160,height=120,framerate=30/1 ! "
                                  "x264enc speed-preset=ultrafast ! mp4mux ! filesink location=" +
                                  testsrc_clip_.toStdString()),
             std::string());
    pl::test::write_random_bytes(path("noise.mp4").toStdString(), 64 * 1024);
    QCOMPARE(pl::test::run_launch("audiotestsrc num-buffers=10 ! wavenc ! filesink location=" +
                                  path("audio.wav").toStdString()),
             std::string());
  }

  void every_frame_mode_delivers_each_frame_once_data() {
    QTest::addColumn<QString>("clip");
    QTest::addColumn<int>("frames");
    QTest::addColumn<bool>("pattern");
    QTest::newRow("videotestsrc 45") << QString("testsrc45.mp4") << 45 << false;
    QTest::newRow("index pattern 40") << QString("pattern40.mp4") << 40 << true;
  }
  void every_frame_mode_delivers_each_frame_once() {
    QFETCH(QString, clip);
    QFETCH(int, frames);
    QFETCH(bool, pattern);
    Recorder rec;
    GstFrameSource src(file_spec(path(qPrintable(clip)), Playback::EveryFrame));
    src.set_callbacks(rec.callbacks());
    src.open();
    src.start();
    QCOMPARE(src.wait_for({SourceState::EndOfStream, SourceState::Failed}, 20s), SourceState::EndOfStream);
    src.stop();
    QCOMPARE(int(rec.frames.size()), frames);
    for (int i = 0; i < frames; ++i) {
      const Frame& f = rec.frames[size_t(i)];
      QCOMPARE(f.index, int64_t{i});
      QCOMPARE(f.bgr.size(), cv::Size(160, 120));
      QVERIFY(f.bgr.isContinuous());
      QVERIFY(!f.preroll);
      if (pattern) QCOMPARE(read_index_pattern(f.bgr), int64_t{i});
      if (i > 0) QVERIFY(f.pts_ns > rec.frames[size_t(i - 1)].pts_ns);
    }
    const SourceInfo info = src.info();
    QCOMPARE(info.frame_count, int64_t{frames});
    QCOMPARE(info.fps, 30.0);
    QCOMPARE(info.width, 160);
    QVERIFY(info.seekable);
    QVERIFY(!info.live);
    QVERIFY(rec.errors.empty());
  }

  void seek_and_step_land_on_the_asked_frame() {
    Recorder rec;
    GstFrameSource src(file_spec(pattern_clip_, Playback::Realtime));
    src.set_callbacks(rec.callbacks());
    src.open();
    QCOMPARE(src.wait_for({SourceState::Paused, SourceState::Failed}, 10s), SourceState::Paused);
    Frame first = rec.wait_index(0, 0);
    QVERIFY(!first.empty());
    QVERIFY(first.preroll);
    QCOMPARE(read_index_pattern(first.bgr), int64_t{0});

    struct Move {
      const char* what;
      std::function<bool()> act;
      int64_t expect;
    };
    const std::vector<Move> moves = {
        {"seek 17", [&] { return src.seek_to_frame(17); }, 17},
        {"seek back to 3", [&] { return src.seek_to_frame(3); }, 3},
        {"step +1", [&] { return src.step(1); }, 4},
        {"step +1 again", [&] { return src.step(1); }, 5},
        {"step -1", [&] { return src.step(-1); }, 4},
        {"seek to time early in 25", [&] { return src.seek_to_time(25 * 1000000000LL / 30 + 2000000); }, 25},
        {"seek to time late in 26", [&] { return src.seek_to_time(26 * 1000000000LL / 30 + 30000000); }, 26},
        {"seek last", [&] { return src.seek_to_frame(39); }, 39},
        {"seek first", [&] { return src.seek_to_frame(0); }, 0},
    };
    for (const Move& m : moves) {
      const size_t before = rec.frame_count();
      QVERIFY2(m.act(), m.what);
      const Frame f = rec.wait_index(m.expect, before, 5s);
      if (f.empty()) {
        std::string got;
        std::lock_guard<std::mutex> l(rec.mu);
        for (size_t i = 0; i < rec.frames.size(); ++i) got += (i == before ? "| " : "") + std::to_string(rec.frames[i].index) + (rec.frames[i].preroll ? "p " : " ");
        QFAIL(qPrintable(QString("%1: frame %2 not delivered; got [%3]").arg(m.what).arg(m.expect).arg(got.c_str())));
      }
      QCOMPARE(read_index_pattern(f.bgr), m.expect);
      QVERIFY(f.preroll);
      QCOMPARE(src.state(), SourceState::Paused);
      QCOMPARE(src.last_frame_index(), m.expect);
    }
    QVERIFY(!src.seek_to_frame(40));  // past the end
    QVERIFY(!src.seek_to_frame(-1));
    src.stop();
    QVERIFY(rec.errors.empty());
  }

  void playback_rate_pause_and_end_of_stream() {
    Recorder rec;
    GstFrameSource src(file_spec(pattern_clip_, Playback::Realtime));
    src.set_callbacks(rec.callbacks());
    src.open();
    QCOMPARE(src.wait_for({SourceState::Paused}, 10s), SourceState::Paused);
    QVERIFY(src.set_rate(4.0));
    QVERIFY(!src.set_rate(-1.0));
    const auto t0 = Clock::now();
    src.start();
    QCOMPARE(src.wait_for({SourceState::EndOfStream}, 10s), SourceState::EndOfStream);
    const double elapsed = ms_between(t0, Clock::now());
    qInfo("40 frames at 4x in %.0f ms, %zu frames delivered", elapsed, rec.frame_count());
    QVERIFY2(elapsed < 1500, "rate 4 did not speed playback up");  // 1.33 s at 1x
    QVERIFY(rec.frame_count() >= 30);
    QCOMPARE(rec.frames.back().index, int64_t{39});
    // In order; a frame shows up twice only when it was prerolled again (the rate change is a seek).
    for (size_t i = 1; i < rec.frames.size(); ++i)
      QVERIFY(rec.frames[i].index > rec.frames[i - 1].index || (rec.frames[i].preroll && rec.frames[i].index == rec.frames[i - 1].index));

    // After the end: seeking restarts playback, pause() holds it.
    QVERIFY(src.set_rate(1.0));
    const size_t before = rec.frame_count();
    QVERIFY(src.seek_to_frame(0));
    QVERIFY(!rec.wait_index(5, before).empty());
    src.pause();
    QCOMPARE(src.wait_for({SourceState::Paused}, 5s), SourceState::Paused);
    const size_t held = rec.frame_count();
    std::this_thread::sleep_for(200ms);
    QVERIFY(rec.frame_count() <= held + 1);
    src.stop();
    QCOMPARE(src.state(), SourceState::Stopped);
  }

  void live_test_pattern_plays_pauses_and_stops() {
    Recorder rec;
    SourceSpec spec = SourceSpec::parse("test:ball");
    spec.width = 160;
    spec.height = 120;
    spec.fps = 30;
    GstFrameSource src(spec);
    src.set_callbacks(rec.callbacks());
    src.open();
    src.start();
    QCOMPARE(src.wait_for({SourceState::Playing, SourceState::Failed}, 10s), SourceState::Playing);
    QVERIFY(rec.wait([&] { return rec.frames.size() >= 10; }, 5s));
    QVERIFY(src.info().live);
    QVERIFY(!src.seek_to_frame(3));
    src.pause();
    QCOMPARE(src.wait_for({SourceState::Paused}, 5s), SourceState::Paused);
    const size_t held = rec.frame_count();
    std::this_thread::sleep_for(250ms);
    QVERIFY(rec.frame_count() <= held + 1);  // frozen
    src.start();
    QVERIFY(rec.wait([&] { return rec.frames.size() >= held + 5; }, 5s));
    for (size_t i = 1; i < rec.frames.size(); ++i) QVERIFY(rec.frames[i].index > rec.frames[i - 1].index);
    const auto t0 = Clock::now();
    src.stop();
    QVERIFY(ms_between(t0, Clock::now()) < 2000);
  }

  void broken_inputs_give_categorised_errors_data() {
    QTest::addColumn<QString>("input");
    QTest::addColumn<int>("category");
    QTest::addColumn<QString>("needle");
    QTest::newRow("missing file") << QString("/nonexistent/dir/clip.mp4") << int(VideoErrorCategory::NotFound)
                                  << QString("does not exist");
    QTest::newRow("random bytes") << QString("@noise.mp4") << int(VideoErrorCategory::NoVideo) << QString("noise.mp4");
    QTest::newRow("audio only") << QString("@audio.wav") << int(VideoErrorCategory::NoVideo) << QString("audio");
    QTest::newRow("vanished device") << QString("/dev/video97") << int(VideoErrorCategory::NotFound)
                                     << QString("/dev/video97");
    QTest::newRow("not a camera") << QString("dev:/dev/null") << int(VideoErrorCategory::NotFound)
                                  << QString("/dev/null");
    QTest::newRow("garbage uri") << QString("notaproto://what/ever") << int(VideoErrorCategory::MissingPlugin)
                                 << QString("notaproto://what/ever");
    // The banner says why: rtspsrc's error is only "Could not open resource for reading and writing",
    // the refusal is in GStreamer's log on its thread.
    QTest::newRow("rtsp closed port") << QString("rtsp://127.0.0.1:%1/stream").arg(closed_port())
                                      << int(VideoErrorCategory::Network) << QString("127.0.0.1|: connection refused.");
    QTest::newRow("http closed port") << QString("http://127.0.0.1:%1/video.mjpg").arg(closed_port())
                                      << int(VideoErrorCategory::Network) << QString("127.0.0.1|: connection refused.");
    QTest::newRow("rtsp unknown host") << QString("rtsp://no-such-host.invalid/stream")
                                       << int(VideoErrorCategory::Network) << QString("could not resolve host");
    QTest::newRow("udp silence") << QString("udp://127.0.0.1:%1").arg(closed_port())
                                 << int(VideoErrorCategory::Network) << QString("No picture");
  }
  void broken_inputs_give_categorised_errors() {
    QFETCH(QString, input);
    QFETCH(int, category);
    QFETCH(QString, needle);
    if (input.startsWith('@')) input = path(qPrintable(input.mid(1)));
    SourceSpec spec = SourceSpec::parse(input.toStdString());
    if (input.startsWith("dev:")) {
      spec.kind = SourceKind::Device;
      spec.location = input.mid(4).toStdString();
    }
    spec.max_reconnects = 0;
    spec.connect_timeout_ms = 1500;
    Recorder rec;
    auto src = make_frame_source(spec);
    src->set_callbacks(rec.callbacks());
    const auto t0 = Clock::now();
    src->open();
    src->start();
    QCOMPARE(src->wait_for({SourceState::Failed}, 15s), SourceState::Failed);
    const auto t1 = Clock::now();
    src->stop();
    QVERIFY2(ms_between(t1, Clock::now()) < 2000, "stop() hung");
    QCOMPARE(rec.errors.size(), size_t{1});
    const VideoError& e = rec.errors.front();
    qInfo("%.0f ms: %s", ms_between(t0, t1), e.to_string().c_str());
    QCOMPARE(to_string(e.category), to_string(static_cast<VideoErrorCategory>(category)));
    for (const QString& part : needle.split('|')) {  // each part must be in the message
      QVERIFY2(QString::fromStdString(e.message).contains(part), e.message.c_str());
    }
    QVERIFY(rec.frames.empty());
  }

  void reconnect_backs_off_then_gives_up() {
    SourceSpec spec = SourceSpec::parse(QString("rtsp://127.0.0.1:%1/x").arg(closed_port()).toStdString());
    spec.reconnect_initial_ms = 50;
    spec.reconnect_max_ms = 120;
    spec.max_reconnects = 3;
    Recorder rec;
    GstFrameSource src(spec);
    src.set_callbacks(rec.callbacks());
    src.open();
    QCOMPARE(src.wait_for({SourceState::Failed}, 20s), SourceState::Failed);
    src.stop();
    QCOMPARE(rec.reconnects.size(), size_t{3});
    const int want[] = {50, 100, 120};
    for (size_t i = 0; i < 3; ++i) {
      QCOMPARE(rec.reconnects[i].attempt, int(i + 1));
      QCOMPARE(rec.reconnects[i].delay_ms, want[i]);
      QCOMPARE(rec.reconnects[i].reason.category, VideoErrorCategory::Network);
      QVERIFY(rec.reconnects[i].reason.transient);
    }
    QCOMPARE(rec.errors.size(), size_t{4});
    QVERIFY(std::count(rec.states.begin(), rec.states.end(), SourceState::Reconnecting) >= 1);
  }

  void default_backoff_is_1_to_8_seconds() {
    const SourceSpec spec = SourceSpec::parse("rtsp://cam/stream");
    QCOMPARE(spec.reconnect_initial_ms, 1000);
    QCOMPARE(spec.reconnect_max_ms, 8000);
    QCOMPARE(spec.max_reconnects, -1);
    QVERIFY(spec.is_live());
  }

  void stalled_stream_is_detected_and_reconnected() {
    StallingMjpegServer server(6);
    SourceSpec spec = SourceSpec::parse(QString("http://127.0.0.1:%1/cam").arg(server.port()).toStdString());
    spec.stall_timeout_ms = 500;
    spec.reconnect_initial_ms = 100;
    spec.max_reconnects = 2;
    Recorder rec;
    GstFrameSource src(spec);
    src.set_callbacks(rec.callbacks());
    src.open();
    src.start();
    QCOMPARE(src.wait_for({SourceState::Playing, SourceState::Failed}, 10s), SourceState::Playing);
    QVERIFY(rec.wait([&] { return !rec.reconnects.empty(); }, 10s));
    const size_t before = rec.frame_count();
    QVERIFY(before >= 3);
    {
      std::lock_guard<std::mutex> l(rec.mu);
      QCOMPARE(rec.errors.front().category, VideoErrorCategory::Stalled);
      QCOMPARE(rec.reconnects.front().delay_ms, 100);
    }
    // The second connection delivers again: the source is back to Playing with new frames.
    QVERIFY(rec.wait([&] { return rec.frames.size() >= before + 3; }, 10s));
    QVERIFY(server.connections() >= 2);
    QVERIFY(rec.wait([&] {
      return std::count(rec.states.begin(), rec.states.end(), SourceState::Playing) >= 2;
    }, 5s));
    src.stop();
    // The pictures after the reconnect come from the second connection (the server numbers frames
    // across connections), and the source's own indices keep counting up.
    QVERIFY(read_index_pattern(rec.frames.back().bgr) >= 6);
    for (size_t i = 1; i < rec.frames.size(); ++i) {
      QVERIFY(rec.frames[i].index > rec.frames[i - 1].index);
      QVERIFY(read_index_pattern(rec.frames[i].bgr) > read_index_pattern(rec.frames[i - 1].bgr));
    }
  }

  void credentials_never_reach_logs_or_messages() {
    QCOMPARE(redact_credentials("rtsp://alice:s3cret@cam.local:554/live?x=1"),
             std::string("rtsp://***@cam.local:554/live?x=1"));
    QCOMPARE(redact_credentials("http://h/p?user=bob&password=hunter2&q=1"),
             std::string("http://h/p?user=bob&password=***&q=1"));
    QCOMPARE(redact_credentials("/plain/path.mp4"), std::string("/plain/path.mp4"));

    auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(2000);
    auto logger = pl::log::get("video");
    logger->sinks().push_back(ring);
    const auto old_level = logger->level();
    logger->set_level(spdlog::level::trace);
    gst_debug_set_threshold_for_name("rtsp*", GST_LEVEL_DEBUG);

    SourceSpec spec = SourceSpec::parse(QString("rtsp://alice:s3cret@127.0.0.1:%1/x").arg(closed_port()).toStdString());
    spec.max_reconnects = 0;
    Recorder rec;
    GstFrameSource src(spec);
    src.set_callbacks(rec.callbacks());
    QVERIFY(src.info().description.find("s3cret") == std::string::npos);
    src.open();
    QCOMPARE(src.wait_for({SourceState::Failed}, 10s), SourceState::Failed);
    src.stop();

    gst_debug_set_threshold_for_name("rtsp*", GST_LEVEL_WARNING);
    logger->set_level(old_level);
    logger->sinks().pop_back();
    const std::vector<std::string> lines = ring->last_formatted();
    QVERIFY(!lines.empty());
    int from_gst = 0;
    for (const auto& l : lines) {
      QVERIFY2(l.find("s3cret") == std::string::npos, l.c_str());
      if (l.find("[gst ") != std::string::npos) ++from_gst;
    }
    QVERIFY2(from_gst > 0, "GStreamer's log did not reach the video logger");
    QCOMPARE(rec.errors.size(), size_t{1});
    QVERIFY(rec.errors[0].message.find("s3cret") == std::string::npos);
    QVERIFY(rec.errors[0].detail.find("s3cret") == std::string::npos);
    QVERIFY(rec.errors[0].message.find("***@127.0.0.1") != std::string::npos);
  }

  void spec_parsing_and_validation() {
    QCOMPARE(SourceSpec::parse("clip.mp4").kind, SourceKind::File);
    QCOMPARE(SourceSpec::parse("file:///a/b.mkv").location, std::string("/a/b.mkv"));
    QCOMPARE(SourceSpec::parse("rtsp://x/y").kind, SourceKind::Uri);
    QCOMPARE(SourceSpec::parse("/dev/video0").kind, SourceKind::Device);
    QCOMPARE(SourceSpec::parse("test").location, std::string("smpte"));
    QCOMPARE(SourceSpec::parse(dir_.path().toStdString()).kind, SourceKind::ImageFolder);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, SourceSpec::parse(""));
    SourceSpec s = SourceSpec::parse("rtsp://x/y");
    s.reconnect_max_ms = 10;
    try {
      s.validate();
      QFAIL("accepted reconnect_max_ms < reconnect_initial_ms");
    } catch (const std::invalid_argument& e) {
      QVERIFY(QString(e.what()).contains("reconnect_max_ms = 10"));
    }
  }

  void device_listing_does_not_crash() {
    const auto t0 = Clock::now();
    const std::vector<VideoDevice> devices = list_video_devices();
    qInfo("%zu capture device(s) in %.0f ms", devices.size(), ms_between(t0, Clock::now()));
    for (const auto& d : devices) {
      QVERIFY(!d.name.empty());
      for (const auto& m : d.modes) QVERIFY(m.width > 0 && m.height > 0);
    }
  }
};

QTEST_GUILESS_MAIN(TestVideoSource)
#include "test_video_source.moc"
