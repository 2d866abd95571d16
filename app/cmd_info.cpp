// polyplens info: model presets, parameter counts per part, MACs at an input size, the device, and
// the result of loading backbone weights and/or a checkpoint. Everything here is model/ only.
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include "app/commands.h"
#include "model/checkpoint.h"
#include "model/device.h"
#include "model/inference.h"
#include "model/presets.h"
#include "model/segmentor.h"
#include "model/stats.h"
#include "model/weights.h"

namespace pl::app {
namespace {

namespace m = pl::model;

std::pair<int, int> parse_size(const std::string& v) {
  int a = 0, b = 0;
  char x = 0, extra = 0;
  const int n = std::sscanf(v.c_str(), "%d%c%d%c", &a, &x, &b, &extra);
  if (n == 1) b = a;
  else if (n != 3 || (x != 'x' && x != 'X')) a = 0;
  if (a < 32 || b < 32) throw UsageError("--size expects HxW (or one side) with both sides >= 32, got '" + v + "'");
  return {a, b};
}

std::string size_str(int64_t h, int64_t w) { return std::to_string(h) + "x" + std::to_string(w); }

void print_list() {
  std::cout << std::left << std::setw(14) << "preset" << std::setw(10) << "input" << std::setw(12) << "params"
            << std::setw(12) << "(+aux)" << std::setw(10) << "MACs" << "description\n";
  for (const auto& name : m::preset_names()) {
    const auto o = m::preset(name);
    m::AnnSegmentor model(o);
    const auto s = m::model_stats(model, o.input_h, o.input_w);
    std::cout << std::setw(14) << name << std::setw(10) << size_str(o.input_h, o.input_w) << std::setw(12)
              << m::format_count(static_cast<double>(s.params_inference)) << std::setw(12)
              << m::format_count(static_cast<double>(s.params_total)) << std::setw(10)
              << m::format_count(s.macs_inference) << m::preset_description(name) << "\n";
  }
}

void print_options(const m::SegmentorOptions& o) {
  std::string scales;
  for (auto s : o.key_pool_scales) scales += (scales.empty() ? "" : ",") + std::to_string(s);
  std::cout << "architecture   ANN, ResNet-" << o.depth << " (torchvision stem), output stride " << o.output_stride
            << "\n"
            << "head           channels " << o.channels << ", key/query/value " << o.project_channels
            << ", pooling scales " << scales << ", dropout " << o.dropout << "\n"
            << "aux head       " << (o.with_aux ? "FCN on layer3, " + std::to_string(o.aux_channels) + " channels" : "off")
            << "\n"
            << "classes        " << o.num_classes << "\n"
            << "input          " << size_str(o.input_h, o.input_w) << " (default inference size)\n"
            << "normalisation  RGB mean " << o.mean[0] << "/" << o.mean[1] << "/" << o.mean[2] << ", std " << o.std[0]
            << "/" << o.std[1] << "/" << o.std[2] << "\n";
}

void print_stats(const m::ModelStats& s) {
  std::cout << "parameters     " << s.params_total << " with aux, " << s.params_inference << " for inference\n"
            << "MACs at " << size_str(s.input_h, s.input_w) << "  " << m::format_count(s.macs_inference)
            << " inference (" << m::format_count(s.macs_inference_mmseg) << " as mmseg runs the shared APNB projection twice), "
            << m::format_count(s.macs_training) << " forward with aux; heads on a " << size_str(s.feature_h, s.feature_w)
            << " map\n\n"
            << std::left << std::setw(14) << "part" << std::right << std::setw(14) << "params" << std::setw(12)
            << "MACs" << "\n";
  for (const auto& p : s.parts)
    std::cout << std::left << std::setw(14) << p.name << std::right << std::setw(14) << p.params << std::setw(12)
              << m::format_count(p.macs) << "\n";
  std::cout << std::left << "\n";
}

int run(const Argv& argv) {
  Args args("info", "model presets, parameter counts, MACs, weight and checkpoint loading");
  args.flag("list", "list the presets with input size, parameters and MACs")
      .option("arch", "model preset (see --list)", "ann-r50")
      .option("size", "input size HxW for the MAC count (default: the preset's)")
      .option("backbone-weights", "torchvision ResNet state dict to load into the backbone")
      .option("checkpoint", "PolypLens checkpoint to read (its architecture replaces --arch)")
      .option("device", "auto, cpu, cuda or cuda:N", "auto")
      .option("threads", "CPU threads (0 = all)", "0")
      .option("export", "with --checkpoint: write a weights-only copy (no optimizer state) to this file")
      .flag("fp16", "with --export: store float tensors as fp16 (half the size; loads back as fp32)");
  if (!args.parse(argv)) return 0;
  m::configure_cpu_threads(args.get_int("threads"));
  if (args.has("export") && !args.has("checkpoint")) throw UsageError("--export needs --checkpoint");
  if (args.has("list")) {
    print_list();
    return 0;
  }

  std::optional<m::Checkpoint> ck;
  if (args.has("checkpoint")) ck = m::read_checkpoint(args.get("checkpoint"));
  m::SegmentorOptions opts;
  try {
    opts = ck && !args.has("arch") ? ck->options : m::preset(args.get("arch"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  auto [h, w] = args.has("size") ? parse_size(args.get("size")) : std::pair<int, int>{opts.input_h, opts.input_w};

  m::AnnSegmentor model(opts);
  std::cout << "preset         " << opts.preset << " - "
            << (ck && !args.has("arch") ? std::string("from checkpoint") : m::preset_description(opts.preset)) << "\n";
  print_options(opts);
  print_stats(m::model_stats(model, h, w));

  const auto device = m::select_device(args.get("device"));
  const auto io = m::default_inference_options(device);
  std::cout << "device         " << m::describe_device(device) << "; inference " << io.dtype
            << (io.fold_bn ? ", BN folded" : "") << (io.channels_last ? ", channels-last" : "") << "\n";

  int rc = 0;
  if (args.has("backbone-weights")) {
    try {
      const auto report = m::load_torchvision_backbone(model, args.get("backbone-weights"));
      std::cout << "backbone       " << report.path << ": " << report.summary() << "\n";
    } catch (const m::WeightsError& e) {
      std::cout << "backbone       FAILED: " << e.what() << "\n";
      rc = 1;
    }
  }
  if (ck) {
    std::cout << "checkpoint     " << ck->path << "\n"
              << "  preset " << ck->options.preset << ", epoch " << ck->meta.epoch << ", iteration "
              << ck->meta.iteration << ", classes " << ck->classes << ", stored " << ck->storage_dtype << ", created "
              << ck->created << ", hash " << ck->content_hash << "\n";
    for (const auto& [k, v] : ck->meta.metrics) std::cout << "  " << k << " = " << v << "\n";
    for (const auto& [k, v] : ck->meta.strings)
      if (k != "classes") std::cout << "  " << k << ": " << v << "\n";
    try {
      m::load_state(model, *ck);
      std::cout << "  state: " << ck->state.size() << " tensors loaded into the model\n";
      if (args.has("export")) {
        // Weights and metadata only: the trainer's extra state (momentum buffers, RNG) is dropped.
        m::save_checkpoint(args.get("export"), model, ck->meta, {}, args.has("fp16"));
        std::cout << "  exported to " << args.get("export") << (args.has("fp16") ? " (fp16)" : "") << "\n";
      }
    } catch (const m::CheckpointError& e) {
      std::cout << "  state: FAILED: " << e.what() << "\n";
      rc = 1;
    }
  }
  return rc;
}

}  // namespace

int cmd_info(const Argv& argv) { return run(argv); }

}  // namespace pl::app
