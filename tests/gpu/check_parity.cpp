#include <cstdio>
#include <iostream>

#include "model/inference.h"
#include "tests/gpu/checks.h"

namespace pl::gpu {
namespace {

struct Case {
  std::string name;
  torch::Device device;
  pl::model::InferenceOptions opts;
  bool tf32;
};

void set_tf32(bool on) {
#if POLYPLENS_GPU_EXTRAS
  at::globalContext().setAllowTF32CuDNN(on);
  at::globalContext().setAllowTF32CuBLAS(on);
#else
  (void)on;
#endif
}

}  // namespace

Json check_parity(const CheckContext& ctx) {
  const auto opts = inference_preset(ctx);
  torch::manual_seed(1);
  const auto x = torch::randn({1, 3, ctx.size, ctx.size});

  auto ref_model = make_test_model(opts, 7);
  pl::model::InferenceOptions plain;
  plain.fold_bn = false;
  pl::model::prepare_for_inference(ref_model, plain, torch::kCPU);
  const auto ref = pl::model::infer_logits(ref_model, x, plain);
  const double ref_max = ref.abs().max().item<double>();
  const auto ref_mask = ref.argmax(1);

  auto make = [](std::string name, torch::Device d, bool fold, bool cl, std::string dtype, bool tf32) {
    pl::model::InferenceOptions o;
    o.fold_bn = fold;
    o.channels_last = cl;
    o.dtype = std::move(dtype);
    return Case{std::move(name), d, o, tf32};
  };
  std::vector<Case> cases;
  if (ctx.device.is_cuda()) {
    cases = {make("cuda fp32 eager, TF32 off", ctx.device, false, false, "fp32", false),
             make("cuda fp32 eager, TF32 on", ctx.device, false, false, "fp32", true),
             make("cuda fp32 fold_bn+channels_last", ctx.device, true, true, "fp32", false),
             make("cuda fp16 fold_bn+channels_last", ctx.device, true, true, "fp16", true),
             make("cuda bf16 fold_bn+channels_last", ctx.device, true, true, "bf16", true)};
  } else {
    cases = {make("cpu fp32 fold_bn+channels_last", ctx.device, true, true, "fp32", false),
             make("cpu bf16 fold_bn", ctx.device, true, false, "bf16", false)};
  }
  std::cout << "\n== Parity: " << ctx.preset << " " << ctx.size << "x" << ctx.size
            << ", same perturbed weights, reference = CPU fp32 eager (max |logit| " << ref_max << ")\n";
  std::vector<Json> rows;
  const bool tf32_before = ctx.device.is_cuda();
  for (const auto& c : cases) {
    if (c.device.is_cuda()) set_tf32(c.tf32);
    auto m = make_test_model(opts, 7);
    pl::model::prepare_for_inference(m, c.opts, c.device);
    const auto out = pl::model::infer_logits(m, x, c.opts).to(torch::kCPU);
    const auto diff = (out - ref).abs();
    const double max_abs = diff.max().item<double>();
    const double mean_abs = diff.mean().item<double>();
    const double agree = (out.argmax(1) == ref_mask).to(torch::kDouble).mean().item<double>();
    char line[256];
    std::snprintf(line, sizeof line, "  %-36s max abs %.3g  rel %.3g  mean abs %.3g  argmax agree %.4f%%\n",
                  c.name.c_str(), max_abs, max_abs / ref_max, mean_abs, 100.0 * agree);
    std::cout << line;
    rows.push_back(Json()
                       .set("case", c.name)
                       .set("max_abs", max_abs)
                       .set("max_rel", max_abs / ref_max)
                       .set("mean_abs", mean_abs)
                       .set("argmax_agreement", agree));
  }
  if (tf32_before) set_tf32(true);  // PyTorch's cuDNN default; the speed section reports its setting
  return Json()
      .set("preset", ctx.preset)
      .set("size", ctx.size)
      .set("reference", "cpu fp32 eager")
      .set("reference_max_abs_logit", ref_max)
      .set("note", "max_rel = max |out - ref| / max |ref|")
      .set("cases", rows);
}

}  // namespace pl::gpu
