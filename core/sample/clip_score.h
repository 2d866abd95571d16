#pragma once
// Scores a model on a video with a ground-truth mask track (the bundled sample clip): per-frame polyp
// Dice, their mean, and the pooled (dataset-level over frames) polyp Dice.
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace pl::core::inference {
class Predictor;
}

namespace pl::core {

struct ClipScore {
  std::vector<double> frame_dice;  // per frame; frames where truth and prediction are both empty score 1
  double mean_dice = 0;            // mean over frames
  double pooled_dice = 0;          // 2·ΣI / (ΣP + ΣG) over all frames
  int frames = 0;
  double fps = 0;                  // the mask track's frame rate
};

// Called for every scored frame in order: the ground truth (CV_8U 0/1), its polyp names as the track
// stores them (CV_8U: 1-254 named, 255 unnamed, mask_track.h), the predicted mask (CV_8U class ids)
// and the polyp probability (CV_32F), all at the frame's size.
using ClipFrameFn = std::function<void(int frame, const cv::Mat& truth, const cv::Mat& truth_names, const cv::Mat& pred,
                                       const cv::Mat& prob)>;

// Throws std::runtime_error naming the file when the video or the track cannot be read, or when
// their frame counts or sizes disagree.
ClipScore score_clip(const std::string& video, const std::string& mask_track,
                     inference::Predictor& predictor,
                     const std::function<void(int done, int total)>& progress = {}, int max_frames = 0,
                     const ClipFrameFn& on_frame = {});
// max_frames > 0 scores only the first max_frames frames (the video and track must still agree there).
// With on_frame, the prediction also computes the probability map it is given (polyp events' confidence).

}  // namespace pl::core
