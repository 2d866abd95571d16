#include "core/sample/clip_score.h"

#include <algorithm>
#include <stdexcept>

#include <opencv2/videoio.hpp>

#include "core/inference/predictor.h"
#include "core/pipeline/cv_predict.h"
#include "core/sample/mask_track.h"

namespace pl::core {

ClipScore score_clip(const std::string& video, const std::string& mask_track,
                     inference::Predictor& predictor, const std::function<void(int, int)>& progress,
                     int max_frames, const ClipFrameFn& on_frame) {
  const MaskTrack track = read_mask_track(mask_track);
  cv::VideoCapture cap(video, cv::CAP_GSTREAMER);
  if (!cap.isOpened()) throw std::runtime_error("cannot open video '" + video + "'");
  ClipScore s;
  s.fps = track.fps;
  double inter = 0, sum = 0;
  cv::Mat frame;
  const int in_track = static_cast<int>(track.size());
  const int total = max_frames > 0 ? std::min(max_frames, in_track) : in_track;
  while (s.frames < total && cap.read(frame)) {
    if (frame.cols != track.width || frame.rows != track.height)
      throw std::runtime_error("'" + video + "' frame " + std::to_string(s.frames) + " is " +
                               std::to_string(frame.cols) + "x" + std::to_string(frame.rows) + ", its mask track '" +
                               mask_track + "' " + std::to_string(track.width) + "x" + std::to_string(track.height));
    const cv::Mat names = track.labels(static_cast<size_t>(s.frames));
    const cv::Mat truth = (names > 0) & 1;
    const CvPrediction prediction = cv_predict(predictor, frame, static_cast<bool>(on_frame));
    const cv::Mat& pred = prediction.mask;
    if (on_frame) on_frame(s.frames, truth, names, pred, prediction.prob);
    const double i = cv::countNonZero(truth & pred);
    const double p = cv::countNonZero(pred), g = cv::countNonZero(truth);
    s.frame_dice.push_back(p + g > 0 ? 2 * i / (p + g) : 1.0);
    inter += i;
    sum += p + g;
    ++s.frames;
    if (progress) progress(s.frames, total);
  }
  if (s.frames < total)
    throw std::runtime_error("'" + video + "' has " + std::to_string(s.frames) + " frames, its mask track '" +
                             mask_track + "' " + std::to_string(in_track));
  if (max_frames <= 0 && cap.read(frame))
    throw std::runtime_error("'" + video + "' has more frames than its mask track '" + mask_track + "' (" +
                             std::to_string(in_track) + ")");
  for (double d : s.frame_dice) s.mean_dice += d;
  s.mean_dice /= std::max(1, s.frames);
  s.pooled_dice = sum > 0 ? 2 * inter / sum : 1.0;
  return s;
}

}  // namespace pl::core
