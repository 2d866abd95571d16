// The batched training augmentation (core/data/batch_augment.h) against the per-sample pipeline
// (augment_train): shapes, determinism, the Rng order, geometry and photometric equality on real
// Kvasir images, padding, cat_max_ratio, mixed sizes and bad inputs. CPU tensors; the code path is
// the same on CUDA.
#include <QtTest/QtTest>

#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/data/augment.h"
#include "core/data/batch_augment.h"
#include "core/data/dataset.h"
#include "core/data/sample_cache.h"

namespace fs = std::filesystem;
using namespace pl::core::data;

namespace {

std::string data_root() {
  if (const char* env = std::getenv("POLYPLENS_DATA"); env && *env) return env;
  return POLYPLENS_TEST_DATA;
}

// The first `count` images of Kvasir-SEG's official train list, shrunk to `long_side` as the
// trainer's sample cache does (their short sides differ, so the bank mixes sizes).
std::vector<Sample> kvasir(int count, int long_side) {
  const fs::path root = fs::path(data_root()) / "kvasir-seg";
  std::ifstream list(root / "train.txt");
  std::vector<Sample> out;
  std::string name;
  while (static_cast<int>(out.size()) < count && std::getline(list, name)) {
    if (name.empty()) continue;
    SamplePair pair{name, (root / "images" / (name + ".jpg")).string(), (root / "masks" / (name + ".jpg")).string()};
    out.push_back(load_sample(pair, long_side));
  }
  return out;
}

// A textured image (every channel different, values 0..250) with a rectangular polyp.
Sample synthetic(int64_t h, int64_t w, int64_t seed = 0) {
  Sample s;
  s.name = "synthetic" + std::to_string(seed);
  const auto y = torch::arange(h, torch::kLong).view({1, h, 1}), x = torch::arange(w, torch::kLong).view({1, 1, w});
  const auto c = torch::arange(3, torch::kLong).view({3, 1, 1});
  s.image = ((y * (7 + c) + x * (3 + 2 * c) + (y * x) % (11 + seed) + 40 * c + seed * 13) % 251)
                .to(torch::kUInt8)
                .contiguous();
  s.label = torch::zeros({h, w}, torch::kUInt8);
  s.label.slice(0, h / 4, h / 2 + 1).slice(1, w / 3, (2 * w) / 3 + 1).fill_(1);
  s.orig_h = static_cast<int>(h);
  s.orig_w = static_cast<int>(w);
  return s;
}

AugmentOptions options(int crop_h, int crop_w, int scale_long, int scale_short) {
  AugmentOptions o;
  o.crop_h = crop_h;
  o.crop_w = crop_w;
  o.scale_long = scale_long;
  o.scale_short = scale_short;
  return o;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

// Sample k of a batch is drawn from Rng(seed * 1000 + k), as make_batch seeds one Rng per sample.
uint64_t sample_seed(uint64_t seed, int64_t k) { return seed * 1000 + static_cast<uint64_t>(k); }

std::vector<AugmentDraw> draw_all(const SampleBank& bank, const std::vector<int64_t>& indices, const AugmentOptions& o,
                                  uint64_t seed) {
  std::vector<AugmentDraw> draws;
  for (size_t k = 0; k < indices.size(); ++k) {
    Rng rng(sample_seed(seed, static_cast<int64_t>(k)));
    draws.push_back(draw_augment(bank, indices[k], o, rng));
  }
  return draws;
}

// Normalised float image back to 0..255 grey levels.
at::Tensor grey_levels(const at::Tensor& normalised, const AugmentOptions& o) {
  const auto m = torch::tensor({o.mean[0], o.mean[1], o.mean[2]}).view({3, 1, 1});
  const auto s = torch::tensor({o.std[0], o.std[1], o.std[2]}).view({3, 1, 1});
  return (normalised * s + m).round();
}

struct Agreement {
  double image_within_1 = 0;   // share of pixels (x channels) within one grey level
  double image_equal = 0;      // share exactly equal
  double label_equal = 0;      // share of label pixels equal
  double worst = 0;            // largest grey-level difference
};

// augment_batch(draws) against augment_train with the same per-sample seeds.
Agreement compare_with_per_sample(const std::vector<Sample>& samples, const SampleBank& bank, const AugmentOptions& o,
                                  uint64_t seeds) {
  Agreement a;
  int64_t pixels = 0, labels = 0, within = 0, equal = 0, lab_equal = 0;
  const auto indices = iota(bank.size());
  for (uint64_t seed = 0; seed < seeds; ++seed) {
    const auto batch = augment_batch(bank, indices, draw_all(bank, indices, o, seed), o);
    for (int64_t k = 0; k < bank.size(); ++k) {
      Rng rng(sample_seed(seed, k));
      const auto& sample = samples[static_cast<size_t>(k)];
      const auto ref = augment_train(sample.image, sample.label, o, rng);
      const auto diff = (grey_levels(batch.images[k], o) - grey_levels(ref.image, o)).abs();
      pixels += diff.numel();
      within += diff.le(1).sum().item<int64_t>();
      equal += diff.eq(0).sum().item<int64_t>();
      a.worst = std::max(a.worst, diff.max().item<double>());
      labels += ref.label.numel();
      lab_equal += batch.labels[k].eq(ref.label).sum().item<int64_t>();
    }
  }
  a.image_within_1 = static_cast<double>(within) / static_cast<double>(pixels);
  a.image_equal = static_cast<double>(equal) / static_cast<double>(pixels);
  a.label_equal = static_cast<double>(lab_equal) / static_cast<double>(labels);
  return a;
}

QString describe(const Agreement& a) {
  return QString("within 1: %1, equal: %2, labels equal: %3, worst %4")
      .arg(a.image_within_1, 0, 'f', 6).arg(a.image_equal, 0, 'f', 6).arg(a.label_equal, 0, 'f', 6).arg(a.worst);
}

// Share of crops whose non-ignored labels hold both classes with neither at cat_max_ratio or more.
double balanced_share(const at::Tensor& labels, double cat_max_ratio) {
  int ok = 0;
  for (int64_t k = 0; k < labels.size(0); ++k) {
    const auto l = labels[k];
    const double polyp = l.eq(1).sum().item<double>(), valid = l.ne(255).sum().item<double>();
    const double share = valid > 0 ? std::max(polyp, valid - polyp) / valid : 1.0;
    if (polyp > 0 && polyp < valid && share < cat_max_ratio) ++ok;
  }
  return static_cast<double>(ok) / static_cast<double>(labels.size(0));
}

template <typename F>
QString invalid_argument_message(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return QString::fromStdString(e.what());
  } catch (const std::exception& e) {
    return QString("wrong exception type: ") + e.what();
  }
  return QString("no exception");
}

}  // namespace

