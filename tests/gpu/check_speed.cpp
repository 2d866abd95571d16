#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include <torch/nn/functional/upsampling.h>

#include "model/autocast.h"
#include "model/fold_bn.h"
#include "model/inference.h"
#include "tests/gpu/checks.h"

#if POLYPLENS_GPU_HAVE_CUDA && POLYPLENS_GPU_EXTRAS
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#define PL_CUDA_GRAPHS 1
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/autograd/profiler_kineto.h>
#define PL_KINETO 1
#endif
#else
#define PL_CUDA_GRAPHS 0
#endif
#ifndef PL_KINETO
#define PL_KINETO 0
#endif

namespace pl::gpu {
namespace {

#if PL_CUDA_GRAPHS
// One forward captured as a CUDA graph: replay() re-runs every kernel with no launch overhead, on
// the same input and output memory (copy new frames into `input`).
struct GraphedForward {
  at::cuda::CUDAGraph graph;
  torch::Tensor input, output;

  GraphedForward(pl::model::AnnSegmentor& m, const torch::Tensor& x, const pl::model::InferenceOptions& o) {
    input = x.clone();
    auto stream = c10::cuda::getStreamFromPool();
    {
      c10::cuda::CUDAStreamGuard guard(stream);
      // Warm-up on the capture stream: cuDNN autotuning and allocations must happen before capture.
      for (int i = 0; i < 3; ++i) output = pl::model::infer_logits(m, input, o);
      stream.synchronize();
      graph.capture_begin();
      output = pl::model::infer_logits(m, input, o);
      graph.capture_end();
    }
    sync(x.device());
  }
  void run() {
    graph.replay();
    sync(input.device());
  }
};
#endif

struct ForwardTimes {
  Timing eager;
  bool graphed = false;  // `graph` holds the CUDA-graph replay times
  Timing graph;
  std::string graph_error;
};

// infer_logits() timed eagerly (under bf16 autocast if asked) and, on CUDA without autocast, replayed
// as a CUDA graph.
ForwardTimes time_forward(pl::model::AnnSegmentor& m, const torch::Tensor& x, const pl::model::InferenceOptions& io,
                          bool autocast, int warmup, int runs) {
  const auto dev = x.device();
  ForwardTimes t;
  t.eager = time_calls(
      [&] {
        pl::model::AutocastScope ac(autocast, dev.is_cuda());
        pl::model::infer_logits(m, x, io);
        sync(dev);
      },
      warmup, runs);
#if PL_CUDA_GRAPHS
  if (dev.is_cuda() && !autocast) {
    try {
      GraphedForward g(m, x, io);
      t.graph = time_calls([&] { g.run(); }, warmup, runs);
      t.graphed = true;
    } catch (const std::exception& e) {
      t.graph_error = e.what();
    }
  }
#endif
  return t;
}

}  // namespace

Json check_speed(const CheckContext& ctx, int batch_large) {
  const auto opts = inference_preset(ctx);
  const bool cuda = ctx.device.is_cuda();
  const int warmup = ctx.smoke ? 1 : 5, runs = ctx.smoke ? 3 : 30;
  struct Row {
    std::string dtype;
    bool fold;
  };
  std::vector<Row> rows{{"fp32", false}, {"fp32", true}, {"bf16", true}};
  if (cuda) rows.insert(rows.begin() + 2, Row{"fp16", true});

  std::cout << "\n== Forward speed: " << ctx.preset << " " << ctx.size << "x" << ctx.size << " on "
            << (cuda ? "CUDA" : "CPU") << ", median of " << runs << " after " << warmup << " warm-up"
#if POLYPLENS_GPU_EXTRAS
            << (cuda ? (at::globalContext().allowTF32CuDNN() ? ", TF32 convs on" : ", TF32 convs off") : "")
#endif
            << "\n";
  std::vector<Json> out;
  for (const auto& r : rows)
    for (int batch : {1, batch_large}) {
      pl::model::InferenceOptions io;
      io.dtype = r.dtype;
      io.fold_bn = r.fold;
      io.channels_last = r.fold;  // the optimised rows: folding + channels-last; the baseline: neither
      const std::string label = r.dtype + (r.fold ? " fold_bn+channels_last" : " eager NCHW");
      Json j;
      j.set("dtype", r.dtype).set("options", label).set("batch", batch);
      try {
        auto m = make_test_model(opts, 3);
        pl::model::prepare_for_inference(m, io, ctx.device);
        const auto x = torch::randn({batch, 3, ctx.size, ctx.size}, torch::TensorOptions().device(ctx.device));
        const auto ft = time_forward(m, x, io, false, warmup, runs);
        const auto& t = ft.eager;
        const double ips = 1000.0 * batch / t.median_ms;
        j.set("eager_median_ms", t.median_ms).set("eager_p90_ms", t.p90_ms).set("eager_images_per_s", ips);
        char line[256];
        std::snprintf(line, sizeof line, "  %-28s batch %2d  eager %8.2f ms  %8.1f img/s", label.c_str(), batch,
                      t.median_ms, ips);
        std::cout << line;
        if (ft.graphed) {
          const double gips = 1000.0 * batch / ft.graph.median_ms;
          j.set("graph_median_ms", ft.graph.median_ms).set("graph_images_per_s", gips);
          std::snprintf(line, sizeof line, "  | CUDA graph %8.2f ms  %8.1f img/s", ft.graph.median_ms, gips);
          std::cout << line;
        } else if (!ft.graph_error.empty()) {
          j.set("graph_error", ft.graph_error.substr(0, 300));
          std::cout << "  | CUDA graph failed: " << ft.graph_error.substr(0, 120);
        }
        std::cout << "\n";
      } catch (const std::exception& e) {
        j.set("error", std::string(e.what()).substr(0, 300));
        std::cout << "  " << label << " batch " << batch << ": failed: " << std::string(e.what()).substr(0, 200) << "\n";
      }
      out.push_back(j);
    }
  return Json()
      .set("preset", ctx.preset)
      .set("size", ctx.size)
      .set("device", cuda ? "cuda" : "cpu")
      .set("cuda_graphs", bool(PL_CUDA_GRAPHS) && cuda)
      .set("rows", out);
}


namespace {

struct Variant {
  std::string label, dtype;
  bool channels_last, fold, autocast;  // autocast: fp32 weights, bf16 autocast (what a Python user does)
  bool fuse = true;                    // cuDNN conv+bias+add+ReLU fusion of folded convs (model/fold_bn.h)
};

// Per-stage timing of one prepared model at one batch: each stage re-run on the previous stage's
// output, synchronised, median of `runs`.
Json stage_times(pl::model::AnnSegmentor& m, const torch::Tensor& x, const Variant& v, const torch::Device& dev,
                 int runs) {
  c10::InferenceMode guard;
  pl::model::AutocastScope ac(v.autocast, dev.is_cuda());
  const auto& w = m->backbone->conv1->weight;
  auto in = x.to(w.scalar_type());
  if (v.channels_last) in = in.contiguous(at::MemoryFormat::ChannelsLast);
  auto& bb = m->backbone;
  auto& head = m->decode_head;
  torch::Tensor s0, l1, l2, l3, l4, f, b, c, seg;
  std::vector<std::pair<std::string, std::function<void()>>> stages{
      {"stem", [&] { s0 = bb->stem(in); }},
      {"layer1", [&] { l1 = bb->layer1->forward(s0); }},
      {"layer2", [&] { l2 = bb->layer2->forward(l1); }},
      {"layer3", [&] { l3 = bb->layer3->forward(l2); }},
      {"layer4", [&] { l4 = bb->layer4->forward(l3); }},
      {"afnb", [&] { f = head->fusion(l3, l4); }},
      {"bottleneck3x3", [&] { b = head->bottleneck(f); }},
      {"apnb", [&] { c = head->context(b); }},
      {"conv_seg", [&] { seg = head->conv_seg(c); }},
      {"upsample", [&] {
         namespace F = torch::nn::functional;
         F::interpolate(seg.to(torch::kFloat), F::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{x.size(2), x.size(3)})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));
       }},
  };
  Json j;
  double total = 0;
  std::string line = "    " + v.label + ":";
  for (auto& [name, fn] : stages) {
    const auto t = time_calls([&] { fn(); sync(dev); }, 2, runs);
    j.set(name + "_ms", t.median_ms);
    total += t.median_ms;
    char buf[64];
    std::snprintf(buf, sizeof buf, " %s %.3f", name.c_str(), t.median_ms);
    line += buf;
  }
  j.set("sum_ms", total);
  std::cout << line << " | sum " << total << " ms\n";
  // Memory formats on the way (a layout flip costs a copy in every conv that follows).
  std::string fmts;
  for (auto& [name, t] : std::vector<std::pair<std::string, torch::Tensor>>{
           {"l4", l4}, {"afnb", f}, {"bottleneck", b}, {"apnb", c}})
    fmts += name + (t.is_contiguous(at::MemoryFormat::ChannelsLast) && !t.is_contiguous() ? "=CL " : "=NCHW ");
  j.set("formats", fmts);
  std::cout << "      formats: " << fmts << "\n";
  return j;
}

