// Table and JSON for the model suite.
#include <cstdio>
#include <map>
#include <sstream>
#include <utility>

#include "core/bench/json_util.h"
#include "core/bench/model_bench.h"
#include "core/bench/table.h"

namespace pl::core::bench {
namespace {

std::string giga(double v, const char* unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f %s", v / 1e9, unit);
  return buf;
}

std::string peer_name(const std::string& model) {
  if (model == "dilated_r50") return "Python torchvision dilated ResNet-50 backbone";
  if (model == "deeplabv3_r50") return "Python torchvision DeepLabV3-ResNet50";
  return "Python " + model;
}

// Peers run bf16 through autocast; name the dtype like our autocast rows so they line up.
std::string peer_dtype(const PeerResult& p) { return p.dtype == "bf16" ? "bf16-autocast" : p.dtype; }

std::vector<std::string> timing_cells(const Stats& s) {
  return {format_ms(s.median_ms), format_ms(s.p90_ms), fixed(s.median_ms > 0 ? 1000.0 / s.median_ms : -1, 2),
          s.cpu_median_ms > 0 ? format_ms(s.cpu_median_ms) : "-"};
}

}  // namespace

std::string to_table(const ModelBenchReport& r, const TimingOptions& timing) {
  std::ostringstream o;
  o << "Model forward latency: " << r.device << ", " << r.threads << " thread(s), LibTorch " << r.torch_version
    << ", batch 1, median and p90 of up to " << timing.runs << " runs after " << timing.warmup
    << " warm-up; CPU time = process CPU per run, all threads (load-independent with --threads 1)\n";
  o << "matmul peak (at::mm):";
  for (const char* dtype : {"fp32", "bf16", "fp16"})
    if (auto p = r.peaks.find(dtype); p != r.peaks.end())
      o << " " << dtype << " " << fixed(p->second.gflops, 0) << " GFLOP/s (n=" << p->second.n << ")";
  if (r.device == "cpu") o << (r.native_bf16 ? "; native bf16 (AVX-512 BF16/AMX)" : "; no native bf16 (emulated)");
  o << "\n";
  for (const auto& pr : r.presets) {
    o << "\n" << pr.preset << " at " << pr.height << "x" << pr.width << ": " << fixed(pr.parameters / 1e6, 2)
      << " M parameters, " << giga(double(pr.macs.total()), "GMAC") << " counted (" << giga(pr.macs_analytic, "GMAC")
      << " analytic)\n";
    Table t({"what", "dtype", ">median", ">p90", ">fps", ">x floor", ">CPU time", ">x CPU floor"});
    const VariantResult* best = nullptr;
    for (const auto& v : pr.variants) {
      const std::string what = "PolypLens " + v.variant.label();
      if (!v.skipped.empty()) {
        t.add({what, v.variant.dtype, "-", "-", "-", "-", "-", "-"});
        continue;
      }
      auto cells = timing_cells(v.stats);
      t.add({what, v.variant.dtype, cells[0], cells[1], cells[2], fixed(v.over_floor() > 0 ? v.over_floor() : -1, 2),
             cells[3], fixed(v.over_floor_cpu() > 0 ? v.over_floor_cpu() : -1, 2)});
      if (!best || v.stats.median_ms < best->stats.median_ms) best = &v;
    }
    if (pr.peers.available) {
      for (const auto& p : pr.peers.results) {
        auto cells = timing_cells(p.stats);
        t.add({peer_name(p.model), peer_dtype(p), cells[0], cells[1], cells[2], "-", cells[3], "-"});
      }
    } else {
      t.add({"Python peers: unavailable (" + pr.peers.reason + ")", "", "", "", "", "", "", ""});
    }
    std::map<std::string, const VariantResult*> floors;
    for (const auto& v : pr.variants)
      if (v.floor_ms > 0) floors[v.variant.dtype == "bf16-autocast" ? "bf16" : v.variant.dtype] = &v;
    for (const char* dtype : {"fp32", "bf16", "fp16"})
      if (auto f = floors.find(dtype); f != floors.end())
        t.add({"floor: MACs at the matmul peak", dtype, format_ms(f->second->floor_ms), "",
               fixed(1000.0 / f->second->floor_ms, 2), "1.00",
               f->second->floor_cpu_ms > 0 ? format_ms(f->second->floor_cpu_ms) : "-", "1.00"});
    o << t.str();
    for (const auto& v : pr.variants)
      if (!v.skipped.empty()) o << "  skipped " << v.variant.dtype << " " << v.variant.label() << ": " << v.skipped << "\n";
    if (best)
      o << "  fastest: " << best->variant.dtype << " " << best->variant.label() << ", " << format_ms(best->stats.median_ms)
        << " median\n";
    if (best && pr.preset == "ann-r50" && pr.height == 512 && pr.width == 512 && r.device == "cpu")
      o << "  goal (ann-r50 <= 1.0 s per 512x512 frame on the CPU): "
        << (best->stats.median_ms <= 1000.0 ? "met" : "not met") << "\n";
  }
  return o.str();
}

pl::json::Json to_json(const ModelBenchReport& r) {
  using pl::json::Json;
  using pl::json::number;
  auto o = Json::object();
  o["suite"] = "model";
  o["device"] = r.device;
  o["threads"] = r.threads;
  o["torch"] = r.torch_version;
  o["native_bf16"] = r.native_bf16;
  auto peaks = Json::object();
  for (const auto& [dtype, p] : r.peaks) {
    auto e = Json::object();
    e["n"] = p.n;
    e["gflops"] = number(p.gflops);
    e["median_gflops"] = number(p.median_gflops);
    e["cpu_gflops"] = number(p.cpu_gflops);
    peaks[dtype] = std::move(e);
  }
  o["matmul_peak"] = std::move(peaks);
  auto presets = Json::array();
  for (const auto& pr : r.presets) {
    auto p = Json::object();
    p["preset"] = pr.preset;
    p["height"] = pr.height;
    p["width"] = pr.width;
    p["parameters"] = pr.parameters;
    auto macs = Json::object();
    macs["conv"] = pr.macs.conv;
    macs["matmul"] = pr.macs.matmul;
    macs["total"] = pr.macs.total();
    macs["analytic"] = number(pr.macs_analytic);
    p["macs"] = std::move(macs);
    auto floors = Json::object();
    auto variants = Json::array();
    for (const auto& v : pr.variants) {
      auto e = Json::object();
      e["dtype"] = v.variant.dtype;
      e["fold_bn"] = v.variant.fold_bn;
      e["channels_last"] = v.variant.channels_last;
      e["label"] = v.variant.label();
      if (v.floor_cpu_ms > 0) e["floor_cpu_ms"] = number(v.floor_cpu_ms);
      if (v.floor_ms > 0) {
        e["floor_ms"] = number(v.floor_ms);
        floors[v.variant.dtype == "bf16-autocast" ? std::string("bf16") : v.variant.dtype] = number(v.floor_ms);
      }
      if (v.skipped.empty()) {
        add_stats(e, v.stats);
        e["fps"] = number(v.fps());
        if (v.over_floor() > 0) e["x_floor"] = number(v.over_floor());
        if (v.over_floor_cpu() > 0) e["x_floor_cpu"] = number(v.over_floor_cpu());
      } else {
        e["skipped"] = v.skipped;
      }
      variants.push_back(std::move(e));
    }
    p["floor_ms"] = std::move(floors);
    p["variants"] = std::move(variants);
    auto peers = Json::object();
    peers["available"] = pr.peers.available;
    if (!pr.peers.available) {
      peers["reason"] = pr.peers.reason;
    } else {
      peers["python"] = pr.peers.python_version;
      peers["torch"] = pr.peers.torch_version;
      peers["torchvision"] = pr.peers.torchvision_version;
      peers["threads"] = pr.peers.threads;
      auto results = Json::array();
      for (const auto& pe : pr.peers.results) {
        auto e = Json::object();
        e["model"] = pe.model;
        e["dtype"] = pe.dtype;
        e["mode"] = pe.mode;
        add_stats(e, pe.stats);
        results.push_back(std::move(e));
      }
      peers["results"] = std::move(results);
    }
    p["peers"] = std::move(peers);
    presets.push_back(std::move(p));
  }
  o["presets"] = std::move(presets);
  return o;
}

}  // namespace pl::core::bench
