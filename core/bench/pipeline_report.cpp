// Table and JSON for the pipeline suite.
#include <sstream>
#include <utility>

#include "core/bench/json_util.h"
#include "core/bench/pipeline_bench.h"
#include "core/bench/table.h"

namespace pl::core::bench {
namespace {

const char* stage_note(const std::string& s) {
  if (s == "decode") return "GStreamer H.264 -> BGR + copy-out, per frame (every player's cost)";
  if (s == "copy-out") return "appsink buffer -> pooled frame";
  if (s == "preprocess") return "BGR->RGB, letterbox resize, normalise";
  if (s == "inference") return "model forward (Predictor)";
  if (s == "postprocess") return "crop, resize logits to the frame, threshold";
  if (s == "overlay") return "fill overlay at frame size";
  if (s == "hand-off") return "latest-frame slot put -> waiting thread wakes";
  return "";
}

}  // namespace

namespace {

const char* branch_note(const std::string& s, bool gpu) {
  if (s == "decode") return "the same, with the model branch scaling a copy on GStreamer's threads";
  if (s == "preprocess") return "normalise only: the branch delivered the model's size";
  if (s == "postprocess") return "crop, threshold at the model's resolution";
  if (s == "overlay")
    return gpu ? "the view on the GUI thread: upload frame + mask, draw call (blend in a shader)"
               : "the view's CPU composite, the mask upsampled bilinearly from the model's size";
  return "";
}

void live_table(std::ostringstream& o, const LiveResult& l) {
  Table lt({"measure", ">median", ">p90", "what"});
  lt.add({"mask age at display", format_ms(l.mask_age.median_ms), format_ms(l.mask_age.p90_ms),
          "capture of the mask's frame -> shown"});
  lt.add({"capture -> mask", format_ms(l.mask_latency.median_ms), format_ms(l.mask_latency.p90_ms), "one inference incl. waiting"});
  lt.add({"frame age at display", format_ms(l.frame_age.median_ms), format_ms(l.frame_age.p90_ms), "capture -> shown"});
  lt.add({"take_update()", format_ms(l.take_update.median_ms), format_ms(l.take_update.p90_ms), "GUI side of the hand-off"});
  o << lt.str();
  o << "  rates: capture " << fixed(l.capture_fps, 1) << " fps, masks " << fixed(l.inference_fps, 1) << " fps, shown "
    << fixed(l.display_fps, 1) << " fps; frames " << l.frames_captured << ", masks " << l.masks
    << ", not segmented (latest frame wins) " << l.dropped_inference << ", not shown " << l.dropped_display << "\n";
}

}  // namespace

std::string to_table(const PipelineBenchReport& r) {
  std::ostringstream o;
  o << "Pipeline at " << r.frame_w << "x" << r.frame_h << ": " << r.model_info << ", model input " << r.model_h << "x"
    << r.model_w << ", " << r.threads << " thread(s); clip: " << r.clip << "\n";
  Table t({"stage", ">median", ">p95", ">share", "what"});
  double total = 0;
  for (const auto& s : r.stages) total += s.median_ms;
  auto share = [&](double ms) { return fixed(total > 0 ? 100.0 * ms / total : -1, 1) + " %"; };
  for (const auto& s : r.stages)
    t.add({s.stage, format_ms(s.median_ms), format_ms(s.p95_ms), share(s.median_ms), stage_note(s.stage)});
  t.add({"app overhead", format_ms(r.app_overhead_ms), "", share(r.app_overhead_ms),
         "copy-out + preprocess + postprocess + overlay + hand-off, beside the model"});
  t.add({"video added delay", format_ms(r.video_added_delay_ms), "", "",
         "copy-out + overlay + hand-off: the display never waits for the model"});
  t.add({"annotation delay", format_ms(r.annotation_delay_ms), "", "", "frame -> mask -> composited, no waiting"});
  o << "CPU path (the frame letterboxed and the mask resized on the CPU, the overlay blended on the CPU):\n";
  o << t.str();
  if (r.live_ran) {
    o << "Live, CPU path: " << fixed(r.live.source_fps, 0) << " fps live source for " << fixed(r.live.seconds, 1)
      << " s after the first mask; display polled at 60 Hz\n";
    live_table(o, r.live);
  } else {
    o << "  live run: skipped (" << r.live_skipped << ")\n";
  }
  if (!r.branch_ran) return o.str();

  o << "\nModel branch + view (what the app does; view: " << r.view_kind << "), beside the CPU path:\n";
  Table b({"stage", ">CPU path", ">branch", ">p95", "what"});
  for (const auto& s : r.branch_stages) {
    const StageResult* c = r.find(s.stage);
    const std::string name = s.stage == "overlay" ? "view" : s.stage == "decode" ? "decode + branch" : s.stage;
    b.add({name, c ? format_ms(c->median_ms) : "", format_ms(s.median_ms), format_ms(s.p95_ms),
           branch_note(s.stage, r.view_kind.rfind("GPU", 0) == 0)});
  }
  if (r.gpu_draw.samples > 0)
    b.add({"(GPU draw)", "", format_ms(r.gpu_draw.median_ms), format_ms(r.gpu_draw.p95_ms),
           "the renderer drawing the view, after the GUI thread moved on (not in the sums)"});
  b.add({"app overhead", format_ms(r.app_overhead_ms), format_ms(r.branch_app_overhead_ms), "",
         "copy-out + preprocess + postprocess + view + hand-off"});
  b.add({"video added delay", format_ms(r.video_added_delay_ms), format_ms(r.branch_video_added_delay_ms), "",
         "copy-out + view + hand-off"});
  b.add({"annotation delay", format_ms(r.annotation_delay_ms), format_ms(r.branch_annotation_delay_ms), "",
         "frame -> mask -> shown"});
  if (r.live_ran && r.branch_live_ran) {
    const auto& a = r.live;
    const auto& l = r.branch_live;
    b.add({"live mask age, median", format_ms(a.mask_age.median_ms), format_ms(l.mask_age.median_ms), "", "at display"});
    b.add({"live mask age, p90", format_ms(a.mask_age.p90_ms), format_ms(l.mask_age.p90_ms), "", ""});
    b.add({"live masks/s", fixed(a.inference_fps, 1), fixed(l.inference_fps, 1), "", ""});
  }
  o << b.str();
  o << "  the branch delivered " << r.branch_model_frames << " model-size frames while decoding the clip\n";
  if (r.branch_live_ran) {
    o << "Live, model branch + view:\n";
    live_table(o, r.branch_live);
  }
  return o.str();
}

pl::json::Json to_json(const PipelineBenchReport& r) {
  using pl::json::Json;
  using pl::json::number;
  auto o = Json::object();
  o["suite"] = "pipeline";
  o["preset"] = r.preset;
  o["device"] = r.device;
  o["model"] = r.model_info;
  o["threads"] = r.threads;
  o["clip"] = r.clip;
  o["frame"] = Json::object({{"width", r.frame_w}, {"height", r.frame_h}});
  o["model_input"] = Json::object({{"width", r.model_w}, {"height", r.model_h}});
  auto stages = Json::array();
  for (const auto& s : r.stages) {
    auto e = Json::object();
    e["stage"] = s.stage;
    e["samples"] = s.samples;
    e["min_ms"] = number(s.min_ms);
    e["median_ms"] = number(s.median_ms);
    e["p95_ms"] = number(s.p95_ms);
    e["mean_ms"] = number(s.mean_ms);
    e["max_ms"] = number(s.max_ms);
    stages.push_back(std::move(e));
  }
  o["stages"] = std::move(stages);
  o["app_overhead_ms"] = number(r.app_overhead_ms);
  o["inference_ms"] = number(r.inference_ms);
  o["video_added_delay_ms"] = number(r.video_added_delay_ms);
  o["annotation_delay_ms"] = number(r.annotation_delay_ms);
  if (r.live_ran) {
    const auto& l = r.live;
    auto live = Json::object();
    live["seconds"] = number(l.seconds);
    live["source_fps"] = number(l.source_fps);
    live["capture_fps"] = number(l.capture_fps);
    live["inference_fps"] = number(l.inference_fps);
    live["display_fps"] = number(l.display_fps);
    live["frames_captured"] = l.frames_captured;
    live["masks"] = l.masks;
    live["dropped_inference"] = l.dropped_inference;
    live["dropped_display"] = l.dropped_display;
    live["mask_age"] = to_json(l.mask_age);
    live["mask_latency"] = to_json(l.mask_latency);
    live["frame_age"] = to_json(l.frame_age);
    live["take_update"] = to_json(l.take_update);
    o["live"] = std::move(live);
  } else {
    o["live"] = Json::object({{"skipped", r.live_skipped}});
  }
  if (r.branch_ran) {
    auto b = Json::object();
    b["view"] = r.view_kind;
    auto st = Json::array();
    for (const auto& s : r.branch_stages)
      st.push_back(Json::object({{"stage", s.stage}, {"samples", s.samples}, {"median_ms", number(s.median_ms)},
                                 {"p95_ms", number(s.p95_ms)}, {"mean_ms", number(s.mean_ms)}}));
    b["stages"] = std::move(st);
    b["model_frames"] = r.branch_model_frames;
    if (r.gpu_draw.samples > 0)
      b["gpu_draw"] = Json::object({{"median_ms", number(r.gpu_draw.median_ms)}, {"p95_ms", number(r.gpu_draw.p95_ms)}});
    b["app_overhead_ms"] = number(r.branch_app_overhead_ms);
    b["video_added_delay_ms"] = number(r.branch_video_added_delay_ms);
    b["annotation_delay_ms"] = number(r.branch_annotation_delay_ms);
    if (r.branch_live_ran) {
      const auto& l = r.branch_live;
      b["live"] = Json::object({{"mask_age", to_json(l.mask_age)}, {"mask_latency", to_json(l.mask_latency)},
                                {"inference_fps", number(l.inference_fps)}, {"display_fps", number(l.display_fps)},
                                {"dropped_inference", l.dropped_inference}, {"dropped_display", l.dropped_display}});
    }
    o["model_branch"] = std::move(b);
  }
  return o;
}

}  // namespace pl::core::bench