#if PL_KINETO
// The CUDA kernels of `runs` forwards under the Kineto profiler, summed by name: the top `top`.
Json top_kernels(const std::function<void()>& fn, int runs, int top) {
  namespace tpi = torch::profiler::impl;
  tpi::ProfilerConfig cfg(tpi::ProfilerState::KINETO);
  const std::set<tpi::ActivityType> acts{tpi::ActivityType::CPU, tpi::ActivityType::CUDA};
  torch::autograd::profiler::prepareProfiler(cfg, acts);
  torch::autograd::profiler::enableProfiler(cfg, acts);
  for (int i = 0; i < runs; ++i) fn();
  auto result = torch::autograd::profiler::disableProfiler();
  std::map<std::string, std::pair<double, int>> by_name;
  double total_us = 0;
  for (const auto& e : result->events()) {
    if (e.deviceType() != c10::DeviceType::CUDA) continue;
    const double us = double(e.durationNs()) / 1000.0 / runs;
    auto& slot = by_name[e.name()];
    slot.first += us;
    slot.second += 1;
    total_us += us;
  }
  std::vector<std::pair<std::string, std::pair<double, int>>> v(by_name.begin(), by_name.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::vector<Json> rows;
  std::printf("    GPU kernel time per forward: %.1f us in %zu kernel names\n", total_us, by_name.size());
  for (size_t i = 0; i < v.size() && int(i) < top; ++i) {
    std::printf("    %8.1f us  %4.1f%%  x%-4d %.110s\n", v[i].second.first, 100.0 * v[i].second.first / total_us,
                v[i].second.second / runs, v[i].first.c_str());
    rows.push_back(Json().set("name", v[i].first.substr(0, 200)).set("us", v[i].second.first)
                       .set("calls", v[i].second.second / runs));
  }
  return Json().set("total_us", total_us).set("kernels", rows);
}
#endif

}  // namespace

