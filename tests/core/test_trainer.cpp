// The trainer on a real Kvasir subset with a tiny model: it learns (overfits a fixed batch), a run
// cancelled and resumed ends with the same weights as an uninterrupted one, cancel leaves a
// resumable last.pt, the NaN guard stops without overwriting it, and bad configs name the value.
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/data/dataset.h"
#include "core/data/sample_cache.h"
#include "core/train/batch_loader.h"
#include "core/train/sgd.h"
#include "core/train/trainer.h"
#include "model/checkpoint.h"
#include "model/losses.h"
#include "model/segmentor.h"
#include "support/tiny_model.h"
#include "support/train_fixtures.h"

namespace fs = std::filesystem;
using namespace pl::core;
using pl::core::train::TrainConfig;
using pl::core::train::TrainPhase;

namespace {

pl::model::SegmentorOptions tiny() { return pl::test::tiny_options(); }

TrainConfig tiny_config(const std::string& out) { return pl::test::tiny_train_config(out); }

std::map<std::string, torch::Tensor> weights(const std::string& path) { return pl::model::read_checkpoint(path).state; }

double max_diff(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  return pl::test::max_weight_diff(a, b);
}

struct OverfitResult {
  double first = 0, last = 0;
  int steps = 0;
};

OverfitResult overfit(int crop, int batch_size, double lr) {
  const auto samples = pl::test::kvasir_train_samples(4, crop);
  data::AugmentOptions aug;
  aug.crop_h = aug.crop_w = crop;
  aug.photometric = false;
  const auto batch = train::make_batch(samples, aug, batch_size, 1, 0);
  torch::manual_seed(0);
  auto o = tiny();
  o.dropout = 0;
  pl::model::AnnSegmentor model(o);
  model->train();
  std::vector<std::pair<std::string, at::Tensor>> params;
  for (auto& kv : model->named_parameters()) params.emplace_back(kv.key(), kv.value());
  train::Sgd sgd(params, 0.9, 0.0);
  OverfitResult r;
  for (; r.steps < 80 && (r.steps < 2 || r.last > 0.1 * r.first); ++r.steps) {
    sgd.zero_grad();
    const auto loss = pl::model::segmentation_loss(model->forward(batch.images), batch.labels, 0.4);
    loss.total.backward();
    sgd.step(lr);
    (r.steps == 0 ? r.first : r.last) = loss.total.item<double>();
  }
  return r;
}

}  // namespace

