// Unit tests of the ANN segmenter: shapes, parameter counts, names, init, options, losses.
// Tiny configurations only (milliseconds); ann-r50 is constructed but never run.
#include <QtTest/QtTest>

#include <torch/torch.h>

#include <cmath>
#include <set>

#include "model/heads/attention.h"
#include "model/losses.h"
#include "model/presets.h"
#include "model/segmentor.h"

using namespace pl::model;

namespace {

SegmentorOptions tiny(int depth = 18, int os = 8) {
  SegmentorOptions o;
  o.preset = "tiny";
  o.depth = depth;
  o.output_stride = os;
  o.channels = 16;
  o.project_channels = 8;
  o.aux_channels = 8;
  o.input_h = o.input_w = 64;
  return o;
}

int64_t count_params(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

std::set<std::string> state_names(torch::nn::Module& m) {
  std::set<std::string> names;
  for (const auto& p : m.named_parameters()) names.insert(p.key());
  for (const auto& b : m.named_buffers()) names.insert(b.key());
  return names;
}

// Spatial size after the stem and the strided stages: each stride-2 layer maps L -> (L - 1) / 2 + 1.
int64_t feature_size(int64_t len, int os) {
  const int halvings = os == 8 ? 3 : 4;
  for (int i = 0; i < halvings; ++i) len = (len - 1) / 2 + 1;
  return len;
}

}  // namespace

class TestSegmentor : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    torch::manual_seed(0);
    // One thread: these shapes are tiny, and two OpenMP threads on a loaded 2-core CI box spin at
    // their barriers and run 10-30x slower.
    at::set_num_threads(1);
  }

  void shapes_data() {
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("os");
    QTest::addColumn<int>("h");
    QTest::addColumn<int>("w");
    QTest::newRow("r18 os8 square") << 18 << 8 << 64 << 64;
    QTest::newRow("r18 os8 non-square") << 18 << 8 << 48 << 80;
    QTest::newRow("r18 os8 odd size") << 18 << 8 << 50 << 67;
    QTest::newRow("r18 os16") << 18 << 16 << 64 << 96;
    QTest::newRow("r50 os8") << 50 << 8 << 32 << 48;
  }
  void shapes() {
    QFETCH(int, depth);
    QFETCH(int, os);
    QFETCH(int, h);
    QFETCH(int, w);
    AnnSegmentor model(tiny(depth, os));
    auto x = torch::randn({2, 3, h, w});
    model->train();
    auto out = model->forward(x);
    const std::vector<int64_t> expected{2, 2, feature_size(h, os), feature_size(w, os)};
    QCOMPARE(out.decode.sizes().vec(), expected);
    QVERIFY(out.aux.defined());
    QCOMPARE(out.aux.sizes().vec(), expected);
    model->eval();
    torch::NoGradGuard no_grad;
    auto logits = model->predict(x);
    QCOMPARE(logits.sizes().vec(), (std::vector<int64_t>{2, 2, h, w}));
    QVERIFY(torch::isfinite(logits).all().item<bool>());
  }

  void backbone_features() {
    ResNet r18(ResNetOptions{18, 8});
    auto f = r18->forward_features(torch::randn({1, 3, 64, 64}));
    QCOMPARE(int(f.size()), 4);
    QCOMPARE(f[0].sizes().vec(), (std::vector<int64_t>{1, 64, 16, 16}));
    QCOMPARE(f[1].sizes().vec(), (std::vector<int64_t>{1, 128, 8, 8}));
    QCOMPARE(f[2].sizes().vec(), (std::vector<int64_t>{1, 256, 8, 8}));
    QCOMPARE(f[3].sizes().vec(), (std::vector<int64_t>{1, 512, 8, 8}));
  }

  void no_aux() {
    auto o = tiny();
    o.with_aux = false;
    AnnSegmentor model(o);
    auto out = model->forward(torch::randn({1, 3, 64, 64}));
    QVERIFY(!out.aux.defined());
    for (const auto& n : state_names(*model)) QVERIFY2(n.rfind("auxiliary_head", 0) != 0, n.c_str());
    auto loss = segmentation_loss(out, torch::zeros({1, 64, 64}, torch::kLong));
    QVERIFY(!loss.aux.defined());
    QCOMPARE(loss.total.item<double>(), loss.decode.item<double>());
  }

  // docs/model.md §8: torchvision-stem ANN-R50, K = 2.
  void parameter_counts() {
    AnnSegmentor with_aux(preset("ann-r50"));
    QCOMPARE(count_params(*with_aux), int64_t{46196292});
    QCOMPARE(count_params(*with_aux->backbone), int64_t{23508032});
    QCOMPARE(count_params(*with_aux->decode_head), int64_t{20327938});
    QCOMPARE(count_params(*with_aux->auxiliary_head), int64_t{2360322});
    auto o = preset("ann-r50");
    o.with_aux = false;
    AnnSegmentor without(o);
    QCOMPARE(count_params(*without), int64_t{43835970});
  }

  void dilations() {
    ResNet os8(ResNetOptions{50, 8});
    auto conv2 = [](torch::nn::Sequential& layer, size_t i) { return layer[i]->as<BottleneckImpl>()->conv2->options; };
    QCOMPARE(conv2(os8->layer2, 0).stride()->at(0), int64_t{2});
    QCOMPARE(conv2(os8->layer3, 0).stride()->at(0), int64_t{1});
    QCOMPARE(conv2(os8->layer3, 0).dilation()->at(0), int64_t{1});
    QCOMPARE(conv2(os8->layer3, 1).dilation()->at(0), int64_t{2});
    QCOMPARE(conv2(os8->layer4, 0).dilation()->at(0), int64_t{2});
    QCOMPARE(conv2(os8->layer4, 2).dilation()->at(0), int64_t{4});
    ResNet os16(ResNetOptions{50, 16});
    QCOMPARE(conv2(os16->layer3, 0).stride()->at(0), int64_t{2});
    QCOMPARE(conv2(os16->layer4, 0).dilation()->at(0), int64_t{1});
    QCOMPARE(conv2(os16->layer4, 1).dilation()->at(0), int64_t{2});
  }

  void state_dict_names() {
    AnnSegmentor model(tiny(50));
    const auto names = state_names(*model);
    for (const char* n : {"backbone.conv1.weight", "backbone.bn1.running_var", "backbone.layer1.0.conv1.weight",
                          "backbone.layer1.0.downsample.0.weight", "backbone.layer3.5.bn3.num_batches_tracked",
                          "backbone.layer4.0.downsample.1.weight",
                          "decode_head.fusion.stages.0.key_project.conv.weight",
                          "decode_head.fusion.stages.0.query_project.bn.running_mean",
                          "decode_head.fusion.stages.0.value_project.bias",
                          "decode_head.fusion.stages.0.out_project.weight", "decode_head.fusion.bottleneck.conv.weight",
                          "decode_head.bottleneck.bn.weight", "decode_head.context.stages.0.key_project.conv.weight",
                          "decode_head.context.bottleneck.conv.weight", "decode_head.conv_seg.bias",
                          "auxiliary_head.convs.0.conv.weight", "auxiliary_head.convs.0.bn.bias",
                          "auxiliary_head.conv_seg.weight"})
      QVERIFY2(names.count(n), n);
    // The shared APNB projection appears once.
    QVERIFY(!names.count("decode_head.context.stages.0.query_project.conv.weight"));
    QVERIFY(!names.count("backbone.fc.weight"));
  }

  void zero_init() {
    AnnSegmentor model(tiny(50));
    for (auto* block : {model->decode_head->fusion->stages[0]->as<SelfAttentionBlockImpl>(),
                        model->decode_head->context->stages[0]->as<SelfAttentionBlockImpl>()}) {
      QCOMPARE(block->out_project->weight.abs().max().item<float>(), 0.0f);
      QCOMPARE(block->out_project->bias.abs().max().item<float>(), 0.0f);
    }
    for (auto& m : model->backbone->modules(false))
      if (auto* b = m->as<BottleneckImpl>()) QCOMPARE(b->bn3->weight.abs().max().item<float>(), 0.0f);
    const double std = model->decode_head->conv_seg->weight.std().item<double>();
    QVERIFY2(std > 0.003 && std < 0.03, QByteArray::number(std));
    // With the out-projection at zero, AFNB ignores its low-level (key/value) input at init.
    model->eval();
    torch::NoGradGuard no_grad;
    auto high = torch::randn({1, 2048, 6, 5});
    auto a = model->decode_head->fusion(torch::randn({1, 1024, 6, 5}), high);
    auto b = model->decode_head->fusion(torch::randn({1, 1024, 6, 5}), high);
    QVERIFY(torch::equal(a, b));
  }

  void pyramid_pooling() {
    PPMConcat ppm(std::vector<int64_t>{1, 3, 6, 8});
    QCOMPARE(ppm->num_points(), int64_t{110});
    auto x = torch::randn({2, 4, 5, 11});
    auto y = ppm(x);
    QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{2, 4, 110}));
    QVERIFY(torch::allclose(y.select(2, 0), x.mean({2, 3}), 1e-5, 1e-6));
    // Scale 3, bin (row 0, col 1): rows [0, 2), cols [floor(11/3), ceil(22/3)) = [3, 8).
    QVERIFY(torch::allclose(y.select(2, 2), x.slice(2, 0, 2).slice(3, 3, 8).mean({2, 3}), 1e-5, 1e-6));
  }

  // A spatially constant key/value map pools to identical points, so every query receives that
  // value whatever its similarities are (the softmax runs over the pooled points).
  void attention_constant_keys() {
    SelfAttentionOptions o;
    o.key_in_channels = 6;
    o.query_in_channels = 10;
    o.channels = 4;
    o.out_channels = 3;
    SelfAttentionBlock block(o);
    block->eval();
    torch::NoGradGuard no_grad;
    block->out_project->weight.normal_();
    block->out_project->bias.normal_();
    auto key = torch::randn({1, 6, 1, 1}).expand({1, 6, 7, 9}).contiguous();
    auto out = block(torch::randn({1, 10, 5, 3}), key);
    QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{1, 3, 5, 3}));
    auto expected = block->out_project(block->value_project(key.slice(2, 0, 1).slice(3, 0, 1)));
    QVERIFY(torch::allclose(out, expected.expand_as(out), 1e-4, 1e-5));
  }

  void options_validation_data() {
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("message");
    QTest::newRow("depth") << "depth" << "depth = 42";
    QTest::newRow("output_stride") << "output_stride" << "output_stride = 4";
    QTest::newRow("num_classes") << "num_classes" << "num_classes = 1";
    QTest::newRow("channels") << "channels" << "channels = 0";
    QTest::newRow("project_channels") << "project_channels" << "project_channels = -3";
    QTest::newRow("scales empty") << "key_pool_scales" << "key_pool_scales";
    QTest::newRow("scale zero") << "key_pool_scale_zero" << "key_pool_scales = 0";
    QTest::newRow("dropout") << "dropout" << "dropout = 1.5";
    QTest::newRow("aux_channels") << "aux_channels" << "aux_channels = 0";
    QTest::newRow("input_h") << "input_h" << "input_h = 8";
    QTest::newRow("std") << "std" << "std[1] = 0";
  }
  void options_validation() {
    QFETCH(QString, field);
    QFETCH(QString, message);
    auto o = tiny();
    const std::string f = field.toStdString();
    if (f == "depth") o.depth = 42;
    if (f == "output_stride") o.output_stride = 4;
    if (f == "num_classes") o.num_classes = 1;
    if (f == "channels") o.channels = 0;
    if (f == "project_channels") o.project_channels = -3;
    if (f == "key_pool_scales") o.key_pool_scales.clear();
    if (f == "key_pool_scale_zero") o.key_pool_scales = {1, 0};
    if (f == "dropout") o.dropout = 1.5;
    if (f == "aux_channels") o.aux_channels = 0;
    if (f == "input_h") o.input_h = 8;
    if (f == "std") o.std[1] = 0.0f;
    try {
      AnnSegmentor model(o);
      QFAIL("constructor accepted bad options");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(std::string(e.what()).find(message.toStdString()) != std::string::npos, e.what());
    }
  }

  void presets() {
    const auto names = preset_names();
    QVERIFY(names.size() >= 2);
    QCOMPARE(names.front(), std::string("ann-r50"));
    for (const auto& n : names) {
      auto o = preset(n);
      QCOMPARE(o.preset, n);
      o.validate();
      QVERIFY(!preset_description(n).empty());
    }
    try {
      preset("ann-r49");
      QFAIL("unknown preset accepted");
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      QVERIFY2(msg.find("ann-r49") != std::string::npos && msg.find("ann-r50") != std::string::npos, e.what());
    }
  }

  void bad_input() {
    AnnSegmentor model(tiny());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model->forward(torch::randn({1, 1, 32, 32})));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model->predict(torch::randn({3, 32, 32})));
  }

  // Constant logits (0 for background, 1 for polyp) survive the bilinear resize, so every pixel's CE
  // is known: label 0 -> log(1 + e), label 1 -> log(1 + e) - 1, label 255 -> 0 but still counted.
  void loss_hand_made() {
    auto decode = torch::stack({torch::zeros({2, 2}), torch::ones({2, 2})}).unsqueeze(0);
    auto aux = torch::stack({torch::ones({2, 2}), torch::zeros({2, 2})}).unsqueeze(0);
    auto labels = torch::tensor({0, 0, 1, 255, 1, 1, 0, 255, 0, 255, 0, 0, 1, 0, 255, 0}, torch::kLong).reshape({1, 4, 4});
    const double n0 = 8, n1 = 4, total_px = 16;
    const double l = std::log1p(std::exp(1.0));
    const double ce_decode = (n0 * l + n1 * (l - 1.0)) / total_px;
    const double ce_aux = (n0 * (l - 1.0) + n1 * l) / total_px;
    auto loss = segmentation_loss({decode, aux}, labels);
    QVERIFY(std::abs(loss.decode.item<double>() - ce_decode) < 1e-6);
    QVERIFY(std::abs(loss.aux.item<double>() - ce_aux) < 1e-6);
    QVERIFY(std::abs(loss.total.item<double>() - (ce_decode + 0.4 * ce_aux)) < 1e-6);
    // Torch's own mean divides by the 12 valid pixels instead of 16.
    QVERIFY(std::abs(loss.decode.item<double>() * 16.0 / 12.0 -
                     torch::nn::functional::cross_entropy(
                         decode.expand({1, 2, 2, 2}).repeat_interleave(2, 2).repeat_interleave(2, 3), labels,
                         torch::nn::functional::CrossEntropyFuncOptions().ignore_index(255))
                         .item<double>()) < 1e-5);

    // Soft Dice on the polyp class: p = sigmoid(1) everywhere valid.
    const double p = 1.0 / (1.0 + std::exp(-1.0));
    const double dice = 1.0 - (2.0 * p * n1 + 1.0) / (p * (n0 + n1) + n1 + 1.0);
    auto with_dice = segmentation_loss({decode, aux}, labels, 0.4, 0.5);
    QVERIFY(std::abs(with_dice.decode.item<double>() - (ce_decode + 0.5 * dice)) < 1e-5);
  }

  void loss_gradients_flow() {
    AnnSegmentor model(tiny());
    model->train();
    auto out = model->forward(torch::randn({2, 3, 64, 64}));
    auto labels = torch::randint(0, 2, {2, 64, 64}, torch::kLong);
    labels.index_put_({0, 0}, 255);
    auto loss = segmentation_loss(out, labels, 0.4, 1.0);
    loss.total.backward();
    QVERIFY(std::isfinite(loss.total.item<double>()));
    QVERIFY(model->decode_head->conv_seg->weight.grad().abs().sum().item<double>() > 0);
    QVERIFY(model->auxiliary_head->conv_seg->weight.grad().abs().sum().item<double>() > 0);
    QVERIFY(model->backbone->conv1->weight.grad().abs().sum().item<double>() > 0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, segmentation_loss(out, labels.to(torch::kInt)));
  }
};

QTEST_GUILESS_MAIN(TestSegmentor)
#include "test_segmentor.moc"
