#pragma once
// The sections of gpu_check. Each returns its results as JSON and prints a readable summary; each
// throws on failure (main() records the error and goes on with the next section).
#include <string>

#include <torch/torch.h>

#include "model/options.h"
#include "tests/gpu/gpu_common.h"

namespace pl::gpu {

struct CheckContext {
  bool smoke = false;                       // CPU fallback: tiny preset and sizes, few runs
  torch::Device device{torch::kCPU};        // cuda:0 when available
  std::string preset = "ann-r50";
  int size = 512;                           // square input / crop
  std::string out_dir;
};

// ctx.preset at ctx.size without the auxiliary head: the model the inference checks build.
pl::model::SegmentorOptions inference_preset(const CheckContext& ctx);

// CPU fp32 eager logits vs the device in fp32 (TF32 off and on), and fp16/bf16 with BN folding and
// channels-last: max abs / rel difference and argmax agreement, same weights.
Json check_parity(const CheckContext& ctx);

// Forward latency and images/s per dtype and batch, eager and (CUDA) graph replay.
Json check_speed(const CheckContext& ctx, int batch_large);

// Where the forward time goes: every dtype/layout/folding variant at batch 1 and 8 (eager and graph),
// per-stage times (stem, layer1..4, AFNB, 3x3 bottleneck, APNB, conv_seg, upsample) and, with
// LibTorch 2.x on CUDA, the top kernels from the Kineto profiler. Diagnostic: run with --only profile.
Json check_profile(const CheckContext& ctx);

// What torchvision ImageNet weights are cached on this machine.
Json check_weights_cache();

}  // namespace pl::gpu
