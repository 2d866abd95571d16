#include "tests/gpu/gpu_common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <torch/cuda.h>
#include <torch/version.h>

#include "model/presets.h"
#include "tests/gpu/checks.h"

namespace pl::gpu {

std::string json_quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += c;
        }
    }
  }
  return o + "\"";
}

namespace {
std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
std::string indent_all(const std::string& s, int n) {
  std::string pad(size_t(n), ' '), o;
  for (char c : s) {
    o += c;
    if (c == '\n') o += pad;
  }
  return o;
}
}  // namespace

Json& Json::set(const std::string& k, double v) { fields_.emplace_back(k, num(v)); return *this; }
Json& Json::set(const std::string& k, int64_t v) { fields_.emplace_back(k, std::to_string(v)); return *this; }
Json& Json::set(const std::string& k, bool v) { fields_.emplace_back(k, v ? "true" : "false"); return *this; }
Json& Json::set(const std::string& k, const std::string& v) { fields_.emplace_back(k, json_quote(v)); return *this; }
Json& Json::set(const std::string& k, const Json& v) { fields_.emplace_back(k, v.str(0)); return *this; }
Json& Json::set(const std::string& k, const std::vector<Json>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ",\n  " : "\n  ") + indent_all(v[i].str(0), 2);
  fields_.emplace_back(k, s + (v.empty() ? "]" : "\n]"));
  return *this;
}
Json& Json::set(const std::string& k, const std::vector<double>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + num(v[i]);
  fields_.emplace_back(k, s + "]");
  return *this;
}
Json& Json::set(const std::string& k, const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_quote(v[i]);
  fields_.emplace_back(k, s + "]");
  return *this;
}

std::string Json::str(int) const {
  if (fields_.empty()) return "{}";
  std::string s = "{";
  for (size_t i = 0; i < fields_.size(); ++i)
    s += (i ? ",\n  " : "\n  ") + json_quote(fields_[i].first) + ": " + indent_all(fields_[i].second, 2);
  return s + "\n}";
}

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

Timing time_calls(const std::function<void()>& fn, int warmup, int runs) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const double t0 = now_ms();
    fn();
    ms.push_back(now_ms() - t0);
  }
  std::sort(ms.begin(), ms.end());
  Timing t;
  t.runs = int(ms.size());
  if (ms.empty()) return t;
  const size_t n = ms.size();
  t.median_ms = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  t.p90_ms = ms[std::max<size_t>(1, size_t(std::ceil(0.9 * double(n)))) - 1];
  t.min_ms = ms.front();
  return t;
}

bool cuda_available() { return torch::cuda::is_available(); }

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize(d.index());
}

std::string torch_version() { return TORCH_VERSION; }

pl::model::AnnSegmentor make_test_model(const pl::model::SegmentorOptions& opts, uint64_t seed) {
  torch::manual_seed(seed);
  pl::model::AnnSegmentor model(opts);
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) {
    auto& t = p.value();
    // Scale the noise to the tensor so no layer blows up the activations.
    const double scale = t.numel() > 1 ? std::max(t.std().item<double>(), 0.02) : 0.02;
    t.add_(torch::randn_like(t) * (0.1 * scale));
  }
  for (auto& b : model->named_buffers()) {
    auto& t = b.value();
    if (b.key().find("running_var") != std::string::npos) t.uniform_(0.5, 1.5);
    else if (b.key().find("running_mean") != std::string::npos) t.normal_(0.0, 0.1);
  }
  model->eval();
  return model;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) {
    std::cerr << "gpu_check: cannot write " << path << "\n";
    return false;
  }
  return true;
}

pl::model::SegmentorOptions inference_preset(const CheckContext& ctx) {
  auto opts = pl::model::preset(ctx.preset);
  opts.input_h = opts.input_w = ctx.size;
  opts.with_aux = false;
  return opts;
}

}  // namespace pl::gpu
