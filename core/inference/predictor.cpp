#include "core/inference/predictor.h"

#include <chrono>
#include <stdexcept>

#include <torch/torch.h>

#include "core/data/letterbox.h"
#include "model/checkpoint.h"
#include "model/device.h"
#include "model/inference.h"
#include "model/segmentor.h"

namespace pl::core::inference {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// uint8 3xHxW RGB on `device` from a borrowed image (gray is repeated, alpha dropped, BGR swapped).
at::Tensor to_rgb_chw(const ImageView& v, const torch::Device& device) {
  if (!v.data || v.height <= 0 || v.width <= 0) throw std::invalid_argument("predict: empty frame");
  if (v.channels != 1 && v.channels != 3 && v.channels != 4)
    throw std::invalid_argument("predict: unsupported channel count " + std::to_string(v.channels));
  const int64_t row = v.row_bytes > 0 ? static_cast<int64_t>(v.row_bytes) : int64_t{v.width} * v.channels;
  if (row < int64_t{v.width} * v.channels)
    throw std::invalid_argument("predict: row stride " + std::to_string(row) + " is shorter than a row");
  // from_blob never writes; the const_cast only satisfies its signature.
  auto hwc = torch::from_blob(const_cast<uint8_t*>(v.data), {v.height, v.width, v.channels}, {row, v.channels, 1},
                              torch::kUInt8);
  auto chw = hwc.to(device).permute({2, 0, 1});
  if (v.channels == 1) return chw.expand({3, v.height, v.width}).contiguous();
  chw = chw.slice(0, 0, 3);
  if (v.order == ImageView::Order::BGR) chw = chw.flip({0});
  return chw.contiguous();
}

}  // namespace

void PredictorOptions::validate() const {
  if (device != "auto" && device != "cpu" && device != "cuda")
    throw std::invalid_argument("predictor: unknown device '" + device + "' (valid: auto, cpu, cuda)");
  if (input_h < 0 || input_w < 0 || (input_h == 0) != (input_w == 0))
    throw std::invalid_argument("predictor: input size must be HxW with both positive or both 0, got " +
                                std::to_string(input_h) + "x" + std::to_string(input_w));
  if (threads < 0) throw std::invalid_argument("predictor: threads must be >= 0, got " + std::to_string(threads));
  if (dtype != "auto" && dtype != "fp32" && dtype != "bf16" && dtype != "fp16")
    throw std::invalid_argument("predictor: unknown dtype '" + dtype + "' (valid: auto, fp32, bf16, fp16)");
}

struct Predictor::Impl {
  pl::model::AnnSegmentor model{nullptr};
  torch::Device device{torch::kCPU};
  pl::model::InferenceOptions infer;
  PredictorInfo info;

  // x: the padded, normalised input. Returns float logits cropped to the content on the device:
  // 1 x h x w differences for two classes, else K x h x w.
  at::Tensor run(const at::Tensor& x, const data::Letterbox& box);

  // owned: the model came from a file and may be folded/cast for speed; a shared model (e.g. one
  // being trained) is only moved and switched to eval mode per call.
  void init(const PredictorOptions& o, bool owned) {
    o.validate();
    if (o.threads > 0) pl::model::configure_cpu_threads(o.threads);
    device = pl::model::select_device(o.device);
    if (owned) {
      infer = pl::model::default_inference_options(device);
      infer.fold_bn = infer.fold_bn && o.fold_bn;
      if (o.dtype != "auto") {
        infer.dtype = o.dtype;
        if (o.dtype == "fp32") infer.channels_last = false;  // measured: NHWC only pays with bf16/fp16
      }
      infer.validate();
      pl::model::prepare_for_inference(model, infer, device);
    } else {
      infer.fold_bn = false;
      infer.channels_last = false;
      infer.dtype = "fp32";
      model->to(device);
      model->eval();
    }
    const auto& mo = model->options();
    info.preset = mo.preset;
    info.num_classes = mo.num_classes;
    info.input_h = o.input_h > 0 ? o.input_h : mo.input_h;
    info.input_w = o.input_w > 0 ? o.input_w : mo.input_w;
    info.device = pl::model::describe_device(device);
    info.dtype = infer.dtype;
  }
};

Predictor::Predictor(const std::string& checkpoint_path, const PredictorOptions& options)
    : impl_(std::make_unique<Impl>()) {
  const auto ck = pl::model::read_checkpoint(checkpoint_path);
  impl_->model = pl::model::model_from_checkpoint(ck);
  impl_->info.checkpoint = checkpoint_path;
  impl_->info.content_hash = ck.content_hash;
  impl_->init(options, /*owned=*/true);
}

