#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>
#include <sstream>

#include <torch/nn/functional/upsampling.h>

#include "model/losses.h"
#include "model/presets.h"
#include "model/weights.h"
#include "tests/gpu/checks.h"
#include "tests/gpu/kvasir_pack.h"

namespace pl::gpu {
namespace {

namespace F = torch::nn::functional;

torch::Tensor resize(const torch::Tensor& x, int64_t h, int64_t w, bool nearest) {
  auto o = F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w});
  if (nearest) o.mode(torch::kNearest);
  else o.mode(torch::kBilinear).align_corners(false);
  return F::interpolate(x, o);
}

// One augmented batch on the device: random scale 1.0-1.5 of the crop, random crop, horizontal
// flip, ImageNet normalisation (spec §2.3's shape, simplified: this is a speed and sanity check).
std::pair<torch::Tensor, torch::Tensor> make_batch(const std::vector<Sample>& pool, int batch, int size,
                                                   const pl::model::SegmentorOptions& o, const torch::Device& dev,
                                                   std::mt19937& rng) {
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  std::uniform_real_distribution<double> scale(1.0, 1.5), unit(0.0, 1.0);
  const auto mean = torch::tensor({o.mean[0], o.mean[1], o.mean[2]}, dev).view({1, 3, 1, 1});
  const auto std = torch::tensor({o.std[0], o.std[1], o.std[2]}, dev).view({1, 3, 1, 1});
  std::vector<torch::Tensor> xs, ys;
  for (int b = 0; b < batch; ++b) {
    const auto& s = pool[pick(rng)];
    const int big = int(std::lround(size * scale(rng)));
    auto img = resize(s.image.to(dev).unsqueeze(0).to(torch::kFloat), big, big, false);
    auto lab = resize(s.label.to(dev).view({1, 1, s.label.size(0), s.label.size(1)}).to(torch::kFloat), big, big, true);
    const int64_t y0 = std::uniform_int_distribution<int>(0, big - size)(rng);
    const int64_t x0 = std::uniform_int_distribution<int>(0, big - size)(rng);
    img = img.slice(2, y0, y0 + size).slice(3, x0, x0 + size);
    lab = lab.slice(2, y0, y0 + size).slice(3, x0, x0 + size);
    if (unit(rng) < 0.5) {
      img = img.flip({3});
      lab = lab.flip({3});
    }
    xs.push_back(img);
    ys.push_back(lab);
  }
  auto x = (torch::cat(xs) - mean) / std;
  auto y = torch::cat(ys).squeeze(1).to(torch::kLong);
  return {x, y};
}

struct DiceCounts {
  double tp = 0, fp = 0, fn = 0, per_image_sum = 0;
  int images = 0;
};

DiceCounts evaluate(pl::model::AnnSegmentor& model, const std::vector<Sample>& val, int size,
                    const pl::model::SegmentorOptions& o, const torch::Device& dev, bool autocast) {
  DiceCounts c;
  model->eval();
  torch::InferenceMode guard;
  const auto mean = torch::tensor({o.mean[0], o.mean[1], o.mean[2]}, dev).view({1, 3, 1, 1});
  const auto std = torch::tensor({o.std[0], o.std[1], o.std[2]}, dev).view({1, 3, 1, 1});
  for (const auto& s : val) {
    auto x = (resize(s.image.to(dev).unsqueeze(0).to(torch::kFloat), size, size, false) - mean) / std;
    torch::Tensor pred;
    {
      Autocast ac(autocast, dev.type(), torch::kBFloat16);
      pred = model->predict(x).argmax(1)[0];
    }
    // Score at the stored label size (predictions resized back, nearest), like evaluation at the
    // image's own resolution.
    pred = resize(pred.view({1, 1, size, size}).to(torch::kFloat), s.label.size(0), s.label.size(1), true)[0][0].to(torch::kLong);
    const auto gt = s.label.to(dev);
    const double tp = (pred.eq(1) & gt.eq(1)).sum().item<double>();
    const double fp = (pred.eq(1) & gt.eq(0)).sum().item<double>();
    const double fn = (pred.eq(0) & gt.eq(1)).sum().item<double>();
    c.tp += tp;
    c.fp += fp;
    c.fn += fn;
    c.per_image_sum += (tp + fp + fn) > 0 ? 2 * tp / (2 * tp + fp + fn) : 1.0;
    ++c.images;
  }
  model->train();
  return c;
}

}  // namespace

