// The from-scratch recipe's parts (docs/recipe.md §6): AdamW against LibTorch's own torch::optim::AdamW,
// optimiser state round trips by name, the warm-up schedule, the weight EMA's arithmetic, named and
// file recipes with errors that name the bad key, and a trainer run with AdamW + EMA + warm-up on real
// Kvasir images that checkpoints the average and resumes exactly.
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/train/adamw.h"
#include "core/train/recipes.h"
#include "core/train/sgd.h"
#include "core/train/trainer.h"
#include "core/train/weight_ema.h"
#include "model/checkpoint.h"
#include "support/tiny_model.h"
#include "support/train_fixtures.h"

namespace fs = std::filesystem;
using namespace pl::core;
using pl::core::train::TrainConfig;
using pl::core::train::TrainPhase;

namespace {

// Two parameters with fixed values; gradients are set by hand for each step.
train::NamedParams make_params() {
  torch::manual_seed(3);
  return {{"a", torch::randn({3, 4})}, {"b.weight", torch::randn({5})}};
}

void set_grads(train::NamedParams& ps, int step) {
  torch::manual_seed(100 + step);
  for (auto& [name, p] : ps) p.mutable_grad() = torch::randn_like(p);
}

template <typename F>
void expect_throws_with(F&& f, const std::string& needle) {
  try {
    f();
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    QVERIFY2(msg.find(needle) != std::string::npos, msg.c_str());
    return;
  }
  QFAIL(("no exception; expected one mentioning " + needle).c_str());
}

TrainConfig tiny_run(const std::string& out) { return pl::test::tiny_train_config(out); }

double max_diff(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  return pl::test::max_weight_diff(a, b);
}

std::map<std::string, torch::Tensor> with_prefix(const std::map<std::string, torch::Tensor>& m, const std::string& p) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [k, v] : m)
    if (k.rfind(p, 0) == 0) out[k.substr(p.size())] = v;
  return out;
}

}  // namespace

