// The mmseg training pipeline on tensors: shapes, label values, padding, determinism, cat_max_ratio,
// and the photometric colour maths.
#include <QtTest/QtTest>

#include <torch/torch.h>

#include "core/data/augment.h"

using namespace pl::core::data;

namespace {

// A 60x80 image with a gradient and a 20x20 polyp square.
std::pair<at::Tensor, at::Tensor> synthetic(int64_t h = 60, int64_t w = 80) {
  auto img = torch::arange(3 * h * w, torch::kLong).remainder(251).to(torch::kUInt8).view({3, h, w});
  auto lab = torch::zeros({h, w}, torch::kUInt8);
  lab.slice(0, 10, 30).slice(1, 20, 40).fill_(1);
  return {img, lab};
}

AugmentOptions small(int ch = 32, int cw = 48) {
  AugmentOptions o;
  o.crop_h = ch;
  o.crop_w = cw;
  o.scale_long = 80;
  o.scale_short = 60;
  return o;
}

}  // namespace

class TestAugment : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void shapes_and_label_values() {
    auto [img, lab] = synthetic();
    const auto o = small();
    for (uint64_t seed = 0; seed < 20; ++seed) {
      Rng rng(seed);
      const auto a = augment_train(img, lab, o, rng);
      QCOMPARE(a.image.sizes().vec(), (std::vector<int64_t>{3, 32, 48}));
      QCOMPARE(a.label.sizes().vec(), (std::vector<int64_t>{32, 48}));
      QCOMPARE(a.image.scalar_type(), torch::kFloat);
      QCOMPARE(a.label.scalar_type(), torch::kLong);
      const auto bad = (a.label != 0) & (a.label != 1) & (a.label != 255);
      QVERIFY(bad.sum().item<int64_t>() == 0);
    }
  }

  // An image smaller than the crop: padded bottom/right with image 0 and label 255.
  void pads_bottom_right() {
    auto [img, lab] = synthetic(20, 30);
    AugmentOptions o = small(32, 48);
    o.scale_long = 30;
    o.scale_short = 20;
    o.ratio_min = o.ratio_max = 1.0;
    o.flip_prob = 0;
    o.photometric = false;
    Rng rng(1);
    const auto a = augment_train(img, lab, o, rng);
    QVERIFY(a.label.slice(0, 20).eq(255).all().item<bool>());
    QVERIFY(a.label.slice(1, 30).eq(255).all().item<bool>());
    QVERIFY(a.label.slice(0, 0, 20).slice(1, 0, 30).ne(255).all().item<bool>());
    QVERIFY(a.image.slice(1, 20).eq(0).all().item<bool>());
    QVERIFY(a.image.slice(2, 30).eq(0).all().item<bool>());
    // Unpadded content is the normalised image itself (ratio 1, no flip, no photometric).
    const auto expect = normalize(img.to(torch::kFloat), o.mean, o.std);
    QVERIFY(torch::allclose(a.image.slice(1, 0, 20).slice(2, 0, 30), expect, 1e-5, 1e-5));
    QVERIFY(torch::equal(a.label.slice(0, 0, 20).slice(1, 0, 30), lab.to(torch::kLong)));
  }

  void deterministic_for_a_seed() {
    auto [img, lab] = synthetic();
    const auto o = small();
    Rng r1(42), r2(42), r3(43);
    const auto a = augment_train(img, lab, o, r1);
    const auto b = augment_train(img, lab, o, r2);
    const auto c = augment_train(img, lab, o, r3);
    QVERIFY(torch::equal(a.image, b.image));
    QVERIFY(torch::equal(a.label, b.label));
    QVERIFY(!torch::equal(a.image, c.image) || !torch::equal(a.label, c.label));
  }

  // cat_max_ratio 0.75 steers crops to contain both classes with neither above 75%: 6.6% of all
  // 16x16 crops of this label qualify, so ~13 of 200 without the check and ~106 with 11 draws.
  void cat_max_ratio_biases_crops() {
    auto lab = torch::zeros({100, 100}, torch::kUInt8);
    lab.slice(0, 40, 60).slice(1, 40, 60).fill_(1);
    auto balanced_crops = [&](double ratio) {
      int ok = 0;
      for (uint64_t s = 0; s < 200; ++s) {
        Rng rng(s);
        const auto box = random_crop_box(lab, 16, 16, ratio, 10, 255, rng);
        if (box[2] - box[0] != 16 || box[3] - box[1] != 16) return -1;
        const auto crop = lab.slice(0, box[0], box[2]).slice(1, box[1], box[3]);
        const double fg = crop.sum().item<double>() / 256.0;
        if (fg > 0 && fg < 0.75 && 1 - fg < 0.75) ++ok;
      }
      return ok;
    };
    const int ok_with = balanced_crops(0.75), ok_without = balanced_crops(1.0);
    QVERIFY2(ok_with > 80, qPrintable(QString::number(ok_with)));
    QVERIFY2(ok_without < 30, qPrintable(QString::number(ok_without)));
  }

  void rescale_size_matches_mmcv() {
    // A 576x720 Kvasir image into (2048, 1024): factor min(2048/720, 1024/576) = 1.777...
    const auto s = rescale_size(576, 720, 2048, 1024);
    QCOMPARE(s[0], int64_t(1024));
    QCOMPARE(s[1], int64_t(1280));
  }

  // Hue shifts of 0 and saturation x1 round-trip through 8-bit HSV with at most rounding error;
  // a grey image has no hue or saturation to change.
  void photometric_colour_maths() {
    AugmentOptions o;
    o.brightness_delta = 0;
    o.contrast_lower = o.contrast_upper = 1.0;
    o.saturation_lower = o.saturation_upper = 1.0;
    o.hue_delta = 0;
    auto img = torch::randint(0, 256, {3, 16, 16}, torch::kLong).to(torch::kFloat);
    auto copy = img.clone();
    Rng rng(3);
    for (int i = 0; i < 8; ++i) photometric_distortion(copy, o, rng);
    QVERIFY((copy - img).abs().max().item<float>() <= 8.0f);  // 8-bit HSV quantisation, repeated
    AugmentOptions strong;
    auto grey = torch::full({3, 8, 8}, 128.0f);
    for (uint64_t s = 0; s < 10; ++s) {
      auto g = grey.clone();
      Rng r(s);
      photometric_distortion(g, strong, r);
      QVERIFY(torch::equal(g[0], g[1]) && torch::equal(g[1], g[2]));  // still grey
      QVERIFY(g.min().item<float>() >= 0 && g.max().item<float>() <= 255);
    }
  }

  void bad_options_named() {
    AugmentOptions o;
    o.crop_h = 0;
    try {
      o.validate();
      QFAIL("accepted");
    } catch (const std::invalid_argument& e) {
      QVERIFY(std::string(e.what()).find("crop") != std::string::npos);
    }
    o = AugmentOptions{};
    o.cat_max_ratio = 1.5;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, o.validate());
  }
};

QTEST_GUILESS_MAIN(TestAugment)
#include "test_augment.moc"
