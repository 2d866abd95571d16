#pragma once
// The endoscope's field of view (docs/architecture.md, "Overlay"): the lit, usually round or
// octagonal part of the frame that the scope sees, inside a black border that carries no image (and
// sometimes the tower's text). The overlay paints only inside it: a green "background" wash over the
// border says nothing and hides the frame's edge, and a mask pixel outside it is not a polyp.
//
// Detection, on a 128-px-wide copy of the frame: brightness = max(B, G, R); pixels above a
// threshold; a 3x3 opening drops text and noise; the largest connected region, and its convex hull
// (a dark lumen or a shadow inside the view must not cut a hole in it), scaled back to the frame.
// Stored as one span [x0, x1) per row (the hull is convex), so the overlay's row loop stays a span.
// A frame with no border (the hull covers >= 97 % of it) has a full view; a frame too dark to say
// (the largest region < 25 %) gives no answer, and the tracker keeps what it had.
//
// Threading model: FieldOfView is immutable once built and shared between threads by
// shared_ptr<const>; FieldOfViewTracker is used from one thread (the inference worker's).
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

namespace pl::core {

class FieldOfView {
 public:
  // A view covering the whole frame.
  static FieldOfView full(cv::Size size);
  // From a filled region mask (CV_8U, non-zero inside): each row's first to last inside pixel.
  static FieldOfView from_mask(const cv::Mat& inside);

  cv::Size size() const { return size_; }
  bool is_full() const { return full_; }
  // Row y's inside pixels are [span(y)[0], span(y)[1]); empty when x0 == x1.
  cv::Vec2i span(int y) const { return full_ ? cv::Vec2i(0, size_.width) : spans_[static_cast<size_t>(y)]; }
  double area_fraction() const;
  // A copy of `mask` (CV_8U, this view's size) with everything outside the view set to 0.
  cv::Mat clip(const cv::Mat& mask) const;
  // The same view for a frame of another size (the model's scaled copy of a frame and the frame
  // itself): row y takes the row at its centre, (y + 0.5) * old_h / new_h, spans scale with the width.
  FieldOfView scaled(cv::Size size) const;
  // The view as a CV_8U 0/255 mask (tests, debugging overlays).
  cv::Mat to_mask() const;

 private:
  cv::Size size_;
  bool full_ = true;
  std::vector<cv::Vec2i> spans_;
};

// `view` for a frame of `frame` size: itself, scaled (found on the model's scaled copy of the frame:
// same shape within 2 %), or null (no view, or one of another shape: from before a change of stream
// resolution, it says nothing about this frame).
std::shared_ptr<const FieldOfView> view_for_frame(const std::shared_ptr<const FieldOfView>& view, cv::Size frame);
bool same_shape(cv::Size a, cv::Size b);

struct FovOptions {
  int threshold = 24;              // max(B, G, R) above this is lit (8-bit)
  double min_fraction = 0.25;      // a largest lit region below this share of the frame: no answer
  double full_fraction = 0.97;     // a hull at least this share of the frame: the whole frame
  int work_width = 128;            // detection runs at this width
};

// The view of one frame (CV_8UC3), or nothing when the frame is too dark to tell. Throws
// std::invalid_argument on an empty or non-CV_8UC3 frame.
std::optional<FieldOfView> detect_field_of_view(const cv::Mat& bgr, const FovOptions& options = {});

// Keeps a source's view: detects on the first frame, whenever the frame size changes, and every
// `interval` frames after (a new source of the same size, a zoom); frames too dark to tell keep the
// previous answer. current() is null until a frame gave an answer (then the overlay paints everywhere).
class FieldOfViewTracker {
 public:
  explicit FieldOfViewTracker(int interval = 15, FovOptions options = {}) : interval_(interval), options_(options) {}
  std::shared_ptr<const FieldOfView> update(const cv::Mat& bgr);
  std::shared_ptr<const FieldOfView> current() const { return current_; }
  void reset();

 private:
  int interval_;
  FovOptions options_;
  int64_t since_ = 0;
  cv::Size size_;
  std::shared_ptr<const FieldOfView> current_;
};

}  // namespace pl::core