class TestRecipe : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { at::set_num_threads(2); }

  // Same arithmetic as LibTorch's AdamW, step by step, with the learning rate changing every step.
  void adamw_matches_torch() {
    auto ours = make_params();
    auto ref = make_params();
    std::vector<at::Tensor> ref_list;
    for (auto& [n, p] : ref) ref_list.push_back(p.requires_grad_(true));
    torch::optim::AdamW torch_adamw(ref_list, torch::optim::AdamWOptions(1e-3).betas({0.9, 0.99}).eps(1e-6).weight_decay(0.05));
    train::AdamW adamw(ours, 0.9, 0.99, 1e-6, 0.05);
    for (int step = 0; step < 6; ++step) {
      const double lr = 1e-3 * (step + 1);
      set_grads(ours, step);
      set_grads(ref, step);
      static_cast<torch::optim::AdamWOptions&>(torch_adamw.param_groups()[0].options()).lr(lr);
      torch_adamw.step();
      adamw.step(lr);
      for (size_t i = 0; i < ours.size(); ++i) {
        const double d = (ours[i].second - ref[i].second.detach()).abs().max().item<double>();
        QVERIFY2(d < 1e-6, qPrintable(QString("step %1 %2 differs by %3").arg(step).arg(ours[i].first.c_str()).arg(d)));
      }
    }
    QCOMPARE(adamw.steps(), int64_t(6));
  }

  // State saved after 3 steps and loaded into a fresh optimiser continues exactly; bad state is named.
  void adamw_state_round_trip() {
    auto a = make_params();
    train::AdamW first(a, 0.9, 0.999, 1e-8, 0.01);
    for (int s = 0; s < 3; ++s) {
      set_grads(a, s);
      first.step(1e-2);
    }
    const auto state = first.state();
    QVERIFY(state.count("adamw.exp_avg.a") && state.count("adamw.exp_avg_sq.b.weight") && state.count("adamw.step"));
    auto b = make_params();
    for (size_t i = 0; i < a.size(); ++i) b[i].second.copy_(a[i].second);
    train::AdamW second(b, 0.9, 0.999, 1e-8, 0.01);
    second.load_state(state);
    QCOMPARE(second.steps(), int64_t(3));
    set_grads(a, 3);
    set_grads(b, 3);
    first.step(1e-2);
    second.step(1e-2);
    for (size_t i = 0; i < a.size(); ++i) QVERIFY(torch::equal(a[i].second, b[i].second));

    auto bad = state;
    bad["adamw.exp_avg.nope"] = torch::zeros({2});
    expect_throws_with([&] { second.load_state(bad); }, "nope");
    bad = state;
    bad["adamw.exp_avg.a"] = torch::zeros({2, 2});
    expect_throws_with([&] { second.load_state(bad); }, "shape");
    bad = state;
    bad.erase("adamw.exp_avg_sq.a");
    expect_throws_with([&] { second.load_state(bad); }, "only one of");
    train::Sgd sgd(b, 0.9, 0);
    expect_throws_with([&] { sgd.load_state(state); }, "not SGD's");
  }

  // SGD keeps its checkpoint keys ("momentum.<param>", stored as "optim.momentum.<param>").
  void sgd_state_keys() {
    auto ps = make_params();
    train::Sgd sgd(ps, 0.9, 5e-4);
    set_grads(ps, 0);
    sgd.step(0.1);
    const auto st = sgd.state();
    QCOMPARE(st.size(), size_t(2));
    QVERIFY(st.count("momentum.a") && st.count("momentum.b.weight"));
  }

  void warmup_schedule() {
    TrainConfig c;
    c.warmup_iters = 100;
    c.warmup_ratio = 0.1;
    const int64_t total = 1000;
    QCOMPARE(train::Trainer::learning_rate(c, 0, total), 0.1 * train::Trainer::poly_lr(c, 0, total));
    const double mid = train::Trainer::poly_lr(c, 50, total) * (0.1 + 0.9 * 0.5);
    QVERIFY(std::abs(train::Trainer::learning_rate(c, 50, total) - mid) < 1e-15);
    QCOMPARE(train::Trainer::learning_rate(c, 100, total), train::Trainer::poly_lr(c, 100, total));
    c.warmup_iters = 0;
    QCOMPARE(train::Trainer::learning_rate(c, 0, total), train::Trainer::poly_lr(c, 0, total));
  }

  // ema <- d ema + (1 - d) live with d = min(decay, (1 + t) / (10 + t)); integer buffers copied.
  void ema_arithmetic() {
    QCOMPARE(train::WeightEma::decay_at(0.999, 0), 0.1);
    QCOMPARE(train::WeightEma::decay_at(0.999, 10), 11.0 / 20.0);
    QCOMPARE(train::WeightEma::decay_at(0.5, 1000), 0.5);
    torch::manual_seed(1);
    pl::model::AnnSegmentor live(pl::test::tiny_options());
    train::WeightEma ema(live, 0.999);
    const auto before = pl::model::state_dict(live);
    std::map<std::string, torch::Tensor> start;
    for (const auto& [k, v] : before) start[k] = v.clone();
    QCOMPARE(max_diff(pl::model::state_dict(ema.model()), start), 0.0);
    {
      torch::NoGradGuard g;
      for (auto& p : live->parameters()) p.add_(1.0);
      for (auto& [k, b] : pl::model::state_dict(live))
        if (k.find("num_batches_tracked") != std::string::npos) b.fill_(7);
    }
    ema.update(0);  // d = 0.1: ema = 0.1 start + 0.9 (start + 1) = start + 0.9 for parameters
    const auto after = pl::model::state_dict(ema.model());
    for (const auto& p : live->named_parameters()) {
      const auto expect = start.at(p.key()) + 0.9;
      QVERIFY2(torch::allclose(after.at(p.key()), expect, 1e-5, 1e-6), p.key().c_str());
    }
    int ints = 0;
    for (const auto& [k, v] : after)
      if (k.find("num_batches_tracked") != std::string::npos) {
        QCOMPARE(v.item<int64_t>(), int64_t(7));
        ++ints;
      }
    QVERIFY(ints > 0);
  }

  void named_and_file_recipes() {
    TrainConfig c;
    train::apply_recipe(c, "paper");
    QCOMPARE(c.to_json(), TrainConfig().to_json());
    train::apply_recipe(c, "scratch");
    QCOMPARE(c.recipe, std::string("scratch"));
    QCOMPARE(c.optimizer, std::string("adamw"));
    QVERIFY(c.dice_weight > 0 && c.ema_decay > 0 && c.warmup_iters > 0);
    c.data_root = "data";
    c.out_dir = "run";
    c.validate();  // a recipe must make a valid config
    expect_throws_with([&] { train::apply_recipe(c, "no-such-recipe"); }, "paper, scratch");

    QTemporaryDir dir;
    const auto write = [&](const std::string& name, const std::string& text) {
      const auto p = (fs::path(dir.path().toStdString()) / name).string();
      std::ofstream(p) << text;
      return p;
    };
    TrainConfig f;
    train::apply_recipe(f, write("long-adamw.json", R"({"optimizer": "adamw", "lr": 0.0005, "epochs": 300})"));
    QCOMPARE(f.recipe, std::string("long-adamw"));
    QCOMPARE(f.lr, 0.0005);
    QCOMPARE(f.epochs, 300);
    TrainConfig g;
    expect_throws_with([&] { train::apply_recipe(g, write("typo.json", R"({"learning_rate": 0.1})")); }, "'learning_rate'");
    expect_throws_with([&] { train::apply_recipe(g, write("where.json", R"({"data_root": "/x"})")); }, "belongs to the run");
    expect_throws_with([&] { train::apply_recipe(g, write("type.json", R"({"epochs": "many"})")); }, "'epochs' must be");
    expect_throws_with([&] { train::apply_recipe(g, write("bad.json", "{not json")); }, "not a JSON object");
    QCOMPARE(g.to_json(), TrainConfig().to_json());  // a failed recipe leaves the config as it was
  }

  // AdamW + EMA + warm-up through the real Trainer on Kvasir images: the checkpoint's model is the
  // average (live weights ride along), validation scores the average, and cancel + resume at
  // iteration 4 ends with the same average and the same live weights as an uninterrupted run.
  void trainer_adamw_ema_resume_is_exact() {
    QTemporaryDir a, b;
    auto setup = [](TrainConfig c) {
      train::apply_recipe(c, "scratch");
      c.warmup_iters = 2;
      c.ema_decay = 0.9;
      return c;
    };
    TrainConfig ca = setup(tiny_run(a.path().toStdString()));
    TrainConfig cb = setup(tiny_run(b.path().toStdString()));
    {
      train::Trainer t(ca);
      const auto r = t.run();
      QVERIFY2(r.phase == TrainPhase::Finished, r.message.c_str());
      QVERIFY(r.last_validation.has_value());
    }
    {
      train::Trainer t(cb);
      const auto r = t.run([&](const train::TrainProgress& p) {
        if (p.phase == TrainPhase::Training && p.iteration == 4) t.cancel();
      });
      QCOMPARE(r.phase, TrainPhase::Cancelled);
    }
    {
      cb.resume = true;
      train::Trainer t(cb);
      const auto r = t.run();
      QVERIFY2(r.phase == TrainPhase::Finished, r.message.c_str());
    }
    const auto ka = pl::model::read_checkpoint(a.filePath("last.pt").toStdString());
    const auto kb = pl::model::read_checkpoint(b.filePath("last.pt").toStdString());
    QCOMPARE(ka.meta.strings.at("optimizer"), std::string("adamw"));
    const auto live_a = with_prefix(ka.extra, "live."), live_b = with_prefix(kb.extra, "live.");
    QCOMPARE(live_a.size(), ka.state.size());
    QVERIFY2(max_diff(ka.state, live_a) > 1e-4, "the saved model should be the average, not the live weights");
    const double d_ema = max_diff(ka.state, kb.state), d_live = max_diff(live_a, live_b);
    QVERIFY2(d_ema <= 1e-6 && d_live <= 1e-6, qPrintable(QString("EMA %1, live %2").arg(d_ema).arg(d_live)));
    QVERIFY(with_prefix(ka.extra, "optim.adamw.exp_avg.").size() > 0);
    // best.pt loads as a plain model (what eval and the app do).
    auto model = pl::model::model_from_checkpoint(pl::model::read_checkpoint(a.filePath("best.pt").toStdString()));
    QVERIFY(model->options().preset == "tiny-test");
  }
};

QTEST_GUILESS_MAIN(TestRecipe)
#include "test_recipe.moc"
