#pragma once
// A synthetic clip with known polyp events, drawn as disks on 80x60 masks at 10 fps (0.5 s = 5
// frames): the ground truth and a model's masks of the same 100 frames. tests/core/test_polyp_events.cpp
// works every figure of docs/metrics.md §6 out from it by hand; the review's GUI test shows it.
#include <algorithm>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace pl::test {

constexpr int kW = 80, kH = 60;
constexpr double kFps = 10;  // 0.5 s = 5 frames

struct Disk {
  int x, y, r;
  int first, last;                // frames shown, inclusive
  std::vector<int> hidden = {};   // frames inside [first, last] where it is not drawn
};

inline bool shown(const Disk& d, int f) {
  return f >= d.first && f <= d.last && std::find(d.hidden.begin(), d.hidden.end(), f) == d.hidden.end();
}

inline cv::Mat draw(const std::vector<Disk>& disks, int f) {
  cv::Mat m(kH, kW, CV_8U, cv::Scalar(0));
  for (const auto& d : disks)
    if (shown(d, f)) cv::circle(m, {d.x, d.y}, d.r, cv::Scalar(1), cv::FILLED);
  return m;
}

// The evaluation clip, 100 frames at 10 fps (1/6 min).
//   truth A (20,20) frames 10-39; B (60,40) frames 30-59, hidden 45-46 (an occlusion within max_gap 2);
//   C (40,30) frames 70-89, never detected; D (10,10) frames 95-96, a 0.2 s truth flicker.
//   model: A from frame 13 (3 frames late); B 30-49 (through the occlusion) and again 53-59 after a
//   3-frame miss (> max_gap: two model events); a one-frame flicker at frame 5; false alarms 62-68
//   (0.7 s) and 85-99 (1.5 s, beside C).
inline const std::vector<Disk> kTruth = {
    {20, 20, 6, 10, 39}, {60, 40, 6, 30, 59, {45, 46}}, {40, 30, 5, 70, 89}, {10, 10, 3, 95, 96}};
inline const std::vector<Disk> kPred = {
    {70, 10, 3, 5, 5}, {20, 20, 6, 13, 39}, {61, 40, 6, 30, 59, {50, 51, 52}}, {10, 50, 4, 62, 68}, {70, 10, 4, 85, 99}};

}  // namespace pl::test