Predictor::Predictor(std::shared_ptr<pl::model::AnnSegmentorImpl> model, const PredictorOptions& options)
    : impl_(std::make_unique<Impl>()) {
  if (!model) throw std::invalid_argument("predictor: null model");
  impl_->model = pl::model::AnnSegmentor(std::move(model));
  impl_->init(options, /*owned=*/false);
}

Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;

const PredictorInfo& Predictor::info() const { return impl_->info; }

void Predictor::content_size(int frame_h, int frame_w, int& content_h, int& content_w) const {
  const auto box = data::make_letterbox(frame_h, frame_w, impl_->info.input_h, impl_->info.input_w);
  content_h = static_cast<int>(box.content_h);
  content_w = static_cast<int>(box.content_w);
}

at::Tensor Predictor::Impl::run(const at::Tensor& x, const data::Letterbox& box) {
  torch::InferenceMode guard;
  if (model->is_training()) model->eval();
  auto logits = pl::model::infer_logits(model, x, infer);
  logits = logits.slice(2, 0, box.content_h).slice(3, 0, box.content_w).to(torch::kFloat);
  if (model->options().num_classes == 2) return (logits[0][1] - logits[0][0]).unsqueeze(0);
  return logits[0];
}

ContentLogits Predictor::infer(const ImageView& content, int frame_h, int frame_w) {
  Impl& m = *impl_;
  const auto t0 = Clock::now();
  const auto box = data::make_letterbox(frame_h, frame_w, m.info.input_h, m.info.input_w);
  if (content.height != box.content_h || content.width != box.content_w)
    throw std::invalid_argument("predictor: a " + std::to_string(frame_w) + "x" + std::to_string(frame_h) +
                                " frame must be resized to " + std::to_string(box.content_w) + "x" +
                                std::to_string(box.content_h) + ", got " + std::to_string(content.width) + "x" +
                                std::to_string(content.height));
  // letterbox_input sees an image already at content size, so it only normalises and pads.
  data::Letterbox inner = box;
  inner.src_h = box.content_h;
  inner.src_w = box.content_w;
  const auto& mo = m.model->options();
  const auto x = data::letterbox_input(to_rgb_chw(content, m.device), inner, mo.mean, mo.std);
  ContentLogits out;
  out.timings.preprocess_ms = ms_since(t0);
  const auto t1 = Clock::now();
  const auto small = m.run(x, box).contiguous().cpu();
  out.timings.infer_ms = ms_since(t1);
  out.classes = mo.num_classes;
  out.height = static_cast<int>(box.content_h);
  out.width = static_cast<int>(box.content_w);
  out.values.assign(small.data_ptr<float>(), small.data_ptr<float>() + small.numel());
  return out;
}

Prediction Predictor::predict(const ImageView& frame, bool with_prob) {
  Impl& m = *impl_;
  Prediction out;
  const auto t0 = Clock::now();
  const auto rgb = to_rgb_chw(frame, m.device);
  const auto box = data::make_letterbox(frame.height, frame.width, m.info.input_h, m.info.input_w);
  const auto& mo = m.model->options();
  const auto x = data::letterbox_input(rgb, box, mo.mean, mo.std);
  out.timings.preprocess_ms = ms_since(t0);

  const auto t1 = Clock::now();
  const auto small = m.run(x, box);  // 1 x h x w differences, or K x h x w logits; on the device
  out.timings.infer_ms = ms_since(t1);

  const auto t2 = Clock::now();
  // The logits are already cropped: resize from content size to the frame.
  data::Letterbox g;
  g.src_h = box.src_h;
  g.src_w = box.src_w;
  g.in_h = g.content_h = box.content_h;
  g.in_w = g.content_w = box.content_w;
  const auto full = data::logits_to_source(small.unsqueeze(0), g)[0];
  at::Tensor cls, prob;
  if (mo.num_classes == 2) {
    cls = full[0].gt(0).to(torch::kUInt8);
    if (with_prob) prob = torch::sigmoid(full[0]);
  } else {
    cls = full.argmax(0).to(torch::kUInt8);
    if (with_prob) prob = 1.0 - torch::softmax(full, 0)[0];
  }
  cls = cls.contiguous().cpu();
  out.height = frame.height;
  out.width = frame.width;
  out.mask.assign(cls.data_ptr<uint8_t>(), cls.data_ptr<uint8_t>() + cls.numel());
  if (with_prob) {
    prob = prob.to(torch::kFloat).contiguous().cpu();
    out.prob.assign(prob.data_ptr<float>(), prob.data_ptr<float>() + prob.numel());
  }
  out.timings.postprocess_ms = ms_since(t2);
  return out;
}

}  // namespace pl::core::inference