class TestTrainer : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { at::set_num_threads(2); }

  void config_errors_name_the_value() {
    QTemporaryDir dir;
    auto expect = [&](TrainConfig c, const std::string& needle) {
      try {
        c.validate();
        QFAIL(("accepted a config that should fail with " + needle).c_str());
      } catch (const std::invalid_argument& e) {
        QVERIFY2(std::string(e.what()).find(needle) != std::string::npos, e.what());
      }
    };
    const TrainConfig ok = tiny_config(dir.path().toStdString());
    ok.validate();
    TrainConfig c = ok;
    c.batch = 0;
    expect(c, "batch must be positive, got 0");
    c = ok;
    c.lr = -0.5;
    expect(c, "lr must be positive, got -0.5");
    c = ok;
    c.model_options.reset();
    c.preset = "ann-r9000";
    expect(c, "ann-r9000");
    c = ok;
    c.crop_h = 60;
    expect(c, "multiple of 8");
    c = ok;
    c.split = "half";
    expect(c, "half");
    c = ok;
    c.device = "tpu";
    expect(c, "tpu");
    // The paper's defaults are what a default config holds.
    const TrainConfig d;
    QCOMPARE(d.lr, 0.01);
    QCOMPARE(d.momentum, 0.9);
    QCOMPARE(d.weight_decay, 5e-4);
    QCOMPARE(d.batch, 10);
    QCOMPARE(d.epochs, 500);
    QCOMPARE(d.aux_weight, 0.4);
    QCOMPARE(d.val_every, 100);
    QCOMPARE(d.dice_weight, 0.0);
    QCOMPARE(d.effective_crop_h(), 512);
    QCOMPARE(d.effective_crop_w(), 1024);
    // JSON round trip keeps every field.
    const auto back = TrainConfig::from_json(ok.to_json());
    QCOMPARE(back.to_json(), ok.to_json());
  }

  void crop_larger_than_every_image_fails_clearly() {
    QTemporaryDir dir;
    TrainConfig c = tiny_config(dir.path().toStdString());
    c.crop_h = c.crop_w = 4096;
    c.scale_long = c.scale_short = 64;
    train::Trainer t(c);
    const auto r = t.run();
    QCOMPARE(r.phase, TrainPhase::Failed);
    QVERIFY2(r.message.find("larger than every training image") != std::string::npos, r.message.c_str());
  }

  void poly_schedule() {
    TrainConfig c;
    QCOMPARE(train::Trainer::poly_lr(c, 0, 1000), 0.01);
    QVERIFY(std::abs(train::Trainer::poly_lr(c, 1000, 1000) - 1e-4) < 1e-12);
    QVERIFY(std::abs(train::Trainer::poly_lr(c, 500, 1000) - ((0.01 - 1e-4) * std::pow(0.5, 0.9) + 1e-4)) < 1e-12);
  }

  // One fixed batch of 3 real images (48x48), tiny model, the trainer's SGD and loss: the loss must
  // fall by at least 90% (it takes ~66 steps; at most 80 are run).
  void overfits_one_batch() {
    const auto r = overfit(48, 3, 0.05);
    qInfo("loss %g -> %g in %d steps", r.first, r.last, r.steps);
    QVERIFY2(r.last <= 0.1 * r.first, qPrintable(QString("loss %1 -> %2").arg(r.first).arg(r.last)));
  }

  // Batches are a pure function of (seed, iteration).
  void batches_are_reproducible() {
    const auto samples = pl::test::kvasir_train_samples(8, 64);
    data::AugmentOptions aug;
    aug.crop_h = aug.crop_w = 32;
    train::BatchLoader loader(samples, aug, 2, 9, 3, 6, 2);
    for (int64_t it = 3; it < 6; ++it) {
      const auto b = loader.next();
      QCOMPARE(b.iteration, it);
      const auto again = train::make_batch(samples, aug, 2, 9, it);
      QVERIFY(torch::equal(b.images, again.images));
      QVERIFY(torch::equal(b.labels, again.labels));
    }
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, loader.next());
    QVERIFY(!torch::equal(train::make_batch(samples, aug, 2, 9, 0).images, train::make_batch(samples, aug, 2, 10, 0).images));
  }

  // Straight run vs. cancel at iteration 4 (mid epoch 2) + resume in a new Trainer: same weights,
  // on both data paths (host: per-sample producer thread; device: whole batches, here on the CPU).
  // With 2 threads: this also fails if training is not deterministic run to run (it was once,
  // through at::set_num_threads called from a helper thread; see core/data/intraop.h).
  void resume_is_exact_data() {
    QTest::addColumn<QString>("data_path");
    QTest::newRow("host") << "host";
    QTest::newRow("device") << "device";
  }
  void resume_is_exact() {
    QFETCH(QString, data_path);
    QTemporaryDir a, b;
    TrainConfig ca = tiny_config(a.path().toStdString());
    TrainConfig cb = tiny_config(b.path().toStdString());
    ca.data_path = cb.data_path = data_path.toStdString();
    {
      train::Trainer t(ca);
      const auto r = t.run();
      QVERIFY2(r.phase == TrainPhase::Finished, r.message.c_str());
      QCOMPARE(r.iterations_done, int64_t(6));
      QVERIFY(r.last_validation.has_value());
      QVERIFY(fs::exists(a.filePath("best.pt").toStdString()));
    }
    {
      train::Trainer t(cb);
      const auto r = t.run([&](const train::TrainProgress& p) {
        if (p.phase == TrainPhase::Training && p.iteration == 4) t.cancel();
      });
      QCOMPARE(r.phase, TrainPhase::Cancelled);
      QCOMPARE(r.iterations_done, int64_t(4));
      const auto ck = pl::model::read_checkpoint(b.filePath("last.pt").toStdString());
      QCOMPARE(ck.meta.iteration, int64_t(4));
      QVERIFY(ck.extra.count("rng.cpu"));
    }
    {
      cb.resume = true;
      train::Trainer t(cb);
      const auto r = t.run();
      QVERIFY2(r.phase == TrainPhase::Finished, r.message.c_str());
    }
    const double d = max_diff(weights(a.filePath("last.pt").toStdString()), weights(b.filePath("last.pt").toStdString()));
    QVERIFY2(d <= 1e-6, qPrintable(QString("max weight difference %1").arg(d)));
    // The resumed log has each iteration once.
    std::ifstream log(b.filePath("metrics.jsonl").toStdString());
    int train_lines = 0;
    for (std::string l; std::getline(log, l);) train_lines += l.find("\"type\":\"train\"") != std::string::npos;
    QCOMPARE(train_lines, 3);  // 6 iterations, log_every 2
    QVERIFY(fs::exists(b.filePath("split.json").toStdString()));
    QVERIFY(fs::exists(b.filePath("config.json").toStdString()));
  }

  void pause_blocks_until_resumed() {
    QTemporaryDir dir;
    TrainConfig c = tiny_config(dir.path().toStdString());
    c.epochs = 1;
    c.val_every = 0;
    train::Trainer t(c);
    bool saw_paused = false;
    std::thread resumer;
    const auto r = t.run([&](const train::TrainProgress& p) {
      if (p.phase == TrainPhase::Training && p.iteration == 1 && !resumer.joinable()) {
        t.pause();
        resumer = std::thread([&] {
          std::this_thread::sleep_for(std::chrono::milliseconds(300));
          t.resume();
        });
      }
      if (p.phase == TrainPhase::Paused) saw_paused = true;
    });
    resumer.join();
    QVERIFY(saw_paused);
    QCOMPARE(r.phase, TrainPhase::Finished);
    QCOMPARE(r.iterations_done, int64_t(3));
  }

  void nan_guard_stops_and_keeps_last_good() {
    QTemporaryDir dir;
    TrainConfig c = tiny_config(dir.path().toStdString());
    c.val_every = 0;
    c.checkpoint_every_iters = 1;  // last.pt after iteration 1, before the blow-up
    c.lr = 1e30;
    c.min_lr = 0;
    train::Trainer t(c);
    const auto r = t.run();
    QCOMPARE(r.phase, TrainPhase::Failed);
    QVERIFY2(r.message.find("loss is") != std::string::npos || r.message.find("weights became") != std::string::npos,
             r.message.c_str());
    QVERIFY2(r.message.find("last.pt") != std::string::npos, r.message.c_str());
    const auto ck = pl::model::read_checkpoint(dir.filePath("last.pt").toStdString());
    QVERIFY(ck.meta.iteration >= 1);
    for (const auto& [k, v] : ck.state)
      if (v.is_floating_point()) QVERIFY2(torch::isfinite(v).all().item<bool>(), k.c_str());
  }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "test_trainer.moc"
