#pragma once
// The mask overlay: pure functions on cv::Mat, no state, safe from any thread.
//
// Modes
//   Fill    every pixel is blended with its class colour, like mmsegmentation's show_result and the
//           paper's Figure 12: out = img * (1 - alpha) + colour * alpha, polyp red, background green.
//           Fixed point, so results are reproducible to the pixel on every machine: with
//           a = round(alpha * 256), out = (img * (256 - a) + colour * a + 128) >> 8 (for alphas that
//           are multiples of 1/256 this is the exact value rounded half up).
//   Outline the polyp pixels within outline_thickness px (Chebyshev) of a non-polyp pixel, blended
//           with the polyp colour the same way; the rest untouched.
//   Off     a copy of the frame.
// A mask of another size than the frame (the live pipeline keeps masks at the model's resolution,
// docs/architecture.md "Overlay") is upsampled bilinearly into a polyp weight m in [0, 1] per frame
// pixel (MaskUpsampler): Fill blends with bg + (polyp - bg) * m, so edges are smooth; Outline takes
// m >= 0.5 as polyp. The view's GPU compositor (ui/gl_compositor.h) computes the same numbers in a
// shader; the two agree within one grey level.
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/overlay/fov.h"

namespace pl::core {

enum class OverlayMode { Off, Fill, Outline };

const char* to_string(OverlayMode m);
// "fill" | "outline" | "off" (case-insensitive); throws std::invalid_argument naming the value.
OverlayMode overlay_mode_from_string(const std::string& s);

struct OverlayOptions {
  OverlayMode mode = OverlayMode::Fill;
  double alpha = 0.5;                              // [0, 1]: weight of the colour
  cv::Vec3b polyp_bgr{0, 0, 255};                  // red
  cv::Vec3b background_bgr{0, 255, 0};             // green
  int outline_thickness = 2;                       // px, >= 1
  // Paint only inside the scope's field of view when one is given (core/overlay/fov.h); false paints
  // the whole frame as before (a source without a scope's border that the detection misreads).
  bool limit_to_view = true;

  // Throws std::invalid_argument naming the bad value.
  void validate() const;
};

// Composites `mask` (CV_8U, 0 = background, non-zero = polyp) over `bgr` (CV_8UC3). A mask of a
// different size is upsampled bilinearly (above); an empty mask means "no mask yet" and
// the frame is returned unchanged. With a field of view (core/overlay/fov.h, of the frame's size),
// nothing outside it is painted: no background wash over the scope's black border, no polyp there.
// A view of another size but the frame's shape (found on the model's scaled copy) is scaled to it.
// Throws std::invalid_argument on wrong types or a view of another shape.
cv::Mat compose_overlay(const cv::Mat& bgr, const cv::Mat& mask, const OverlayOptions& options,
                        const FieldOfView* view = nullptr);

// Same, writing into `out` (reallocated only when its size/type differ), for a display loop that
// wants to avoid allocating a full frame every time.
void compose_overlay_into(const cv::Mat& bgr, const cv::Mat& mask, const OverlayOptions& options,
                          cv::Mat& out, const FieldOfView* view = nullptr);

// The bilinear upsampling of a 0/1 mask to the frame's size, in float32, in exactly this order (the
// shader repeats it): s = (x + 0.5) * (mask_w / frame_w) - 0.5; i = floor(s), f = s - i; the taps i and
// i + 1 clamped to the mask; top = a + (b - a) * fx, bottom = c + (d - c) * fx, m = top + (bottom - top) * fy.
class MaskUpsampler {
 public:
  MaskUpsampler(cv::Size frame, cv::Size mask);  // throws std::invalid_argument on empty sizes
  // Frame row y's weights into m[0, frame.width); false (m untouched) when the row is all background.
  bool row(const cv::Mat& mask, int y, float* m) const;
  // The same over [xb, xe) only, the columns where the weight can be non-zero (0 outside), given the
  // mask's per-row first and last non-zero columns (column_bounds(); x0 > x1 for an empty row).
  bool row_span(const cv::Mat& mask, const std::vector<cv::Vec2i>& bounds, int y, float* m, int& xb, int& xe) const;
  static std::vector<cv::Vec2i> column_bounds(const cv::Mat& mask);
  static void source_position(int x, float scale, int n, int& i0, int& i1, float& f);

 private:
  cv::Size frame_, mask_;
  float scale_y_ = 1;
  std::vector<int> x0_, x1_;
  std::vector<float> fx_;
};

// The polyp pixels of `mask` (CV_8U, non-zero = polyp) at `size`: the bilinear weight >= 0.5, as the
// overlay's outline and the screen see them (0/1, CV_8U). A mask of that size is returned as 0/1.
cv::Mat upsample_mask(const cv::Mat& mask, cv::Size size);

// Share of polyp pixels in percent (0 for an empty mask).
double polyp_area_percent(const cv::Mat& mask);

}  // namespace pl::core
