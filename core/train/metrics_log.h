#pragma once
// metrics.jsonl of a run directory: one JSON object per line, {"type":"train",...} every log step
// and {"type":"val",...} per validation, so the GUI and humans can plot a run.
//
// Threading model: used from the training thread only.
#include <cstdint>
#include <fstream>
#include <string>

#include "core/train/progress.h"

namespace pl::core::train {

class MetricsLog {
 public:
  // Opens for appending. Lines about iterations after `resume_iteration` (written by a run that was
  // killed after its last checkpoint) are dropped first, so a resumed log has no duplicates.
  MetricsLog(const std::string& path, int64_t resume_iteration);

  void train(const TrainProgress& p);
  void validation(const ValidationResult& v);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace pl::core::train
