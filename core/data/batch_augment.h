#pragma once
// The training augmentation of augment.h (mmseg's RandomResize -> RandomCrop(cat_max_ratio) ->
// RandomFlip -> PhotoMetricDistortion -> normalise -> pad) for a whole batch at once, on the device
// where the training set lives (CPU or CUDA), so the data path keeps up with a GPU.
//
// Split in two:
//  - draw_augment() makes every random choice of one sample on the host. It consumes the Rng in
//    exactly the order augment_train() does (ratio; crop y0, x0 and redraws; flip; brightness on,
//    delta; contrast_first; contrast on, alpha (here or last); saturation on, alpha; hue on, delta),
//    so seeding it as make_batch() seeds augment_train() (derive_seed(seed, epoch + 1, k)) keeps a
//    batch a pure function of (seed, iteration), and gives the same parameters as the per-sample
//    path. The only content-dependent draw is the cat_max_ratio retry, see below.
//  - augment_batch() applies the drawn parameters to all samples in one pass of tensor ops. All
//    per-sample parameters travel to the device as one host-built tensor (pinned and non_blocking
//    on CUDA); it never reads device memory back (no .item(), no device-to-host copy), so on CUDA it
//    only enqueues work. On CUDA the whole batch goes through each op at once; on the CPU it goes
//    a few samples at a time (cache-sized temporaries), with the same results.
//
// Semantics are those of augment_train(), with one documented difference: the cat_max_ratio check
// counts classes at the source resolution (the crop box mapped back through the nearest-neighbour
// index map onto the integral images), not on the resized label. The shares agree up to the
// rounding of the box boundary (rows/columns repeated or skipped by the resize), so a box near the
// threshold can be accepted here and rejected there (or vice versa); after that the Rng streams of
// the two paths part. With cat_max_ratio = 1 (or a resize by exactly 1) the draws are identical.
//
// Geometry is computed exactly as F::interpolate does on the CPU (bilinear, align_corners=false,
// source index in double as LibTorch's CPU kernel; nearest = floor(dst * (float)(in / out))), with
// the source coordinates clamped to each sample's own h x w, so the bank's padding never bleeds in.
// The results equal augment_train()'s up to float rounding of the bilinear sum (a resized pixel can
// land on the other side of a .5 and differ by one grey level), on CPU and CUDA alike.
//
// Threading model: SampleBank is immutable after build(); draw_augment() and augment_batch() only
// read it and may run concurrently on any threads (the BatchLoader's producer thread, typically).
#include <array>
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "core/data/augment.h"
#include "core/data/rng.h"
#include "core/data/sample_cache.h"

namespace pl::core::data {

// The training set decoded once, as uint8, resident on one device.
struct SampleBank {
  at::Tensor images;  // uint8 N x 3 x Hmax x Wmax RGB, contiguous, zero-padded bottom/right
  at::Tensor labels;  // uint8 N x Hmax x Wmax, contiguous, padded with ignore_index
  std::vector<std::array<int64_t, 2>> sizes;  // host: (h, w) of each sample
  // Host int32 (h+1) x (w+1) integral images (row 0 and column 0 are zero) for cat_max_ratio:
  // polyp_integral of (label == 1); valid_integral of (label != ignore_index), left undefined for a
  // sample without ignored pixels (every decoded Kvasir mask), whose valid count is the box area.
  std::vector<at::Tensor> polyp_integral;
  std::vector<at::Tensor> valid_integral;
  int ignore_index = 255;  // must equal AugmentOptions::ignore_index when augmenting

  // Samples: image uint8 3xHxW, label uint8 HxW with values in {0, 1, ignore_index} (binary
  // segmentation: the class shares come from the polyp count). Throws std::invalid_argument naming
  // the sample and the bad value (no samples, wrong dtype/shape, label value). Host memory for the
  // integrals is 4 bytes per pixel; the bank itself 4 bytes per padded pixel on `device`.
  static SampleBank build(const std::vector<Sample>& samples, const c10::Device& device, int ignore_index = 255);
  int64_t size() const { return static_cast<int64_t>(sizes.size()); }
};

// Every random choice for one sample, drawn on the host from an Rng (see draw_augment for the order).
struct AugmentDraw {
  double ratio = 1;                         // RandomResize ratio
  int64_t resized_h = 0, resized_w = 0;     // rescale_size() of the sample at base scale * ratio
  int64_t y0 = 0, x0 = 0, y1 = 0, x1 = 0;   // crop box in resized coordinates, [y0, y1) x [x0, x1)
  int crop_draws = 1;                       // boxes drawn (1 + cat_max_ratio redraws); diagnostics
  bool flip = false;                        // horizontal, applied to the crop
  // PhotoMetricDistortion (all false when AugmentOptions::photometric is off).
  bool brightness = false;
  double brightness_delta = 0;              // beta of x + beta
  bool contrast = false;
  double contrast_alpha = 1;                // alpha of x * alpha
  bool contrast_first = false;              // contrast before (true) or after (false) the HSV steps
  bool saturation = false;
  double saturation_alpha = 1;              // S * alpha in OpenCV's 8-bit HSV
  bool hue = false;
  int64_t hue_delta = 0;                    // (H + delta) mod 180
};

// Draws sample `index` of `bank`. Rng order, identical to augment_train():
//   ratio = uniform(ratio_min, ratio_max); y0 = randint(0, max(rh - crop_h, 0) + 1), x0 likewise;
//   while cat_max_ratio < 1 and the box fails (at most crop_tries times): redraw y0, x0 (the last
//   redraw is used unchecked); flip = uniform(0, 1) < flip_prob; then, if photometric:
//   brightness = randint(0, 2) [delta = uniform(-d, d)]; contrast_first = randint(0, 2) == 1;
//   if contrast_first: contrast = randint(0, 2) [alpha = uniform(lower, upper)];
//   saturation = randint(0, 2) [alpha = uniform(lower, upper)]; hue = randint(0, 2) [delta =
//   randint(-hue_delta, hue_delta)]; if !contrast_first: contrast = randint(0, 2) [alpha].
// A box passes when both classes are present and the larger share is < cat_max_ratio, counted at
// the source resolution (header comment). Throws std::invalid_argument for a bad index or options
// (including an ignore_index other than the bank's).
AugmentDraw draw_augment(const SampleBank& bank, int64_t index, const AugmentOptions& options, Rng& rng);

struct AugmentedBatch {
  at::Tensor images;  // float32 N x 3 x crop_h x crop_w, normalised, padded with 0
  at::Tensor labels;  // int64 N x crop_h x crop_w, {0, 1, ignore_index}
};

// Augments bank samples `indices` (repeats allowed) with `draws` (one per index, from draw_augment
// with the same options) on bank.images.device(), all at once; the result lives there too. Samples
// may have different sizes. Throws std::invalid_argument naming the value for an empty batch, an
// index out of range, a draws/indices size mismatch, a draw that does not fit its sample (box outside
// the resized image or larger than the crop) or bad options. Never synchronises with the device.
AugmentedBatch augment_batch(const SampleBank& bank, const std::vector<int64_t>& indices,
                             const std::vector<AugmentDraw>& draws, const AugmentOptions& options);

}  // namespace pl::core::data
