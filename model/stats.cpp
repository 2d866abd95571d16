#include "model/stats.h"

#include <cstdio>
#include <stdexcept>

namespace pl::model {
namespace {

int64_t count(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// Every conv here pads "same" (padding = dilation * (k - 1) / 2), so out = (in - 1) / stride + 1.
struct Walker {
  int64_t h, w;
  double macs = 0;
  void conv(const torch::nn::Conv2d& c) {
    const auto& o = c->options;
    const int64_t oh = (h - 1) / o.stride()->at(0) + 1, ow = (w - 1) / o.stride()->at(1) + 1;
    macs += static_cast<double>(oh * ow) * o.kernel_size()->at(0) * o.kernel_size()->at(1) *
            (o.in_channels() / o.groups()) * o.out_channels();
    h = oh;
    w = ow;
  }
};

double backbone_macs(ResNetImpl& r, int64_t& h, int64_t& w) {
  Walker wk{h, w};
  wk.conv(r.conv1);
  wk.h = (wk.h - 1) / 2 + 1;  // maxpool 3x3/2, pad 1
  wk.w = (wk.w - 1) / 2 + 1;
  for (auto* layer : {&r.layer1, &r.layer2, &r.layer3, &r.layer4}) {
    for (const auto& m : (*layer)->children()) {
      const int64_t in_h = wk.h, in_w = wk.w;
      if (auto* b = m->as<BottleneckImpl>()) {
        wk.conv(b->conv1);
        wk.conv(b->conv2);
        wk.conv(b->conv3);
        if (b->downsample) {
          Walker ds{in_h, in_w};
          ds.conv(torch::nn::Conv2d(std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(b->downsample->ptr(0))));
          wk.macs += ds.macs;
        }
      } else if (auto* b = m->as<BasicBlockImpl>()) {
        wk.conv(b->conv1);
        wk.conv(b->conv2);
        if (b->downsample) {
          Walker ds{in_h, in_w};
          ds.conv(torch::nn::Conv2d(std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(b->downsample->ptr(0))));
          wk.macs += ds.macs;
        }
      }
    }
  }
  h = wk.h;
  w = wk.w;
  return wk.macs;
}

}  // namespace

const PartStats& ModelStats::part(const std::string& name) const {
  for (const auto& p : parts)
    if (p.name == name) return p;
  throw std::out_of_range("ModelStats: no part '" + name + "'");
}

ModelStats model_stats(AnnSegmentor& model, int64_t input_h, int64_t input_w) {
  if (input_h < 32 || input_w < 32)
    throw std::invalid_argument("model_stats: input size " + std::to_string(input_h) + "x" + std::to_string(input_w) +
                                " is below 32 px");
  const auto& o = model->options();
  ModelStats s;
  s.input_h = input_h;
  s.input_w = input_w;
  int64_t fh = input_h, fw = input_w;
  const double backbone = backbone_macs(*model->backbone, fh, fw);
  s.feature_h = fh;
  s.feature_w = fw;

  const double hw = static_cast<double>(fh * fw);
  const double low = static_cast<double>(model->backbone->stage_channels(3));
  const double high = static_cast<double>(model->backbone->stage_channels(4));
  const double cp = o.project_channels, c = o.channels, k = o.num_classes;
  double points = 0;
  for (auto sc : o.key_pool_scales) points += static_cast<double>(sc * sc);
  const double attention = 2.0 * hw * points * cp;  // sim = Q K and context = sim V

  const double afnb = hw * (low * cp + high * cp + low * cp + cp * high + 2 * high * high) + attention;
  const double bottleneck = hw * 9 * high * c;
  const double apnb_projection = hw * c * cp;
  const double apnb = apnb_projection + hw * (c * cp + cp * c + 2 * c * c) + attention;  // proj, value, out, tail
  const double classifier = hw * c * k;
  const double aux = model->auxiliary_head ? hw * (9 * low * o.aux_channels + o.aux_channels * k) : 0.0;

  auto& head = *model->decode_head;
  s.parts = {{"backbone", count(*model->backbone), backbone},
             {"afnb", count(*head.fusion), afnb},
             {"bottleneck", count(*head.bottleneck), bottleneck},
             {"apnb", count(*head.context), apnb},
             {"classifier", count(*head.conv_seg), classifier}};
  if (model->auxiliary_head) s.parts.push_back({"aux", count(*model->auxiliary_head), aux});
  s.params_total = count(*model);
  s.params_inference = s.params_total - (model->auxiliary_head ? count(*model->auxiliary_head) : 0);
  s.macs_inference = backbone + afnb + bottleneck + apnb + classifier;
  s.macs_inference_mmseg = s.macs_inference + apnb_projection;
  s.macs_training = s.macs_inference + aux;
  return s;
}

std::string format_count(double v) {
  char buf[32];
  if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.1f G", v / 1e9);
  else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1f k", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

}  // namespace pl::model