class TestBatchAugment : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    kvasir_ = kvasir(6, 160);
    QCOMPARE(int(kvasir_.size()), 6);
    bool mixed = false;
    for (const auto& s : kvasir_) mixed |= s.image.sizes() != kvasir_[0].image.sizes();
    QVERIFY2(mixed, "the first Kvasir images should differ in size");
    kbank_ = SampleBank::build(kvasir_, torch::kCPU);
  }

  void bank_layout() {
    const auto samples = std::vector<Sample>{synthetic(30, 50), synthetic(44, 20, 1)};
    const auto bank = SampleBank::build(samples, torch::kCPU);
    QCOMPARE(bank.size(), int64_t(2));
    QCOMPARE(bank.images.sizes().vec(), (std::vector<int64_t>{2, 3, 44, 50}));
    QCOMPARE(bank.labels.sizes().vec(), (std::vector<int64_t>{2, 44, 50}));
    QCOMPARE(bank.images.scalar_type(), torch::kUInt8);
    QVERIFY(bank.images[0].slice(1, 30).eq(0).all().item<bool>());
    QVERIFY(bank.labels[1].slice(1, 20).eq(255).all().item<bool>());
    QVERIFY(torch::equal(bank.images[1].slice(1, 0, 44).slice(2, 0, 20), samples[1].image));
    QCOMPARE(bank.sizes[1], (std::array<int64_t, 2>{44, 20}));
    QCOMPARE(bank.polyp_integral[0].sizes().vec(), (std::vector<int64_t>{31, 51}));
    QCOMPARE(bank.polyp_integral[0][30][50].item<int64_t>(), samples[0].label.sum().item<int64_t>());
    QVERIFY(!bank.valid_integral[0].defined());  // no ignored pixels
    Sample with_ignore = synthetic(10, 12, 2);
    with_ignore.label[0][0] = 255;
    const auto b2 = SampleBank::build({with_ignore}, torch::kCPU);
    QVERIFY(b2.valid_integral[0].defined());
    QCOMPARE(b2.valid_integral[0][10][12].item<int64_t>(), int64_t(119));
  }

  void shapes_dtypes_and_values() {
    const auto samples = std::vector<Sample>{synthetic(60, 80), synthetic(45, 30, 1), synthetic(100, 70, 2)};
    const auto bank = SampleBank::build(samples, torch::kCPU);
    const auto o = options(32, 48, 80, 60);  // default ratio 0.5-2, cat_max 0.75, flip, photometric
    const std::vector<int64_t> indices{0, 1, 2, 2, 0};
    for (uint64_t seed = 0; seed < 10; ++seed) {
      const auto b = augment_batch(bank, indices, draw_all(bank, indices, o, seed), o);
      QCOMPARE(b.images.sizes().vec(), (std::vector<int64_t>{5, 3, 32, 48}));
      QCOMPARE(b.labels.sizes().vec(), (std::vector<int64_t>{5, 32, 48}));
      QCOMPARE(b.images.scalar_type(), torch::kFloat);
      QCOMPARE(b.labels.scalar_type(), torch::kLong);
      QVERIFY(b.images.is_contiguous() && b.labels.is_contiguous());
      QVERIFY(b.images.device().is_cpu());
      QVERIFY(torch::isfinite(b.images).all().item<bool>());
      const auto odd = b.labels.ne(0) & b.labels.ne(1) & b.labels.ne(255);
      QCOMPARE(odd.sum().item<int64_t>(), int64_t(0));
      // Normalised 0..255 values stay within (0 - mean) / std .. (255 - mean) / std.
      QVERIFY(b.images.abs().max().item<float>() < 2.7f);
    }
  }

  void deterministic_for_a_seed() {
    const auto o = options(64, 64, 256, 192);
    const auto indices = iota(kbank_.size());
    const auto d1 = draw_all(kbank_, indices, o, 7), d2 = draw_all(kbank_, indices, o, 7);
    const auto a = augment_batch(kbank_, indices, d1, o), b = augment_batch(kbank_, indices, d2, o);
    QVERIFY(torch::equal(a.images, b.images));
    QVERIFY(torch::equal(a.labels, b.labels));
    const auto c = augment_batch(kbank_, indices, draw_all(kbank_, indices, o, 8), o);
    QVERIFY(!torch::equal(a.images, c.images));
  }

  // draw_augment consumes the Rng exactly as augment_train does (same state afterwards), with and
  // without photometric; cat_max_ratio off so the crop draws do not depend on the label resolution.
  void draws_follow_augment_train_rng_order() {
    for (bool photometric : {true, false}) {
      auto o = options(64, 64, 256, 192);
      o.cat_max_ratio = 1.0;
      o.photometric = photometric;
      for (uint64_t seed = 0; seed < 20; ++seed) {
        const auto k = static_cast<size_t>(seed % kvasir_.size());
        Rng r1(seed), r2(seed);
        (void)draw_augment(kbank_, static_cast<int64_t>(k), o, r1);
        (void)augment_train(kvasir_[k].image, kvasir_[k].label, o, r2);
        QCOMPARE(r1(), r2());
      }
    }
  }

  // Photometric off: resize + crop + flip equal the per-sample path on the same boxes, with a fixed
  // ratio and with random ratios (down- and upsampling), on real Kvasir images; the large crop
  // makes the CPU work one sample at a time (its chunked path).
  void geometry_matches_per_sample() {
    for (int config = 0; config < 3; ++config) {
      const bool large = config == 2;
      auto o = large ? options(288, 288, 576, 432) : options(96, 96, 256, 192);
      o.photometric = false;
      o.cat_max_ratio = 1.0;
      if (config == 0) o.ratio_min = o.ratio_max = 1.3;
      const auto a = compare_with_per_sample(kvasir_, kbank_, o, large ? 2 : 6);
      QVERIFY2(a.image_within_1 == 1.0 && a.image_equal > 0.999, qPrintable(describe(a)));
      QVERIFY2(a.label_equal > 0.995, qPrintable(describe(a)));
    }
  }

  // The whole pipeline, photometric included (saturation and hue through 8-bit HSV): equal up to
  // the rare resized pixel that rounds the other way, which HSV can move by a few levels.
  void full_pipeline_matches_per_sample() {
    auto o = options(96, 96, 256, 192);
    o.cat_max_ratio = 1.0;
    const auto a = compare_with_per_sample(kvasir_, kbank_, o, 8);
    QVERIFY2(a.image_within_1 > 0.999 && a.image_equal > 0.995, qPrintable(describe(a)));
    QVERIFY2(a.label_equal > 0.995, qPrintable(describe(a)));
  }

  // With the geometry an exact identity (ratio 1, the crop = the image) the whole pipeline,
  // photometric included, equals augment_train bit for bit: brightness, contrast (before or after)
  // and OpenCV's 8-bit HSV for saturation and hue, on an image with every kind of colour.
  void photometric_exact_without_resize() {
    torch::manual_seed(0);
    Sample s = synthetic(48, 64, 10);
    s.image = torch::randint(0, 256, {3, 48, 64}, torch::kLong).to(torch::kUInt8);
    s.image.slice(1, 0, 8).copy_(s.image.slice(1, 0, 8).select(0, 0).unsqueeze(0).expand({3, 8, 64}));  // greys
    const auto bank = SampleBank::build({s}, torch::kCPU);
    auto o = options(48, 64, 64, 48);
    o.ratio_min = o.ratio_max = 1.0;
    o.cat_max_ratio = 1.0;
    int saturation = 0, hue = 0;
    for (uint64_t seed = 0; seed < 24; ++seed) {
      Rng r1(seed), r2(seed);
      const auto d = draw_augment(bank, 0, o, r1);
      saturation += d.saturation;
      hue += d.hue;
      const auto b = augment_batch(bank, {0}, {d}, o);
      const auto ref = augment_train(s.image, s.label, o, r2);
      QVERIFY2(torch::equal(b.images[0], ref.image), qPrintable(QString("seed %1").arg(seed)));
      QVERIFY(torch::equal(b.labels[0], ref.label));
    }
    QVERIFY(saturation > 4 && hue > 4);
  }

  // Without a resize the source-resolution class count is exact: cat_max_ratio makes the same
  // choices as augment_train, and the batch equals it exactly.
  void cat_max_ratio_exact_without_resize() {
    Sample s = synthetic(100, 100, 3);
    s.label.zero_();
    s.label.slice(0, 40, 60).slice(1, 40, 60).fill_(1);
    const auto bank = SampleBank::build({s}, torch::kCPU);
    auto o = options(16, 16, 100, 100);
    o.ratio_min = o.ratio_max = 1.0;
    const std::vector<int64_t> one{0};
    int redrawn = 0;
    for (uint64_t seed = 0; seed < 40; ++seed) {
      Rng r1(seed), r2(seed);
      const auto d = draw_augment(bank, 0, o, r1);
      redrawn += d.crop_draws > 1 ? 1 : 0;
      const auto b = augment_batch(bank, one, {d}, o);
      const auto ref = augment_train(s.image, s.label, o, r2);
      QVERIFY(torch::equal(b.labels[0], ref.label));
      QVERIFY(torch::equal(b.images[0], ref.image));
      QCOMPARE(r1(), r2());
    }
    QVERIFY(redrawn > 20);  // 6.6% of boxes pass, so most samples needed redraws
  }

  // On real masks the check steers crops to hold both classes below the ratio, about as often as
  // the per-sample path's check on the resized label does (same seeds; the source-resolution count
  // differs only at box boundaries).
  void cat_max_ratio_honoured_on_kvasir() {
    auto o = options(64, 64, 256, 192);
    o.photometric = false;
    const auto indices = iota(kbank_.size());
    const uint64_t seeds = 30;
    auto share = [&](double ratio) {
      o.cat_max_ratio = ratio;
      std::vector<at::Tensor> labels;
      for (uint64_t seed = 0; seed < seeds; ++seed)
        labels.push_back(augment_batch(kbank_, indices, draw_all(kbank_, indices, o, seed), o).labels);
      return balanced_share(torch::cat(labels), 0.75);
    };
    const double with = share(0.75), without = share(1.0);
    o.cat_max_ratio = 0.75;
    std::vector<at::Tensor> reference;
    for (uint64_t seed = 0; seed < seeds; ++seed)
      for (int64_t k = 0; k < kbank_.size(); ++k) {
        Rng rng(sample_seed(seed, k));
        const auto& s = kvasir_[static_cast<size_t>(k)];
        reference.push_back(augment_train(s.image, s.label, o, rng).label);
      }
    const double per_sample = balanced_share(torch::stack(reference), 0.75);
    const auto info = QString("balanced crops: %1 with the check, %2 without, %3 per-sample path")
                          .arg(with).arg(without).arg(per_sample);
    QVERIFY2(with > 0.7 && with > without + 0.4, qPrintable(info));
    QVERIFY2(std::abs(with - per_sample) < 0.08, qPrintable(info));
  }

  // A crop larger than the resized image: label 255 and image 0 below and right of it, the image
  // itself (flipped or not) inside; the small sample sits in a bank with a larger one, so its
  // padding in the bank is there to bleed in (it must not).
  void pads_outside_resized_image() {
    const auto small = synthetic(20, 30, 4);
    const auto bank = SampleBank::build({synthetic(50, 70, 5), small}, torch::kCPU);
    auto o = options(32, 48, 30, 20);
    o.ratio_min = o.ratio_max = 1.0;
    o.photometric = false;
    for (bool flip : {false, true}) {
      o.flip_prob = flip ? 1.0 : 0.0;
      Rng rng(1);
      const auto d = draw_augment(bank, 1, o, rng);
      QCOMPARE(d.resized_h, int64_t(20));
      QCOMPARE(d.resized_w, int64_t(30));
      QCOMPARE(d.flip, flip);
      const auto b = augment_batch(bank, {1}, {d}, o);
      const auto img = b.images[0], lab = b.labels[0];
      QVERIFY(lab.slice(0, 20).eq(255).all().item<bool>());
      QVERIFY(lab.slice(1, 30).eq(255).all().item<bool>());
      QVERIFY(img.slice(1, 20).eq(0).all().item<bool>());
      QVERIFY(img.slice(2, 30).eq(0).all().item<bool>());
      auto expect = normalize(small.image.to(torch::kFloat), o.mean, o.std);
      auto expect_lab = small.label.to(torch::kLong);
      if (flip) {
        expect = expect.flip({2});
        expect_lab = expect_lab.flip({1});
      }
      QVERIFY(torch::allclose(img.slice(1, 0, 20).slice(2, 0, 30), expect, 1e-5, 1e-5));
      QVERIFY(torch::equal(lab.slice(0, 0, 20).slice(1, 0, 30), expect_lab));
    }
  }

  // Samples of different sizes in one batch: each equals the same sample augmented alone, and a
  // constant small image stays constant at every ratio (the bank's zero padding never bleeds in).
  void different_sizes_in_one_batch() {
    Sample flat = synthetic(24, 36, 6);
    flat.image.fill_(200);
    const std::vector<Sample> samples{synthetic(90, 120, 7), flat, synthetic(70, 40, 8)};
    const auto bank = SampleBank::build(samples, torch::kCPU);
    auto o = options(40, 40, 120, 90);
    o.cat_max_ratio = 1.0;
    const std::vector<int64_t> indices{0, 1, 2, 1, 0, 2};
    for (uint64_t seed = 0; seed < 8; ++seed) {
      const auto draws = draw_all(bank, indices, o, seed);
      const auto batch = augment_batch(bank, indices, draws, o);
      for (size_t k = 0; k < indices.size(); ++k) {
        const auto alone = augment_batch(bank, {indices[k]}, {draws[k]}, o);
        QVERIFY(torch::equal(batch.images[static_cast<int64_t>(k)], alone.images[0]));
        QVERIFY(torch::equal(batch.labels[static_cast<int64_t>(k)], alone.labels[0]));
      }
    }
    o.photometric = false;
    for (uint64_t seed = 0; seed < 8; ++seed) {
      const auto batch = augment_batch(bank, indices, draw_all(bank, indices, o, seed), o);
      for (int64_t k : {1, 3}) {
        const auto inside = batch.labels[k].ne(255);
        const auto grey = grey_levels(batch.images[k], o);
        QVERIFY(inside.any().item<bool>());
        QVERIFY(grey.masked_select(inside.unsqueeze(0).expand({3, 40, 40})).eq(200).all().item<bool>());
      }
    }
  }

  // Brightness alone shifts every pixel by floor(delta) (no clamping at these levels), contrast
  // alone scales it; the draws' flags come out about half the time and in range.
  void photometric_statistics() {
    auto base = synthetic(64, 64, 9);
    base.image = (base.image.to(torch::kLong) * 160 / 250 + 40).to(torch::kUInt8);  // 40..200
    const auto bank = SampleBank::build({base}, torch::kCPU);
    auto o = options(64, 64, 64, 64);
    o.ratio_min = o.ratio_max = 1.0;
    o.cat_max_ratio = 1.0;
    int n_brightness = 0, n_contrast = 0, n_first = 0, n_saturation = 0, n_hue = 0;
    double mean_delta = 0;
    const int n = 200;
    std::vector<AugmentDraw> shifted, plain;
    for (int s = 0; s < n; ++s) {
      Rng rng(static_cast<uint64_t>(s));
      auto d = draw_augment(bank, 0, o, rng);
      n_brightness += d.brightness;
      n_contrast += d.contrast;
      n_first += d.contrast_first;
      n_saturation += d.saturation;
      n_hue += d.hue;
      QVERIFY(d.brightness_delta >= -32 && d.brightness_delta < 32);
      QVERIFY(d.hue_delta >= -18 && d.hue_delta < 18);
      QVERIFY(!d.contrast || (d.contrast_alpha >= 0.5 && d.contrast_alpha < 1.5));
      QVERIFY(!d.saturation || (d.saturation_alpha >= 0.5 && d.saturation_alpha < 1.5));
      if (d.brightness) mean_delta += d.brightness_delta;
      if (s < 16 && d.brightness) {
        d.contrast = d.saturation = d.hue = false;
        shifted.push_back(d);
        d.brightness = false;
        plain.push_back(d);
      }
    }
    for (int count : {n_brightness, n_contrast, n_first, n_saturation, n_hue})
      QVERIFY2(count > n / 2 - 30 && count < n / 2 + 30, qPrintable(QString::number(count)));
    QVERIFY(std::abs(mean_delta / n_brightness) < 6);
    QVERIFY(!shifted.empty());
    const std::vector<int64_t> indices(shifted.size(), 0);
    const auto a = grey_levels(augment_batch(bank, indices, shifted, o).images, o);
    const auto p = grey_levels(augment_batch(bank, indices, plain, o).images, o);
    for (size_t k = 0; k < shifted.size(); ++k) {
      const auto diff = a[static_cast<int64_t>(k)] - p[static_cast<int64_t>(k)];
      const double delta = shifted[k].brightness_delta;
      QCOMPARE(diff.mean().item<double>(), std::floor(delta));
      QVERIFY(diff.eq(std::floor(delta)).all().item<bool>());
    }
    // Contrast alone: floor(x * alpha), per sample.
    AugmentDraw c = plain[0], c2 = plain[0];
    c.contrast = true;
    c.contrast_alpha = 1.2;
    c2.contrast = true;
    c2.contrast_alpha = 0.7;
    c2.contrast_first = !c.contrast_first;
    const auto pc = grey_levels(augment_batch(bank, {0, 0}, {c, c2}, o).images, o);
    QVERIFY(torch::equal(pc[0], (p[0] * 1.2f).clamp(0, 255).floor()));
    QVERIFY(torch::equal(pc[1], (p[0] * 0.7f).clamp(0, 255).floor()));
  }

  void bad_inputs_named() {
    const auto o = options(16, 16, 40, 30);
    const auto bank = SampleBank::build({synthetic(30, 40), synthetic(20, 20, 1)}, torch::kCPU);
    const auto draws = draw_all(bank, {0, 1}, o, 0);
    QString m = invalid_argument_message([&] { augment_batch(bank, {}, {}, o); });
    QVERIFY2(m.contains("empty") && m.contains("0 indices"), qPrintable(m));
    m = invalid_argument_message([&] { augment_batch(bank, {0, 7}, draws, o); });
    QVERIFY2(m.contains("7") && m.contains("out of range"), qPrintable(m));
    m = invalid_argument_message([&] { augment_batch(bank, {0, -1}, draws, o); });
    QVERIFY2(m.contains("-1"), qPrintable(m));
    m = invalid_argument_message([&] { augment_batch(bank, {0, 1, 1}, draws, o); });
    QVERIFY2(m.contains("2 draws") && m.contains("3 indices"), qPrintable(m));
    m = invalid_argument_message([&] { augment_batch(bank, {1, 0}, draws, o); });  // swapped: wrong sizes
    QVERIFY2(m.contains("draw 0"), qPrintable(m));
    auto wide = draws;
    wide[1].x1 = wide[1].x0 + 17;
    m = invalid_argument_message([&] { augment_batch(bank, {0, 1}, wide, o); });
    QVERIFY2(m.contains("crop box"), qPrintable(m));
    Rng rng(0);
    m = invalid_argument_message([&] { draw_augment(bank, 2, o, rng); });
    QVERIFY2(m.contains("2") && m.contains("out of range"), qPrintable(m));
    auto other = o;
    other.ignore_index = 254;
    m = invalid_argument_message([&] { draw_augment(bank, 0, other, rng); });
    QVERIFY2(m.contains("254"), qPrintable(m));
    auto broken = o;
    broken.crop_h = 0;
    m = invalid_argument_message([&] { augment_batch(bank, {0, 1}, draws, broken); });
    QVERIFY2(m.contains("crop"), qPrintable(m));
    m = invalid_argument_message([&] { SampleBank::build({}, torch::kCPU); });
    QVERIFY2(m.contains("no samples"), qPrintable(m));
    Sample odd = synthetic(10, 10);
    odd.label[3][3] = 7;
    m = invalid_argument_message([&] { SampleBank::build({odd}, torch::kCPU); });
    QVERIFY2(m.contains("label value 7"), qPrintable(m));
    Sample mismatched = synthetic(10, 10);
    mismatched.label = torch::zeros({10, 9}, torch::kUInt8);
    m = invalid_argument_message([&] { SampleBank::build({mismatched}, torch::kCPU); });
    QVERIFY2(m.contains("10x10"), qPrintable(m));
  }

 private:
  std::vector<Sample> kvasir_;
  SampleBank kbank_;
};

QTEST_GUILESS_MAIN(TestBatchAugment)
#include "test_batch_augment.moc"
