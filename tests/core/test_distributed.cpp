// Data-parallel training (core/train/distributed.h, docs/distributed.md) with real processes: this
// executable starts copies of itself as Gloo ranks through the launcher (core/train/launcher.h).
// Two ranks with 2 images each end with the weights of one process with 4 (BatchNorm frozen, as
// the docs say the comparison needs); a rank killed mid-run makes the other exit with an error
// naming it, within a bounded time, leaving a last.pt that resumes; the ranks' shares make up the
// global batch; the torchrun environment is read and checked.
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/train/batch_loader.h"
#include "core/train/distributed.h"
#include "core/train/launcher.h"
#include "core/train/trainer.h"
#include "model/checkpoint.h"
#include "model/segmentor.h"
#include "support/tiny_model.h"
#include "support/train_fixtures.h"

namespace fs = std::filesystem;
using namespace pl::core;
using pl::core::train::TrainConfig;
using pl::core::train::TrainPhase;

namespace {

const char* const kWorkerEnv = "POLYPLENS_TEST_DIST_WORKER";  // "train" | "die": this process is a rank
const char* const kOutEnv = "POLYPLENS_TEST_DIST_OUT";

// 7 images of the official split: 6 train, 1 val; global batch 4 -> 1 iteration per epoch.
TrainConfig tiny_config(const std::string& out, int epochs) {
  TrainConfig c;
  c.data_root = (fs::path(POLYPLENS_TEST_DATA) / "kvasir-seg").string();
  c.max_images = 7;
  c.preset = "tiny-test";
  auto m = pl::test::tiny_options();
  m.dropout = 0;  // dropout differs per rank by design; the comparison needs none
  c.model_options = m;
  c.crop_h = c.crop_w = 32;
  c.batch = 4;
  c.epochs = epochs;
  c.val_every = 0;
  c.log_every = 1;
  c.threads = 1;
  c.amp = "off";
  c.out_dir = out;
  c.seed = 11;
  return c;
}

size_t lines_in(const fs::path& p) {
  std::ifstream in(p);
  size_t n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

// A rank started by the test: trains, writes its outcome to OUT/rank<R>.txt, exits 0 when finished.
// Mode "die": rank 1 kills itself with SIGKILL once rank 0 has logged two iterations.
int worker(const std::string& mode) {
  auto dist = train::dist_options_from_env();
  if (!dist) return 3;
  dist->bn = "frozen";
  dist->heartbeat_timeout_s = 4;
  dist->timeout_s = 60;
  const fs::path out = std::getenv(kOutEnv);
  train::Trainer t(tiny_config(out.string(), mode == "die" ? 12 : 5));
  t.set_distributed(*dist);
  if (mode == "die" && dist->rank == 1) {
    std::thread killer([&] {
      while (lines_in(out / "metrics.jsonl") < 2) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::raise(SIGKILL);
    });
    killer.detach();
  }
  const auto r = t.run();
  std::ofstream(out / ("rank" + std::to_string(dist->rank) + ".txt")) << train::phase_name(r.phase) << "\n" << r.message;
  return r.phase == TrainPhase::Finished ? 0 : 1;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

train::LaunchResult launch(const std::string& mode, const std::string& out, int nproc) {
  ::setenv(kWorkerEnv, mode.c_str(), 1);
  ::setenv(kOutEnv, out.c_str(), 1);
  train::LaunchPlan plan;
  plan.program = fs::read_symlink("/proc/self/exe").string();
  plan.nproc = nproc;
  plan.grace_s = 30;
  auto r = train::launch_and_supervise(plan, [](const std::string& l) { qInfo("launcher: %s", l.c_str()); });
  ::unsetenv(kWorkerEnv);
  return r;
}

double max_diff(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  return pl::test::max_weight_diff(a, b);
}

bool has_gloo() { return train::distributed_backends().find("gloo") != std::string::npos; }

}  // namespace

class TestDistributed : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void shares_make_up_the_global_batch() {
    const auto samples = pl::test::kvasir_train_samples(7, 64);
    data::AugmentOptions aug;
    aug.crop_h = aug.crop_w = 32;
    for (int64_t it : {0, 3}) {
      const auto whole = train::make_batch(samples, aug, 4, 7, it);
      const auto a = train::make_batch(samples, aug, 4, 7, it, 0, 2), b = train::make_batch(samples, aug, 4, 7, it, 1, 2);
      QCOMPARE(a.images.size(0), 2);
      QVERIFY(torch::equal(torch::cat({a.images, b.images}), whole.images));
      QVERIFY(torch::equal(torch::cat({a.labels, b.labels}), whole.labels));
    }
    try {
      train::make_batch(samples, aug, 4, 7, 0, 0, 3);
      QFAIL("a batch of 4 split 3 ways was accepted");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(std::string(e.what()).find("does not split into 3") != std::string::npos, e.what());
    }
  }

  void torchrun_environment() {
    for (const char* v : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(v);
    QVERIFY(!train::dist_options_from_env());
    ::setenv("RANK", "1", 1);
    ::setenv("WORLD_SIZE", "4", 1);
    ::setenv("LOCAL_RANK", "1", 1);
    ::setenv("MASTER_ADDR", "node0", 1);
    ::setenv("MASTER_PORT", "29555", 1);
    const auto o = train::dist_options_from_env();
    QVERIFY(o && o->enabled);
    QCOMPARE(o->rank, 1);
    QCOMPARE(o->world_size, 4);
    QCOMPARE(o->master_addr, std::string("node0"));
    QCOMPARE(o->master_port, 29555);
    ::setenv("RANK", "4", 1);
    try {
      train::dist_options_from_env();
      QFAIL("RANK 4 of WORLD_SIZE 4 was accepted");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(std::string(e.what()).find("RANK='4'") != std::string::npos, e.what());
    }
    for (const char* v : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(v);
  }

  // The acceptance test: 2 Gloo processes x batch 2 vs 1 process x batch 4, 5 iterations.
  void two_ranks_match_one_process() {
    if (!has_gloo()) QSKIP("this build has no Gloo backend");
    QTemporaryDir two, one;
    const auto r = launch("train", two.path().toStdString(), 2);
    QVERIFY2(r.failed_rank < 0, (r.message + "\n" + read_text(fs::path(two.path().toStdString()) / "rank0.txt")).c_str());
    QVERIFY(!fs::exists(fs::path(two.path().toStdString()) / "rank1" / "last.pt"));

    train::Trainer t(tiny_config(one.path().toStdString(), 5));
    train::DistOptions single;
    single.bn = "frozen";
    t.set_distributed(single);
    const auto res = t.run();
    QCOMPARE(res.phase, TrainPhase::Finished);
    QCOMPARE(res.iterations_done, int64_t(5));

    const auto a = pl::model::read_checkpoint(two.path().toStdString() + "/last.pt");
    const auto b = pl::model::read_checkpoint(one.path().toStdString() + "/last.pt");
    const double d = max_diff(a.state, b.state);
    qInfo("max |weight difference| after 5 iterations, 2x2 vs 1x4: %g", d);
    QVERIFY2(d < 1e-5, std::to_string(d).c_str());
    // The weights moved from the seeded initial ones: a comparison of untouched models proves nothing.
    torch::manual_seed(tiny_config("", 5).seed);
    pl::model::AnnSegmentor init(*tiny_config("", 5).model_options);
    double moved = 0;
    for (const auto& kv : init->named_parameters())
      if (const auto it = a.state.find(kv.key()); it != a.state.end())
        moved = std::max(moved, (it->second - kv.value()).abs().max().item<double>());
    QVERIFY2(moved > 1e-4, std::to_string(moved).c_str());
    // Rank 0 alone wrote the run's log: one line per iteration.
    QCOMPARE(lines_in(fs::path(two.path().toStdString()) / "metrics.jsonl"), size_t(5 + 1));  // + validation
  }

  void a_killed_rank_is_named_and_the_run_resumes() {
    if (!has_gloo()) QSKIP("this build has no Gloo backend");
    QTemporaryDir dir;
    const fs::path out = dir.path().toStdString();
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = launch("die", out.string(), 2);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    qInfo("launcher: %s (%.1f s)", r.message.c_str(), s);
    QCOMPARE(r.failed_rank, 1);
    QVERIFY2(r.message.find("signal 9") != std::string::npos, r.message.c_str());
    // Rank 0 stopped on its own, with an error naming rank 1, well before the launcher's grace ended.
    const std::string rank0 = read_text(out / "rank0.txt");
    QVERIFY2(rank0.rfind("failed", 0) == 0, rank0.c_str());
    QVERIFY2(rank0.find("rank 1") != std::string::npos, rank0.c_str());
    QVERIFY2(s < 30, std::to_string(s).c_str());
    QVERIFY(!fs::exists(out / "rank1.txt"));

    // last.pt is whole and the run resumes from it (here as one process).
    const auto ck = pl::model::read_checkpoint((out / "last.pt").string());
    QVERIFY(!ck.state.empty());
    auto c = tiny_config(out.string(), 12);
    c.resume = true;
    train::Trainer resumed(c);
    train::DistOptions single;
    single.bn = "frozen";
    resumed.set_distributed(single);
    const auto res = resumed.run();
    QVERIFY2(res.phase == TrainPhase::Finished, res.message.c_str());
  }
};

int main(int argc, char** argv) {
  if (const char* mode = std::getenv(kWorkerEnv)) return worker(mode);
  QCoreApplication app(argc, argv);
  TestDistributed t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_distributed.moc"