Json check_train(const CheckContext& ctx, const TrainArgs& a) {
  auto opts = pl::model::preset(ctx.preset);
  opts.input_h = opts.input_w = ctx.size;
  const auto& dev = ctx.device;
  const bool cuda = dev.is_cuda();
  const bool autocast = cuda;  // the Trainer's amp=auto: bf16 autocast on CUDA, fp32 on the CPU

  KvasirPack pack = load_kvasir_pack(a.data_dir, ctx.smoke ? 16 : 0, ctx.smoke ? 4 : 0);
  if (!pack.real()) {
    const std::string why = pack.source;
    pack = synthetic_pack(ctx.smoke ? 16 : 256, ctx.smoke ? 4 : 32, std::max(ctx.size, 64), 5);
    pack.source = why;
  }
  std::cout << "\n== Training: " << ctx.preset << " " << ctx.size << "x" << ctx.size << " crops, batch " << a.batch
            << ", SGD lr 0.01 momentum 0.9 wd 5e-4 poly 0.9, CE + 0.4 aux CE, " << (autocast ? "bf16 autocast" : "fp32")
            << "\n   data: " << pack.source << " (" << pack.train.size() << " train, " << pack.val.size() << " val)\n";

  torch::manual_seed(0);
  pl::model::AnnSegmentor model(opts);
  std::string weights = "none (random init)";
  if (!a.weights.empty()) {
    try {
      weights = pl::model::load_torchvision_backbone(model, a.weights).summary();
    } catch (const std::exception& e) {
      weights = std::string("not loaded: ") + e.what();
    }
  }
  std::cout << "   backbone weights: " << weights << "\n";
  model->to(dev);
  if (cuda) {  // channels-last: cuDNN's fast layout for bf16 convolutions
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  }
  model->train();
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-4));
  std::mt19937 rng(0);
  if (cuda)  // keep the decoded pack on the GPU: batches are cut there, no CPU bottleneck
    for (auto& s : pack.train) {
      s.image = s.image.to(dev);
      s.label = s.label.to(dev);
    }

  const int warm = ctx.smoke ? 1 : 5;
  const int max_iters = ctx.smoke ? 3 : a.max_iters;
  std::vector<double> curve_iter, curve_loss, curve_lr, curve_t;
  auto loss_sum = torch::zeros({}, torch::TensorOptions().device(dev));
  int in_sum = 0, iters = 0;
  double t_start = 0, t_first = now_ms();
  std::string failure;
  for (int it = 0; it < max_iters; ++it) {
    const double lr = (0.01 - 1e-4) * std::pow(1.0 - double(it) / max_iters, 0.9) + 1e-4;
    for (auto& g : sgd.param_groups()) static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr);
    auto [x, y] = make_batch(pack.train, a.batch, ctx.size, opts, dev, rng);
    if (cuda) x = x.contiguous(at::MemoryFormat::ChannelsLast);
    sgd.zero_grad();
    torch::Tensor loss;
    {
      Autocast ac(autocast, dev.type(), torch::kBFloat16);
      loss = pl::model::segmentation_loss(model->forward(x), y, 0.4).total;
    }
    loss.backward();
    sgd.step();
    loss_sum += loss.detach().to(torch::kFloat);
    ++in_sum;
    ++iters;
    if (it + 1 == warm) {
      sync(dev);
      t_start = now_ms();
    }
    const bool last = it + 1 == max_iters || (now_ms() - t_first) > a.max_seconds * 1000.0;
    if ((it + 1) % a.log_every == 0 || last || ctx.smoke) {
      const double mean = loss_sum.item<double>() / in_sum;  // also waits for the device
      if (!std::isfinite(mean)) {
        failure = "loss became " + std::to_string(mean) + " at iteration " + std::to_string(it + 1);
        break;
      }
      curve_iter.push_back(it + 1);
      curve_loss.push_back(mean);
      curve_lr.push_back(lr);
      curve_t.push_back((now_ms() - t_first) / 1000.0);
      std::printf("   iter %4d  loss %.4f  lr %.5f  %.1f s\n", it + 1, mean, lr, curve_t.back());
      loss_sum.zero_();
      in_sum = 0;
    }
    if (last) break;
  }
  sync(dev);
  const double seconds = t_start > 0 ? (now_ms() - t_start) / 1000.0 : 0;
  const int timed = iters - warm;
  const double ips = seconds > 0 && timed > 0 ? timed * a.batch / seconds : 0;

  std::ostringstream csv;
  csv << "iteration,loss,lr,seconds\n";
  for (size_t i = 0; i < curve_iter.size(); ++i)
    csv << curve_iter[i] << "," << curve_loss[i] << "," << curve_lr[i] << "," << curve_t[i] << "\n";
  if (!ctx.out_dir.empty()) write_file(ctx.out_dir + "/loss_curve.csv", csv.str());

  Json j;
  j.set("preset", ctx.preset)
      .set("crop", ctx.size)
      .set("batch", a.batch)
      .set("amp", autocast ? "bf16" : "off")
      .set("data", pack.source)
      .set("train_images", int(pack.train.size()))
      .set("backbone_weights", weights)
      .set("iterations", iters)
      .set("images_per_s", ips)
      .set("timed_seconds", seconds)
      .set("loss_iteration", curve_iter)
      .set("loss", curve_loss)
      .set("lr", curve_lr);
  std::printf("   %d iterations, %.1f images/s (after %d warm-up iterations)\n", iters, ips, warm);
  if (!failure.empty()) {
    j.set("error", failure);
    throw std::runtime_error(failure + "\n" + j.str());
  }
  if (!pack.val.empty()) {
    const auto c = evaluate(model, pack.val, ctx.size, opts, dev, autocast);
    const double dice = (c.tp + c.fp + c.fn) > 0 ? 2 * c.tp / (2 * c.tp + c.fp + c.fn) : 0;
    j.set("val_images", c.images).set("val_pooled_dice", dice).set("val_mean_dice", c.per_image_sum / c.images);
    std::printf("   val: pooled polyp Dice %.4f, mean per-image Dice %.4f over %d images\n", dice,
                c.per_image_sum / c.images, c.images);
  }
  return j;
}

}  // namespace pl::gpu
