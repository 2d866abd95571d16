// The benchmark machinery: statistics, the MAC counter against model/stats.h, the matmul peak, the
// Python peer protocol, and each suite run quickly at tiny sizes with its JSON checked for structure
// and positive figures.
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/base/json.h"
#include "core/bench/mac_counter.h"
#include "core/bench/matmul_peak.h"
#include "core/bench/model_bench.h"
#include "core/bench/pipeline_bench.h"
#include "core/bench/python_peer.h"
#include "core/bench/table.h"
#include "core/bench/timing.h"
#include "core/bench/train_bench.h"
#include "model/presets.h"
#include "model/segmentor.h"
#include "model/stats.h"

using namespace pl::core::bench;
using pl::json::Json;

namespace {

bool positive(const Json& o, const char* key) {
  const auto v = o.find(key);  // end() when o is not an object
  return v != o.end() && v->is_number() && v->get<double>() > 0 && std::isfinite(v->get<double>());
}

double num(const Json& o, const char* key) { return o.at(key).get<double>(); }
std::string text(const Json& o, const char* key) { return o.value(key, std::string()); }

void check_stats(const Json& o) {
  for (const char* k : {"median_ms", "p90_ms", "min_ms", "max_ms", "mean_ms", "runs"})
    QVERIFY2(positive(o, k), k);
  QVERIFY(num(o, "min_ms") <= num(o, "median_ms"));
  QVERIFY(num(o, "median_ms") <= num(o, "p90_ms"));
  QVERIFY(num(o, "p90_ms") <= num(o, "max_ms"));
}

TimingOptions tiny_timing() { return TimingOptions{1, 2, 20}; }

}  // namespace

