// gpu_check: what the GPU machine can tell us about the model that this 2-core CPU cannot
// (tests/gpu/README.md). Training, evaluation and the benchmarks are the product's own
// (`polyplens train|eval|bench`, run by tests/gpu/run.sh); this tool keeps the model-level checks:
//   parity         the model on CUDA vs the CPU with the same weights, fp32/fp16/bf16
//   speed          ann-r50 forward at 512x512, batch 1 and 8, fp32/fp16/bf16, eager and CUDA graphs
//   weights_cache  torchvision ImageNet weights found in the torch hub cache
//   profile        (only with --only profile) where the forward time goes, per variant, stage and kernel
// Without CUDA (or with --cpu-smoke) every section runs on the CPU with a tiny preset and sizes, so
// the whole tool is exercised here in seconds. Links polyplens_model only (no Qt, OpenCV, spdlog).
//
//   gpu_check [--cpu-smoke] [--out DIR] [--size N] [--preset NAME] [--only SECTION[,SECTION]]
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include <ATen/Parallel.h>

#include "model/device.h"
#include "tests/gpu/checks.h"

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "gpu_check: " << why
            << "\nusage: gpu_check [--cpu-smoke] [--out DIR] [--size N] [--preset NAME]"
               " [--only parity,speed,weights_cache,profile]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pl::gpu;
  CheckContext ctx;
  bool size_given = false;
  std::string only = "parity,speed,weights_cache";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("option " + a + " needs a value");
      return argv[++i];
    };
    auto number = [&](const std::string& v) {
      try {
        size_t used = 0;
        const double d = std::stod(v, &used);
        if (used == v.size() && d > 0) return d;
      } catch (const std::exception&) {
      }
      usage("option " + a + " expects a positive number, got '" + v + "'");
    };
    if (a == "--cpu-smoke") ctx.smoke = true;
    else if (a == "--out") ctx.out_dir = value();
    else if (a == "--size") ctx.size = int(number(value())), size_given = true;
    else if (a == "--preset") ctx.preset = value();
    else if (a == "--only") only = value();
    else if (a == "-h" || a == "--help") usage("help");
    else usage("unknown argument '" + a + "'");
  }
  if (ctx.size < 32) usage("--size must be >= 32");
  {
    std::stringstream names(only);
    std::string name;
    while (std::getline(names, name, ',')) {
      if (name.empty()) continue;
      if (name == "train") usage("the train section is gone: training is `polyplens train` (tests/gpu/run.sh runs it)");
      if (name != "parity" && name != "speed" && name != "weights_cache" && name != "profile")
        usage("unknown section '" + name + "' in --only");
    }
  }

  const bool cuda = cuda_available() && !ctx.smoke;
  if (cuda) {
    ctx.device = pl::model::select_device("cuda");  // also turns on the cuDNN autotuner
  } else {
    ctx.smoke = true;  // no CUDA: the CPU fallback, tiny and quick
    if (ctx.preset == "ann-r50") ctx.preset = "ann-r18-live";
    if (!size_given) ctx.size = 64;
  }
  // The smoke run is about the code paths, not speed: one thread keeps it quick on a loaded CI box
  // (two OpenMP threads wait on each other there); the GPU run uses every core for the CPU reference.
  pl::model::configure_cpu_threads(ctx.smoke ? 1 : 0);
  if (!ctx.out_dir.empty()) std::filesystem::create_directories(ctx.out_dir);

  std::cout << "gpu_check: LibTorch " << torch_version() << ", CUDA " << (cuda_available() ? "available" : "not available")
            << ", device " << pl::model::describe_device(ctx.device) << ", " << at::get_num_threads() << " CPU threads"
            << (ctx.smoke ? ", CPU smoke mode (tiny preset and sizes)" : "") << "\n";
  Json report;
  report.set("torch", torch_version())
      .set("cuda_available", cuda_available())
      .set("device", pl::model::describe_device(ctx.device))
      .set("cpu_threads", at::get_num_threads())
      .set("smoke", ctx.smoke);

  std::vector<std::string> failed;
  only = "," + only + ",";
  auto section = [&](const std::string& name, const std::function<Json()>& fn) {
    if (only.find("," + name + ",") == std::string::npos) return;
    const double t0 = now_ms();
    try {
      Json j = fn();
      j.set("seconds", (now_ms() - t0) / 1000.0);
      report.set(name, j);
    } catch (const std::exception& e) {
      std::cout << "  " << name << " FAILED: " << e.what() << "\n";
      report.set(name, Json().set("error", std::string(e.what())));
      failed.push_back(name);
    }
  };
  section("parity", [&] { return check_parity(ctx); });
  section("speed", [&] { return check_speed(ctx, ctx.smoke ? 2 : 8); });
  section("weights_cache", [&] { return check_weights_cache(); });
  section("profile", [&] { return check_profile(ctx); });
  report.set("failed_sections", failed);

  if (!ctx.out_dir.empty()) {
    write_file(ctx.out_dir + "/gpu_check.json", report.str() + "\n");
    std::cout << "\nwrote " << ctx.out_dir << "/gpu_check.json\n";
  }
  std::cout << (failed.empty() ? "gpu_check: all sections ran\n" : "gpu_check: failed sections: " + std::to_string(failed.size()) + "\n");
  return failed.empty() ? 0 : 1;
}