Json check_profile(const CheckContext& ctx) {
  const auto opts = inference_preset(ctx);
  const auto& dev = ctx.device;
  const bool cuda = dev.is_cuda();
  const int runs = ctx.smoke ? 2 : 20, big = ctx.smoke ? 2 : 8;
  std::vector<Variant> variants{
      {"fp32 NCHW", "fp32", false, false, false},          {"bf16 NCHW fold", "bf16", false, true, false},
      {"bf16 NCHW fold unfused", "bf16", false, true, false, false},
      {"bf16 CL fold", "bf16", true, true, false},         {"bf16 CL fold unfused", "bf16", true, true, false, false},
      {"bf16 autocast CL", "fp32", true, false, true}};
  if (cuda) {
    variants.push_back({"fp16 NCHW fold", "fp16", false, true, false});
    variants.push_back({"fp16 CL fold", "fp16", true, true, false});
    variants.push_back({"fp32 CL fold", "fp32", true, true, false});
  }
  std::cout << "\n== Profile: " << ctx.preset << " " << ctx.size << "x" << ctx.size << " on " << (cuda ? "CUDA" : "CPU")
            << ": every layout/dtype/folding variant (batch 1 and " << big << "), per-stage times, top kernels\n";
  std::vector<Json> rows;
  for (const auto& v : variants) {
    Json j;
    j.set("variant", v.label);
    pl::model::set_cuda_conv_fusion(v.fuse);
    try {
      auto m = make_test_model(opts, 3);
      pl::model::InferenceOptions io;
      io.dtype = v.dtype;
      io.fold_bn = v.fold;
      io.channels_last = v.channels_last;
      pl::model::prepare_for_inference(m, io, dev);
      char line[256];
      for (int batch : {1, big}) {
        const auto x = torch::randn({batch, 3, ctx.size, ctx.size}, torch::TensorOptions().device(dev));
        const auto ft = time_forward(m, x, io, v.autocast, 3, runs);
        const std::string key = "b" + std::to_string(batch);
        j.set(key + "_eager_ms", ft.eager.median_ms);
        std::snprintf(line, sizeof line, "  %-20s batch %d eager %7.2f ms %7.1f img/s", v.label.c_str(), batch,
                      ft.eager.median_ms, 1000.0 * batch / ft.eager.median_ms);
        std::cout << line;
        if (ft.graphed) {
          j.set(key + "_graph_ms", ft.graph.median_ms);
          std::snprintf(line, sizeof line, " | graph %7.2f ms %7.1f img/s", ft.graph.median_ms,
                        1000.0 * batch / ft.graph.median_ms);
          std::cout << line;
        } else if (!ft.graph_error.empty()) {
          std::cout << " | graph failed: " << ft.graph_error.substr(0, 100);
        }
        std::cout << "\n";
        if (batch == big) {
          j.set("stages_b" + std::to_string(big), stage_times(m, x, v, dev, runs));
#if PL_KINETO
          if (cuda && (v.label == "bf16 CL fold" || v.label == "fp16 CL fold")) {
            try {
              const auto fwd = [&] {
                pl::model::AutocastScope ac(v.autocast, dev.is_cuda());
                pl::model::infer_logits(m, x, io);
                sync(dev);
              };
              j.set("kernels_b" + std::to_string(big), top_kernels(fwd, 3, 14));
            } catch (const std::exception& e) {
              std::cout << "    profiler failed: " << std::string(e.what()).substr(0, 150) << "\n";
            }
          }
#endif
        }
      }
    } catch (const std::exception& e) {
      j.set("error", std::string(e.what()).substr(0, 300));
      std::cout << "  " << v.label << ": failed: " << std::string(e.what()).substr(0, 200) << "\n";
    }
    j.set("fusion_active", pl::model::cuda_conv_fusion());
    rows.push_back(j);
  }
  pl::model::set_cuda_conv_fusion(true);
  return Json().set("preset", ctx.preset).set("size", ctx.size).set("rows", rows);
}

}  // namespace pl::gpu
