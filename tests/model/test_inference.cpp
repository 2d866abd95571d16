// Inference preparation (BN folding, channels-last, bf16), device selection and the analytic
// parameter/MAC counts against docs/model.md §8.
#include <QtTest/QtTest>

#include <torch/torch.h>

#include "model/device.h"
#include "model/fold_bn.h"
#include "model/heads/conv_module.h"
#include "model/inference.h"
#include "model/presets.h"
#include "model/segmentor.h"
#include "model/stats.h"

using namespace pl::model;

namespace {

SegmentorOptions tiny(int depth) {
  SegmentorOptions o;
  o.depth = depth;
  o.channels = 16;
  o.project_channels = 8;
  o.aux_channels = 8;
  return o;
}

// Non-trivial BN statistics and affine parameters, and live attention branches.
// spread 0.2 makes a chaotic net that amplifies every rounding; bf16 rows use a tamer one.
AnnSegmentor trained_like(int depth, double spread) {
  torch::manual_seed(3);
  AnnSegmentor m(tiny(depth));
  torch::NoGradGuard no_grad;
  for (auto& p : m->parameters()) p.normal_(0.0, spread).add_(p.dim() == 1 ? 1.0 : 0.0);
  m->train();
  for (int i = 0; i < 3; ++i) m->forward(torch::randn({2, 3, 48, 48}));
  m->eval();
  return m;
}

double rel_err(const torch::Tensor& a, const torch::Tensor& b) { return ((a - b).norm() / b.norm()).item<double>(); }

}  // namespace

