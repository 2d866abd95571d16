#include <cstdio>
#include <iostream>
#include <memory>

#include "model/inference.h"
#include "model/presets.h"
#include "tests/gpu/checks.h"

#if POLYPLENS_GPU_HAVE_CUDA && POLYPLENS_GPU_EXTRAS
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#define PL_CUDA_GRAPHS 1
#else
#define PL_CUDA_GRAPHS 0
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

}  // namespace

Json check_speed(const CheckContext& ctx, int batch_large) {
  auto opts = pl::model::preset(ctx.preset);
  opts.input_h = opts.input_w = ctx.size;
  opts.with_aux = false;
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
        const auto t = time_calls([&] { pl::model::infer_logits(m, x, io); sync(ctx.device); }, warmup, runs);
        const double ips = 1000.0 * batch / t.median_ms;
        j.set("eager_median_ms", t.median_ms).set("eager_p90_ms", t.p90_ms).set("eager_images_per_s", ips);
        char line[256];
        std::snprintf(line, sizeof line, "  %-28s batch %2d  eager %8.2f ms  %8.1f img/s", label.c_str(), batch,
                      t.median_ms, ips);
        std::cout << line;
#if PL_CUDA_GRAPHS
        if (cuda) {
          try {
            GraphedForward g(m, x, io);
            const auto tg = time_calls([&] { g.run(); }, warmup, runs);
            const double gips = 1000.0 * batch / tg.median_ms;
            j.set("graph_median_ms", tg.median_ms).set("graph_images_per_s", gips);
            std::snprintf(line, sizeof line, "  | CUDA graph %8.2f ms  %8.1f img/s", tg.median_ms, gips);
            std::cout << line;
          } catch (const std::exception& e) {
            j.set("graph_error", std::string(e.what()).substr(0, 300));
            std::cout << "  | CUDA graph failed: " << std::string(e.what()).substr(0, 120);
          }
        }
#endif
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

}  // namespace pl::gpu
