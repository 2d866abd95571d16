#include "core/inference/predictor.h"

#include <chrono>
#include <stdexcept>

#include <opencv2/imgproc.hpp>
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

cv::Mat to_bgr(const cv::Mat& frame) {
  if (frame.empty()) throw std::invalid_argument("predict: empty frame");
  if (frame.depth() != CV_8U)
    throw std::invalid_argument("predict: frame must be 8-bit, got depth " + std::to_string(frame.depth()));
  cv::Mat bgr;
  switch (frame.channels()) {
    case 3: return frame;
    case 1: cv::cvtColor(frame, bgr, cv::COLOR_GRAY2BGR); return bgr;
    case 4: cv::cvtColor(frame, bgr, cv::COLOR_BGRA2BGR); return bgr;
    default: throw std::invalid_argument("predict: unsupported channel count " + std::to_string(frame.channels()));
  }
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

Prediction Predictor::predict(const cv::Mat& frame, bool with_prob) {
  Impl& m = *impl_;
  Prediction out;
  const auto t0 = Clock::now();
  const cv::Mat bgr = to_bgr(frame);
  const auto box = data::make_letterbox(bgr.rows, bgr.cols, m.info.input_h, m.info.input_w);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  if (box.content_h != box.src_h || box.content_w != box.src_w) {
    const bool shrink = box.content_h < box.src_h;
    cv::resize(rgb, rgb, cv::Size(static_cast<int>(box.content_w), static_cast<int>(box.content_h)), 0, 0,
               shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  const auto& mo = m.model->options();
  // letterbox_input sees an image already at content size, so it only normalises and pads.
  data::Letterbox inner = box;
  inner.src_h = box.content_h;
  inner.src_w = box.content_w;
  const auto hwc = torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8);
  const auto x = data::letterbox_input(hwc.permute({2, 0, 1}).to(m.device), inner, mo.mean, mo.std);
  out.timings.preprocess_ms = ms_since(t0);

  const auto t1 = Clock::now();
  torch::Tensor small;  // logits (or their difference) at content size, CPU float
  {
    torch::InferenceMode guard;
    if (m.model->is_training()) m.model->eval();
    auto logits = pl::model::infer_logits(m.model, x, m.infer);
    logits = logits.slice(2, 0, box.content_h).slice(3, 0, box.content_w);
    if (mo.num_classes == 2) small = (logits[0][1] - logits[0][0]).contiguous().cpu();
    else small = logits[0].contiguous().cpu();
  }
  out.timings.infer_ms = ms_since(t1);

  const auto t2 = Clock::now();
  const cv::Size frame_size(bgr.cols, bgr.rows);
  if (mo.num_classes == 2) {
    cv::Mat diff(static_cast<int>(small.size(0)), static_cast<int>(small.size(1)), CV_32F, small.data_ptr<float>());
    cv::Mat full;
    if (diff.size() == frame_size) full = diff.clone();
    else cv::resize(diff, full, frame_size, 0, 0, cv::INTER_LINEAR);
    out.mask = (full > 0.0f) / 255;  // comparisons give 0/255; class ids are 0/1
    if (with_prob) {
      cv::exp(-full, out.prob);
      out.prob = 1.0f / (1.0f + out.prob);
    }
  } else {
    // The logits are already cropped: resize from content size to the frame.
    data::Letterbox g;
    g.src_h = box.src_h;
    g.src_w = box.src_w;
    g.in_h = box.content_h;
    g.in_w = box.content_w;
    g.content_h = box.content_h;
    g.content_w = box.content_w;
    const auto full = data::logits_to_source(small.unsqueeze(0), g)[0];
    const auto cls = full.argmax(0).to(torch::kUInt8).contiguous();
    out.mask = cv::Mat(frame_size, CV_8U, cls.data_ptr<uint8_t>()).clone();
    if (with_prob) {
      const auto p = (1.0 - torch::softmax(full, 0)[0]).contiguous();
      out.prob = cv::Mat(frame_size, CV_32F, p.data_ptr<float>()).clone();
    }
  }
  out.timings.postprocess_ms = ms_since(t2);
  return out;
}

}  // namespace pl::core::inference