class TestInference : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { at::set_num_threads(1); }

  void equivalence_data() {
    QTest::addColumn<int>("depth");
    QTest::addColumn<bool>("fold");
    QTest::addColumn<bool>("channels_last");
    QTest::addColumn<QString>("dtype");
    QTest::addColumn<double>("tolerance");
    QTest::newRow("r18 fold") << 18 << true << false << "fp32" << 1e-4;
    QTest::newRow("r50 fold") << 50 << true << false << "fp32" << 1e-4;
    QTest::newRow("r18 channels-last") << 18 << false << true << "fp32" << 1e-4;
    QTest::newRow("r50 fold + channels-last") << 50 << true << true << "fp32" << 1e-4;
    QTest::newRow("r18 bf16") << 18 << true << false << "bf16" << 3e-2;
    QTest::newRow("r50 bf16 channels-last") << 50 << true << true << "bf16" << 3e-2;
  }
  void equivalence() {
    QFETCH(int, depth);
    QFETCH(bool, fold);
    QFETCH(bool, channels_last);
    QFETCH(QString, dtype);
    QFETCH(double, tolerance);
    auto model = trained_like(depth, dtype == "bf16" ? 0.05 : 0.2);
    auto x = torch::randn({1, 3, 40, 56});
    torch::Tensor ref;
    {
      torch::NoGradGuard no_grad;
      ref = model->predict(x);
    }
    InferenceOptions io;
    io.fold_bn = fold;
    io.channels_last = channels_last;
    io.dtype = dtype.toStdString();
    prepare_for_inference(model, io, torch::kCPU);
    if (fold) {
      // Folded convs carry the BN: the backbone stem conv now has a bias.
      QVERIFY(model->backbone->conv1->bias.defined());
    }
    // On the CPU in bf16 the head's 3x3 bottleneck over layer4's 2048 channels (ResNet-50) runs as
    // two half-width convs (oneDNN's slow case); ResNet-18's 512 channels stay whole.
    QCOMPARE(model->decode_head->bottleneck->input_split(), depth == 50 && fold && dtype == "bf16" ? 2 : 0);
    auto y = infer_logits(model, x, io);
    QCOMPARE(y.scalar_type(), torch::kFloat);
    QCOMPARE(y.sizes(), ref.sizes());
    const double e = rel_err(y, ref);
    QVERIFY2(e < tolerance, QByteArray::number(e));
  }

  void conv_module_split() {
    torch::manual_seed(1);
    ConvModule m(64, 8, 3);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, m->split_input_channels(2));  // BN not folded yet
    {
      torch::NoGradGuard no_grad;
      m->bn->running_mean.normal_(0.0, 0.5);
      m->bn->running_var.uniform_(0.5, 2.0);
      m->bn->weight.normal_(1.0, 0.2);
      m->bn->bias.normal_(0.0, 0.2);
    }
    m->eval();
    const auto x = torch::randn({2, 64, 9, 7});
    torch::NoGradGuard no_grad;
    const auto ref = m(x);
    m->fold_bn();
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, m->split_input_channels(3));  // 64 % 3 != 0
    for (int parts : {2, 4}) {
      m->split_input_channels(parts);
      QCOMPARE(m->input_split(), parts);
      const auto y = m(x);
      QCOMPARE(y.sizes(), ref.sizes());
      QVERIFY2(rel_err(y, ref) < 1e-5, QByteArray::number(rel_err(y, ref)));
      QVERIFY(y.min().item<float>() >= 0.0f);  // the ReLU still applies
    }
    m->split_input_channels(1);
    QCOMPARE(m->input_split(), 0);
    QVERIFY(rel_err(m(x), ref) < 1e-5);
  }

  void conv_add_relu_on_cpu() {
    // The CPU (and any refusal by cuDNN) takes the plain ops: exactly relu(conv(x) [+ z]).
    torch::manual_seed(2);
    torch::nn::Conv2d c(torch::nn::Conv2dOptions(4, 6, 3).padding(1).dilation(1));
    const auto x = torch::randn({2, 4, 5, 5}), z = torch::randn({2, 6, 5, 5});
    torch::NoGradGuard no_grad;
    QVERIFY(torch::equal(conv_add_relu(c, x), torch::relu(c(x))));
    QVERIFY(torch::equal(conv_add_relu(c, x, z), torch::relu(c(x) + z)));
    const bool was = cuda_conv_fusion();
    set_cuda_conv_fusion(false);
    QVERIFY(!cuda_conv_fusion());
    QVERIFY(torch::equal(conv_add_relu(c, x, z), torch::relu(c(x) + z)));
    set_cuda_conv_fusion(was);
  }

  void bad_options() {
    AnnSegmentor model(tiny(18));
    InferenceOptions io;
    io.dtype = "int8";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prepare_for_inference(model, io, torch::kCPU));
    io.dtype = "fp16";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prepare_for_inference(model, io, torch::kCPU));
  }

  void devices() {
    QVERIFY(select_device("cpu").is_cpu());
    QCOMPARE(select_device("auto").is_cuda(), torch::cuda::is_available());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, select_device("gpu"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, select_device("cuda:x"));
    if (!torch::cuda::is_available()) {
      try {
        select_device("cuda");
        QFAIL("cuda accepted without CUDA");
      } catch (const std::invalid_argument& e) {
        QVERIFY2(std::string(e.what()).find("not available") != std::string::npos, e.what());
      }
    }
    configure_cpu_threads(1);
    QCOMPARE(at::get_num_threads(), 1);
  }

  // docs/model.md §8, torchvision stem, K = 2 (MACs in G, mmseg's way of running the shared projection).
  void stats_match_spec() {
    AnnSegmentor model(preset("ann-r50"));
    auto s = model_stats(model, 512, 512);
    QCOMPARE(s.feature_h, int64_t{64});
    QCOMPARE(s.params_total, int64_t{46196292});
    QCOMPARE(s.params_inference, int64_t{43835970});
    QCOMPARE(s.part("backbone").params, int64_t{23508032});
    QCOMPARE(s.part("afnb").params + s.part("bottleneck").params + s.part("apnb").params +
                 s.part("classifier").params,
             int64_t{20327938});
    QCOMPARE(s.part("aux").params, int64_t{2360322});
    auto near = [](double v, double g) { return std::abs(v / 1e9 - g) < 0.051; };
    QVERIFY2(near(s.part("backbone").macs, 99.7), QByteArray::number(s.part("backbone").macs));
    QVERIFY2(near(s.macs_inference_mmseg - s.part("backbone").macs, 84.2), QByteArray::number(s.macs_inference_mmseg));
    QVERIFY2(near(s.part("aux").macs, 9.7), QByteArray::number(s.part("aux").macs));
    QVERIFY2(near(s.macs_inference_mmseg, 183.9), QByteArray::number(s.macs_inference_mmseg));
    // The shared APNB projection (512 -> 256 at 64x64 = 0.54 G) runs once here.
    QVERIFY2(near(s.macs_inference_mmseg - s.macs_inference, 0.54), QByteArray::number(s.macs_inference));
    QVERIFY2(near(s.part("afnb").macs, 1.07 + 2.15 + 1.07 + 0.23 + 2.15 + 34.36), QByteArray::number(s.part("afnb").macs));
    auto wide = model_stats(model, 512, 1024);
    QVERIFY2(near(wide.macs_inference_mmseg, 367.8), QByteArray::number(wide.macs_inference_mmseg));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model_stats(model, 16, 512));
  }
};

QTEST_GUILESS_MAIN(TestInference)
#include "test_inference.moc"
