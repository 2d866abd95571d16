#pragma once
// What a training run reports while it runs and when it ends. Torch-free for the GUI.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace pl::core::train {

enum class TrainPhase { Loading, Training, Validating, Paused, Finished, Cancelled, Failed };
const char* phase_name(TrainPhase phase);

// Validation on the val split (fractions in [0, 1]); dataset-level = mmseg convention.
struct ValidationResult {
  int epoch = 0;
  int64_t iteration = 0;
  double polyp_dice = 0, polyp_iou = 0;        // dataset-level, polyp class
  double mDice = 0, mIoU = 0, aAcc = 0;        // dataset-level, two-class means (the paper's numbers)
  double per_image_dice = 0, per_image_iou = 0;  // polyp, mean over images
  int images = 0;
  double seconds = 0;
  bool is_best = false;                        // best polyp_dice so far (best.pt written)
};

struct TrainProgress {
  TrainPhase phase = TrainPhase::Loading;
  int epoch = 0, epochs = 0;                   // epoch in progress, 1-based
  int64_t iteration = 0, total_iterations = 0; // iterations completed
  int iters_per_epoch = 0;
  double loss = 0, loss_decode = 0, loss_aux = 0;  // mean over the iterations since the last report
  double lr = 0;
  double images_per_s = 0;                     // training throughput (recent window)
  double eta_s = 0, elapsed_s = 0;
  std::optional<ValidationResult> validation;  // set on the report right after a validation
  std::string message;                         // loading status, errors, checkpoint notes
};

// Called on the thread that runs Trainer::run(), after every iteration and on phase changes.
using ProgressCallback = std::function<void(const TrainProgress&)>;

struct TrainResult {
  TrainPhase phase = TrainPhase::Finished;     // Finished, Cancelled or Failed
  std::string message;
  int64_t iterations_done = 0;
  std::optional<ValidationResult> best, last_validation;
  std::string last_checkpoint, best_checkpoint;  // paths ("" when none was written)
};

}  // namespace pl::core::train