class TestBench : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { at::set_num_threads(1); }

  void statsNearestRank() {
    std::vector<double> v;
    for (int i = 10; i >= 1; --i) v.push_back(i);
    const auto s = summarize(v);
    QCOMPARE(s.runs, 10);
    QCOMPARE(s.median_ms, 5.5);
    QCOMPARE(s.p90_ms, 9.0);
    QCOMPARE(s.min_ms, 1.0);
    QCOMPARE(s.max_ms, 10.0);
    QCOMPARE(s.mean_ms, 5.5);
    QCOMPARE(summarize({7.0}).p90_ms, 7.0);
    QVERIFY(summarize({}).empty());
  }

  void timingLoopCountsRuns() {
    int calls = 0;
    const auto s = time_runs([&] { ++calls; }, TimingOptions{2, 5, 10});
    QCOMPARE(calls, 7);
    QCOMPARE(s.runs, 5);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, time_runs([] {}, TimingOptions{0, 0, 1}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, time_runs([] {}, TimingOptions{-1, 1, 1}));
  }

  void macCounterOnKnownOps() {
    at::InferenceMode guard;
    const auto x = at::randn({2, 3, 16, 20});
    const auto w = at::randn({8, 3, 3, 3});
    auto c = count_macs([&] { at::conv2d(x, w, {}, {2, 2}, {1, 1}); });
    // Output 8 x 10 x 8 per image (stride 2, padding 1), 27 MACs per output value, 2 images.
    QCOMPARE(c.conv, int64_t(2) * 8 * 8 * 10 * 27);
    QCOMPARE(c.matmul, int64_t(0));
    const auto d = count_macs([&] { at::conv2d(x, at::randn({6, 1, 3, 3}), {}, {1, 1}, {2, 2}, {2, 2}, 3); });
    QCOMPARE(d.conv, int64_t(2) * 6 * 16 * 20 * 9);  // grouped, dilated, same size
    const auto m = count_macs([&] {
      at::mm(at::randn({4, 5}), at::randn({5, 6}));
      at::bmm(at::randn({3, 4, 5}), at::randn({3, 5, 2}));
      at::addmm(at::randn({4, 6}), at::randn({4, 5}), at::randn({5, 6}));
    });
    QCOMPARE(m.matmul, int64_t(4 * 5 * 6 + 3 * 4 * 5 * 2 + 4 * 5 * 6));
    // Nothing is counted outside the call.
    QCOMPARE(count_macs([] {}).total(), int64_t(0));
  }

  void macCounterAgreesWithAnalyticCount() {
    auto opts = pl::model::preset("ann-r18-live");
    opts.with_aux = false;
    pl::model::AnnSegmentor model(opts);
    model->eval();
    const auto stats = pl::model::model_stats(model, 64, 96);
    at::InferenceMode guard;
    const auto x = at::randn({1, 3, 64, 96});
    const auto counted = count_macs([&] { model->predict(x); });
    QVERIFY(counted.conv > 0 && counted.matmul > 0);
    const double rel = std::abs(double(counted.total()) - stats.macs_inference) / stats.macs_inference;
    QVERIFY2(rel < 1e-3, qPrintable(QString("counted %1, analytic %2").arg(double(counted.total())).arg(stats.macs_inference)));
  }

  void matmulPeakAndFloor() {
    const auto p = measure_matmul_peak("fp32", 128, 2);
    QVERIFY(p.gflops > 0);
    QVERIFY(p.gflops >= p.median_gflops);
    QCOMPARE(floor_ms(1e9, 2.0), 1000.0);  // 2 GFLOP at 2 GFLOP/s
    QCOMPARE(floor_ms(1e9, 0.0), 0.0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, measure_matmul_peak("int8", 128, 1));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, measure_matmul_peak("fp32", 4, 1));
  }

  void peerJsonProtocol() {
    const auto r = parse_peer_json(
        R"({"available": true, "torch": "1.13", "threads": 1, "results": [{"model": "dilated_r50", "dtype": "fp32",
            "mode": "eager", "runs": 3, "median_ms": 5, "p90_ms": 6, "min_ms": 4, "max_ms": 6, "mean_ms": 5}]})");
    QVERIFY(r.available);
    QVERIFY(r.find("dilated_r50", "fp32"));
    QCOMPARE(r.find("dilated_r50", "fp32")->stats.median_ms, 5.0);
    QVERIFY(!r.find("dilated_r50", "bf16"));
    QVERIFY(!parse_peer_json(R"({"available": false, "reason": "no torch"})").available);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, parse_peer_json("not json"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, parse_peer_json(R"({"available": true, "results": []})"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                             parse_peer_json(R"({"available": true, "results": [{"model": "x", "runs": 0}]})"));
  }

  void peerUnavailableIsNotAnError() {
    PeerOptions o;
    o.python = "/nonexistent/python3";
    o.height = o.width = 64;
    const auto r = run_python_peers(o);
    QVERIFY(!r.available);
    QVERIFY2(r.reason.find("/nonexistent/python3") != std::string::npos, r.reason.c_str());
    QVERIFY(!locate_peer_script().empty());
  }

  void modelSuiteQuick() {
    ModelBenchOptions o;
    o.presets = {"ann-r18-live"};
    o.height = 64;
    o.width = 64;
    o.variants = {{"fp32", false, false}, {"fp32", true, true}, {"bf16-autocast", true, false}};
    o.threads = 1;
    o.timing = tiny_timing();
    o.matmul_n = 256;
    o.python = POLYPLENS_TEST_PYTHON;
    o.peer_models = {"dilated_r50"};
    const auto r = run_model_bench(o);
    const auto j = to_json(r);
    QCOMPARE(text(j, "suite"), std::string("model"));
    QCOMPARE(j.at("threads").get<int>(), 1);
    QVERIFY(positive(j.at("matmul_peak").at("fp32"), "gflops"));
    QVERIFY(positive(j.at("matmul_peak").at("fp32"), "cpu_gflops"));
    QVERIFY(positive(j.at("matmul_peak").at("bf16"), "gflops"));
    const auto& presets = j.at("presets");
    QCOMPARE(int(presets.size()), 1);
    const auto& p = presets.at(0);
    QCOMPARE(text(p, "preset"), std::string("ann-r18-live"));
    QCOMPARE(p.at("height").get<int>(), 64);
    QVERIFY(positive(p, "parameters"));
    QVERIFY(positive(p.at("macs"), "total"));
    QVERIFY(positive(p.at("floor_ms"), "fp32"));
    QVERIFY(positive(p.at("floor_ms"), "bf16"));
    const auto& variants = p.at("variants");
    QCOMPARE(int(variants.size()), 3);
    for (const auto& e : variants) {
      QVERIFY2(!e.contains("skipped"), text(e, "skipped").c_str());
      check_stats(e);
      QVERIFY(positive(e, "fps"));
      QVERIFY(positive(e, "x_floor"));
      QVERIFY(positive(e, "x_floor_cpu"));
      QVERIFY(positive(e, "cpu_median_ms"));
    }
    QCOMPARE(text(variants.at(1), "label"), std::string("fold_bn+channels_last"));
    // The peer ran (Debian's Python has torch here) at the same size and threads.
    const auto& peers = p.at("peers");
    QVERIFY2(peers.value("available", false), text(peers, "reason").c_str());
    QCOMPARE(peers.at("threads").get<int>(), 1);
    const auto& results = peers.at("results");
    QCOMPARE(int(results.size()), 2);  // fp32 eager and bf16 autocast
    for (const auto& e : results) check_stats(e);
    const auto table = to_table(r, o.timing);
    QVERIFY(table.find("ann-r18-live at 64x64") != std::string::npos);
    QVERIFY(table.find("dilated ResNet-50") != std::string::npos);
    QVERIFY(table.find("floor") != std::string::npos);
  }

  void modelSuiteRejectsBadOptions() {
    ModelBenchOptions o;
    o.presets = {"nope"};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run_model_bench(o));
    o.presets = {"ann-r18-live"};
    o.height = 64;  // width missing
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run_model_bench(o));
    o.width = 64;
    o.dtypes = {"int8"};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run_model_bench(o));
  }

  // The Trainer's iteration (TrainStep on batches from the data path) at a tiny crop: host path on
  // synthetic samples without the peer; device path on real Kvasir-SEG when the checkout has it
  // (else synthetic, saying why), with the Python training-step peer.
  void trainSuiteQuick_data() {
    QTest::addColumn<QString>("data_path");
    QTest::addColumn<bool>("real_data");
    QTest::newRow("host, synthetic") << "host" << false;
    QTest::newRow("device, kvasir-seg if present, peer") << "device" << true;
  }

  void trainSuiteQuick() {
    QFETCH(QString, data_path);
    QFETCH(bool, real_data);
    const std::string kvasir = std::string(POLYPLENS_SOURCE_DIR) + "/../shared/data/kvasir-seg";
    const bool have_kvasir = real_data && QFileInfo(QString::fromStdString(kvasir + "/images")).isDir();
    TrainBenchOptions o;
    o.cases = {{"ann-r18-live", 64, 64, 2}};
    o.dtypes = {"fp32"};
    o.threads = 1;
    o.timing = tiny_timing();
    o.window = 2;
    o.data_path = data_path.toStdString();
    o.data_root = real_data ? kvasir : "synthetic";
    o.max_images = 8;
    o.peers = real_data;
    o.python = POLYPLENS_TEST_PYTHON;
    const auto r = run_train_bench(o);
    const auto j = to_json(r);
    QCOMPARE(text(j, "suite"), std::string("train"));
    const auto& results = j.at("results");
    QCOMPARE(int(results.size()), 1);
    const auto& e = results.at(0);
    QVERIFY2(!e.contains("skipped"), text(e, "skipped").c_str());
    QCOMPARE(e.at("batch").get<int>(), 2);
    QCOMPARE(text(e, "data_path"), data_path.toStdString());
    if (have_kvasir) {
      QCOMPARE(text(e, "data"), std::string("kvasir-seg (8 images)"));
    } else {
      QCOMPARE(text(e, "data"), std::string("synthetic"));
      QCOMPARE(e.contains("data_note"), real_data);  // says why the folder was not used
    }
    QCOMPARE(e.at("window_iterations").get<int>(), 2);
    check_stats(e.at("window"));
    check_stats(e.at("step"));
    check_stats(e.at("forward"));
    QCOMPARE(e.at("step").at("runs").get<int>(), 2);  // measured windows
    QVERIFY(positive(e, "images_per_s"));
    // images/s = batch x iterations per window / window time.
    const double expected = 2.0 * 2 * 1000.0 / num(e.at("window"), "median_ms");
    QVERIFY2(std::abs(num(e, "images_per_s") - expected) < 1e-6 * expected,
             qPrintable(QString("%1 vs %2").arg(num(e, "images_per_s")).arg(expected)));
    // Real losses of a 2-class problem: finite, positive, the total = decode + 0.4 aux.
    for (const char* k : {"first_loss", "last_loss", "last_decode_loss", "last_aux_loss"}) QVERIFY2(positive(e, k), k);
    QVERIFY(std::abs(num(e, "last_loss") - (num(e, "last_decode_loss") + 0.4 * num(e, "last_aux_loss"))) < 1e-4);
    // A training iteration costs more than a forward pass of the same batch. Compared in CPU time (one
    // thread): wall time on a loaded machine can make either look faster.
    const double step_cpu = num(e.at("step"), "cpu_median_ms"), forward_cpu = num(e.at("forward"), "cpu_median_ms");
    QVERIFY2(step_cpu > forward_cpu,
             qPrintable(QString("step %1 ms CPU, forward %2 ms CPU").arg(step_cpu).arg(forward_cpu)));
    const auto table = to_table(r, o.timing);
    QVERIFY(table.find("ann-r18-live") != std::string::npos);
    QVERIFY(table.find("data path: " + data_path.toStdString()) != std::string::npos);
    const auto& peer = e.at("peer");
    if (real_data) {  // Debian's Python has torch + torchvision here
      QVERIFY2(peer.value("available", false), text(peer, "reason").c_str());
      QCOMPARE(peer.at("batch").get<int>(), 2);
      QCOMPARE(text(peer, "dtype"), std::string("fp32"));
      check_stats(peer.at("step"));
      QVERIFY(positive(peer, "images_per_s"));
      QVERIFY(positive(peer, "ours_over_peer"));
      QVERIFY2(table.find("peer: torchvision DeepLabV3-R50 train step") != std::string::npos, table.c_str());
    } else {
      QVERIFY(!peer.value("available", true));
      QVERIFY2(table.find("peer unavailable: not requested") != std::string::npos, table.c_str());
    }
  }

  void trainSuiteRejectsBadOptions() {
    TrainBenchOptions o;
    o.cases = {{"ann-r18-live", 64, 64, 2}};
    o.data_path = "gpu";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run_train_bench(o));
    o.data_path = "host";
    o.window = -1;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run_train_bench(o));
    o.window = 0;
    o.cases = {{"nope"}};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run_train_bench(o));
  }

  void pipelineSuiteQuick() {
    QTemporaryDir dir;
    PipelineBenchOptions o;
    o.preset = "ann-r18-live";
    o.model_h = o.model_w = 64;
    o.frame_w = 320;
    o.frame_h = 240;
    o.frames = 6;
    o.segment_frames = 3;
    o.live_seconds = 1.0;
    o.threads = 1;
    o.work_dir = dir.path().toStdString();
    const auto r = run_pipeline_bench(o);
    const auto j = to_json(r);
    QCOMPARE(text(j, "suite"), std::string("pipeline"));
    QCOMPARE(j.at("frame").at("width").get<int>(), 320);
    const auto& stages = j.at("stages");
    QStringList names;
    for (const auto& e : stages) {
      names << QString::fromStdString(text(e, "stage"));
      for (const char* k : {"samples", "median_ms", "p95_ms", "max_ms"}) QVERIFY2(positive(e, k), k);
      QVERIFY(num(e, "median_ms") <= num(e, "p95_ms"));
    }
    QCOMPARE(names, (QStringList{"decode", "copy-out", "preprocess", "inference", "postprocess", "overlay", "hand-off"}));
    QCOMPARE(stages.at(3).at("samples").get<int>(), 3);
    QVERIFY(positive(j, "app_overhead_ms"));
    QVERIFY(positive(j, "video_added_delay_ms"));
    QVERIFY(num(j, "annotation_delay_ms") > num(j, "inference_ms"));
    const auto& live = j.at("live");
    QVERIFY2(!live.contains("skipped"), text(live, "skipped").c_str());
    QVERIFY(positive(live, "masks"));
    check_stats(live.at("mask_age"));
    check_stats(live.at("mask_latency"));
    // A mask is never younger at display than it was when it was ready.
    QVERIFY(num(live.at("mask_age"), "min_ms") >= num(live.at("mask_latency"), "min_ms"));

    // The model branch + view path, beside it: GStreamer delivered model-size copies (its queue is
    // leaky: on a loaded machine it may drop one rather than hold up the decoder), the same stages,
    // and no view injected here (no GUI in core), so the CPU composite, said so.
    const auto& b = j.at("model_branch");
    const int model_frames = b.at("model_frames").get<int>();
    QVERIFY2(model_frames >= 3 && model_frames <= 6, qPrintable(QString::number(model_frames)));
    QStringList branch_names;
    for (const auto& e : b.at("stages")) branch_names << QString::fromStdString(text(e, "stage"));
    QCOMPARE(branch_names, names);
    QVERIFY(text(b, "view").find("CPU composite") == 0);
    QVERIFY(positive(b, "app_overhead_ms"));
    QVERIFY(num(b, "video_added_delay_ms") > 0);
    QVERIFY(positive(b.at("live").at("mask_age"), "median_ms"));
    QVERIFY(r.branch_live.masks > 0);
    // The branch's frames reach the model at its size: nothing left to resize in postprocess.
    QVERIFY(r.branch_stages.at(4).median_ms <= r.stages.at(4).median_ms);
    QVERIFY(to_table(r).find("Model branch + view") != std::string::npos);
  }

  void tableAligns() {
    Table t({"name", ">value"});
    t.add({"a", "1"}).add({"long name", "22"}).section("-- group --");
    const auto s = t.str("");
    QCOMPARE(QString::fromStdString(s), QString("name       value\na              1\nlong name     22\n-- group --\n"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, t.add({"only one"}));
    QCOMPARE(fixed(-1, 2), std::string("-"));
    QCOMPARE(fixed(1.234, 1), std::string("1.2"));
  }
};

QTEST_GUILESS_MAIN(TestBench)
#include "test_bench.moc"
