// Table and JSON for the pipeline suite.
#include <sstream>

#include <QJsonArray>

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
  o << t.str();
  if (!r.live_ran) {
    o << "  live run: skipped (" << r.live_skipped << ")\n";
    return o.str();
  }
  const auto& l = r.live;
  o << "Live: " << fixed(l.source_fps, 0) << " fps live source for " << fixed(l.seconds, 1)
    << " s after the first mask; display polled at 60 Hz\n";
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
  return o.str();
}

QJsonObject to_json(const PipelineBenchReport& r) {
  QJsonObject o{{"suite", "pipeline"}, {"preset", qs(r.preset)}, {"device", qs(r.device)},
                {"model", qs(r.model_info)}, {"threads", r.threads}, {"clip", qs(r.clip)}};
  o["frame"] = QJsonObject{{"width", r.frame_w}, {"height", r.frame_h}};
  o["model_input"] = QJsonObject{{"width", r.model_w}, {"height", r.model_h}};
  QJsonArray stages;
  for (const auto& s : r.stages) {
    stages.append(QJsonObject{{"stage", qs(s.stage)},
                              {"samples", s.samples},
                              {"min_ms", s.min_ms},
                              {"median_ms", s.median_ms},
                              {"p95_ms", s.p95_ms},
                              {"mean_ms", s.mean_ms},
                              {"max_ms", s.max_ms}});
  }
  o["stages"] = stages;
  o["app_overhead_ms"] = r.app_overhead_ms;
  o["inference_ms"] = r.inference_ms;
  o["video_added_delay_ms"] = r.video_added_delay_ms;
  o["annotation_delay_ms"] = r.annotation_delay_ms;
  if (r.live_ran) {
    const auto& l = r.live;
    o["live"] = QJsonObject{{"seconds", l.seconds},
                            {"source_fps", l.source_fps},
                            {"capture_fps", l.capture_fps},
                            {"inference_fps", l.inference_fps},
                            {"display_fps", l.display_fps},
                            {"frames_captured", double(l.frames_captured)},
                            {"masks", double(l.masks)},
                            {"dropped_inference", double(l.dropped_inference)},
                            {"dropped_display", double(l.dropped_display)},
                            {"mask_age", to_json(l.mask_age)},
                            {"mask_latency", to_json(l.mask_latency)},
                            {"frame_age", to_json(l.frame_age)},
                            {"take_update", to_json(l.take_update)}};
  } else {
    o["live"] = QJsonObject{{"skipped", qs(r.live_skipped)}};
  }
  return o;
}

}  // namespace pl::core::bench
