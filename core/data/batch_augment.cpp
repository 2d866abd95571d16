#include "core/data/batch_augment.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace pl::core::data {
namespace {

[[noreturn]] void bad(const std::string& message) { throw std::invalid_argument(message); }

std::string str(int64_t v) { return std::to_string(v); }

// --- Index maps of F::interpolate (LibTorch's CPU kernels, ATen/native/UpSample.h) -------------

// Bilinear, align_corners=false: the two source indices and weights of output index `dst`.
struct Linear {
  int64_t i0, i1;
  float w0, w1;
};

Linear linear_source(int64_t dst, int64_t in, int64_t out) {
  if (in == out) return {dst, dst, 1.0f, 0.0f};
  // area_pixel_compute_scale<float>, then compute_source_index_and_lambda with acc_type<float> =
  // double: the source position in double, clamped at 0, its weight rounded back to float.
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  double src = static_cast<double>(scale) * (static_cast<double>(dst) + 0.5) - 0.5;
  if (src < 0) src = 0;
  const int64_t i0 = static_cast<int64_t>(src);
  const int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
  const float w1 = static_cast<float>(src - static_cast<double>(i0));
  return {i0, i1, 1.0f - w1, w1};
}

// Nearest (legacy mode): nearest_idx().
int64_t nearest_source(int64_t dst, int64_t in, int64_t out) {
  if (out == in) return dst;
  if (out == 2 * in) return dst >> 1;
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  return std::min(static_cast<int64_t>(std::floor(static_cast<float>(dst) * scale)), in - 1);
}

// --- cat_max_ratio on integral images ------------------------------------------------------------

int64_t box_sum(const at::Tensor& integral, int64_t y0, int64_t x0, int64_t y1, int64_t x1) {
  const int32_t* p = integral.data_ptr<int32_t>();
  const int64_t stride = integral.size(1);
  return static_cast<int64_t>(p[y1 * stride + x1]) - p[y0 * stride + x1] - p[y1 * stride + x0] + p[y0 * stride + x0];
}

// mmseg's test (more than one class present, largest share < cat_max_ratio), with the resized box
// mapped back to source pixels through the nearest-neighbour index map.
bool crop_passes(const SampleBank& bank, int64_t index, const AugmentDraw& d, double cat_max_ratio) {
  const auto [h, w] = bank.sizes[static_cast<size_t>(index)];
  const int64_t sy0 = nearest_source(d.y0, h, d.resized_h), sy1 = nearest_source(d.y1 - 1, h, d.resized_h) + 1;
  const int64_t sx0 = nearest_source(d.x0, w, d.resized_w), sx1 = nearest_source(d.x1 - 1, w, d.resized_w) + 1;
  const int64_t polyp = box_sum(bank.polyp_integral[static_cast<size_t>(index)], sy0, sx0, sy1, sx1);
  const auto& vi = bank.valid_integral[static_cast<size_t>(index)];
  const int64_t valid = vi.defined() ? box_sum(vi, sy0, sx0, sy1, sx1) : (sy1 - sy0) * (sx1 - sx0);
  const int64_t background = valid - polyp;
  if (polyp <= 0 || background <= 0) return false;  // fewer than two classes (or nothing valid)
  return static_cast<double>(std::max(polyp, background)) / static_cast<double>(valid) < cat_max_ratio;
}

// --- OpenCV 8-bit HSV on batches ---------------------------------------------------------------
// augment.cpp's maths, value for value (the inputs are integers 0..255, so where(x > 0, x, 1) is
// x.clamp_min(1), and the branches it guards give the same zeros), in fewer tensor passes.

constexpr int64_t kChannelDim = 2;  // the work layout is N x W x 3 x H

std::array<at::Tensor, 3> rgb_to_hsv8(const at::Tensor& img, int64_t dim) {
  const auto r = img.select(dim, 0), g = img.select(dim, 1), b = img.select(dim, 2);
  const auto maxc = torch::max(torch::max(r, g), b);
  const auto diff = maxc - torch::min(torch::min(r, g), b);
  const auto safe = diff.clamp_min(1);
  const auto is_r = maxc == r, is_g = maxc == g;
  // 60 (g - b) / d if max is r, 120 + 60 (b - r) / d if g, 240 + 60 (r - g) / d if b; 0 for grey
  // (r == g == b: the r branch, 60 * 0 / 1).
  auto h = (60.0 * torch::where(is_r, g - b, torch::where(is_g, b - r, r - g))).div_(safe);
  h = torch::where(is_r, h, torch::where(is_g, h + 120.0, h + 240.0));
  h = torch::where(h < 0, h + 360.0, h);
  h = torch::round(h / 2.0).remainder_(180.0);
  auto s = torch::round((255.0 * diff).div_(maxc.clamp_min(1)));  // 0 when max == 0 (then diff == 0)
  return {h, s, maxc};
}

at::Tensor hsv8_to_rgb(const at::Tensor& h, const at::Tensor& s, const at::Tensor& v, int64_t dim) {
  const auto hh = h * 2.0 / 60.0;
  const auto sector = torch::floor(hh);
  const auto f = hh - sector;
  const auto i = sector.remainder(6.0);
  const auto sn = s / 255.0;
  const auto p = v * (1.0 - sn), q = v * (1.0 - sn * f), t = v * (1.0 - sn * (1.0 - f));
  // Sector i picks (r, g, b) from {0: v t p, 1: q v p, 2: p v t, 3: p q v, 4: t p v, 5: v p q}.
  const auto i0 = i == 0, i1 = i == 1, i2 = i == 2, i3 = i == 3, i4 = i == 4, i5 = i == 5;
  const auto r = torch::where(i0 | i5, v, torch::where(i1, q, torch::where(i4, t, p)));
  const auto g = torch::where(i1 | i2, v, torch::where(i0, t, torch::where(i3, q, p)));
  const auto b = torch::where(i3 | i4, v, torch::where(i2, t, torch::where(i5, q, p)));
  return torch::stack({r, g, b}, dim).round_().clamp_(0, 255);
}

// --- The per-batch parameter table ---------------------------------------------------------------
// One double vector (exact for the float weights and for every index), copied to the device once:
//   [B x kSample]   bank index, brightness beta, contrast alpha (first), contrast alpha (last)
//   [6]             mean RGB, std RGB
//   [B x CH x kAxis] rows: valid, i0, i1, w0, w1, nearest   (bilinear and nearest source rows)
//   [B x CW x kAxis] columns, the same (flip folded in)
//   [ns x 2]        saturation: batch position, alpha
//   [nh x 2]        hue: batch position, delta
constexpr int64_t kSample = 4, kAxis = 6;
// CPU work per chunk of samples, in image elements (3 x crop_h x crop_w each): 1 MB of float.
constexpr int64_t kCpuChunkElements = 256 * 1024;

// Output positions [0, n) of one axis of a crop [start, start + extent) of a `resized` image made
// from `in` source pixels; positions >= extent are padding (valid 0, indices 0).
void fill_axis(double* out, int64_t n, int64_t in, int64_t resized, int64_t start, int64_t extent, bool flip) {
  for (int64_t o = 0; o < n; ++o, out += kAxis) {
    if (o >= extent) {
      std::fill(out, out + kAxis, 0.0);
      continue;
    }
    const int64_t r = start + (flip ? extent - 1 - o : o);
    const Linear l = linear_source(r, in, resized);
    out[0] = 1.0;
    out[1] = static_cast<double>(l.i0);
    out[2] = static_cast<double>(l.i1);
    out[3] = static_cast<double>(l.w0);
    out[4] = static_cast<double>(l.w1);
    out[5] = static_cast<double>(nearest_source(r, in, resized));
  }
}

void check_bank(const SampleBank& bank, const AugmentOptions& o, const char* who) {
  if (bank.size() == 0 || !bank.images.defined() || !bank.labels.defined())
    bad(std::string(who) + ": the sample bank is empty (0 samples)");
  if (o.ignore_index != bank.ignore_index)
    bad(std::string(who) + ": options.ignore_index " + std::to_string(o.ignore_index) + " differs from the bank's " +
        std::to_string(bank.ignore_index));
}

void check_index(const SampleBank& bank, int64_t index, const char* who) {
  if (index < 0 || index >= bank.size())
    bad(std::string(who) + ": sample index " + str(index) + " out of range [0, " + str(bank.size()) + ")");
}

}  // namespace

SampleBank SampleBank::build(const std::vector<Sample>& samples, const c10::Device& device, int ignore_index) {
  if (samples.empty()) bad("SampleBank: no samples (0 given)");
  if (ignore_index < 2 || ignore_index > 255)
    bad("SampleBank: ignore_index must be in 2..255 (got " + std::to_string(ignore_index) + ")");
  const int64_t n = static_cast<int64_t>(samples.size());
  int64_t hmax = 0, wmax = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto& s = samples[static_cast<size_t>(i)];
    const std::string who = "SampleBank: sample " + str(i) + " (" + s.name + ")";
    if (!s.image.defined() || s.image.dim() != 3 || s.image.size(0) != 3 || s.image.scalar_type() != torch::kUInt8)
      bad(who + ": image must be uint8 3xHxW (got " +
          (s.image.defined() ? std::string(toString(s.image.scalar_type())) + " with " + str(s.image.dim()) + " dims"
                             : std::string("undefined")) +
          ")");
    if (s.image.size(1) < 1 || s.image.size(2) < 1)
      bad(who + ": empty image (" + str(s.image.size(1)) + "x" + str(s.image.size(2)) + ")");
    if (!s.label.defined() || s.label.dim() != 2 || s.label.scalar_type() != torch::kUInt8 ||
        s.label.size(0) != s.image.size(1) || s.label.size(1) != s.image.size(2))
      bad(who + ": label must be uint8 HxW matching the image " + str(s.image.size(1)) + "x" + str(s.image.size(2)));
    if (s.image.device().type() != c10::kCPU || s.label.device().type() != c10::kCPU)
      bad(who + ": samples must be on the host (got " + s.image.device().str() + ")");
    hmax = std::max(hmax, s.image.size(1));
    wmax = std::max(wmax, s.image.size(2));
  }
  SampleBank bank;
  bank.ignore_index = ignore_index;
  auto images = torch::zeros({n, 3, hmax, wmax}, torch::kUInt8);
  auto labels = torch::full({n, hmax, wmax}, ignore_index, torch::kUInt8);
  bank.sizes.reserve(samples.size());
  bank.polyp_integral.reserve(samples.size());
  bank.valid_integral.reserve(samples.size());
  for (int64_t i = 0; i < n; ++i) {
    const auto& s = samples[static_cast<size_t>(i)];
    const int64_t h = s.image.size(1), w = s.image.size(2);
    const auto odd = s.label.gt(1) & s.label.ne(ignore_index);
    if (odd.any().item<bool>())
      bad("SampleBank: sample " + str(i) + " (" + s.name + "): label value " +
          std::to_string(s.label.masked_select(odd)[0].item<int>()) + " is neither 0, 1 nor the ignore index " +
          std::to_string(ignore_index));
    images[i].slice(1, 0, h).slice(2, 0, w).copy_(s.image);
    labels[i].slice(0, 0, h).slice(1, 0, w).copy_(s.label);
    bank.sizes.push_back({h, w});
    auto integral = [](const at::Tensor& mask) {
      return torch::constant_pad_nd(mask.to(torch::kInt).cumsum(0, torch::kInt).cumsum(1, torch::kInt), {1, 0, 1, 0}, 0)
          .contiguous();
    };
    bank.polyp_integral.push_back(integral(s.label.eq(1)));
    const auto ignored = s.label.eq(ignore_index);
    bank.valid_integral.push_back(ignored.any().item<bool>() ? integral(ignored.logical_not()) : at::Tensor());
  }
  bank.images = images.to(device);
  bank.labels = labels.to(device);
  return bank;
}

AugmentDraw draw_augment(const SampleBank& bank, int64_t index, const AugmentOptions& o, Rng& rng) {
  o.validate();
  check_bank(bank, o, "draw_augment");
  check_index(bank, index, "draw_augment");
  const auto [h, w] = bank.sizes[static_cast<size_t>(index)];
  AugmentDraw d;
  // 1. RandomResize.
  d.ratio = uniform(rng, o.ratio_min, o.ratio_max);
  const auto size = rescale_size(h, w, o.base_long() * d.ratio, o.base_short() * d.ratio);
  d.resized_h = size[0];
  d.resized_w = size[1];
  // 2. RandomCrop (random_crop_box's draws).
  auto draw_box = [&] {
    d.y0 = randint(rng, 0, std::max<int64_t>(d.resized_h - o.crop_h, 0) + 1);
    d.x0 = randint(rng, 0, std::max<int64_t>(d.resized_w - o.crop_w, 0) + 1);
    d.y1 = std::min<int64_t>(d.y0 + o.crop_h, d.resized_h);
    d.x1 = std::min<int64_t>(d.x0 + o.crop_w, d.resized_w);
  };
  draw_box();
  if (o.cat_max_ratio < 1.0) {
    for (int t = 0; t < o.crop_tries; ++t) {
      if (crop_passes(bank, index, d, o.cat_max_ratio)) break;
      draw_box();  // after the last failed try this box is used unchecked, as in mmseg
      ++d.crop_draws;
    }
  }
  // 3. RandomFlip.
  d.flip = uniform(rng, 0.0, 1.0) < o.flip_prob;
  // 4. PhotoMetricDistortion (photometric_distortion's draws).
  if (o.photometric) {
    if (randint(rng, 0, 2)) {
      d.brightness = true;
      d.brightness_delta = uniform(rng, -o.brightness_delta, o.brightness_delta);
    }
    d.contrast_first = randint(rng, 0, 2) == 1;
    auto contrast = [&] {
      if (randint(rng, 0, 2)) {
        d.contrast = true;
        d.contrast_alpha = uniform(rng, o.contrast_lower, o.contrast_upper);
      }
    };
    if (d.contrast_first) contrast();
    if (randint(rng, 0, 2)) {
      d.saturation = true;
      d.saturation_alpha = uniform(rng, o.saturation_lower, o.saturation_upper);
    }
    if (randint(rng, 0, 2)) {
      d.hue = true;
      d.hue_delta = randint(rng, -o.hue_delta, o.hue_delta);
    }
    if (!d.contrast_first) contrast();
  }
  return d;
}

namespace {

// augment_batch for `nb` validated samples.
AugmentedBatch augment_span(const SampleBank& bank, const int64_t* indices, const AugmentDraw* draws, int64_t nb,
                            const AugmentOptions& o) {
  const int64_t ch = o.crop_h, cw = o.crop_w;
  // Host table (layout above). Saturation and hue run on the subsets that drew them only.
  int64_t ns = 0, nh = 0;
  for (int64_t k = 0; k < nb; ++k) {
    ns += draws[k].saturation ? 1 : 0;
    nh += draws[k].hue ? 1 : 0;
  }
  const int64_t off_norm = nb * kSample, off_rows = off_norm + 6, off_cols = off_rows + nb * ch * kAxis,
                off_sat = off_cols + nb * cw * kAxis, off_hue = off_sat + 2 * ns, total = off_hue + 2 * nh;
  const c10::Device device = bank.images.device();
  auto host = torch::empty({total}, torch::TensorOptions().dtype(torch::kDouble).pinned_memory(device.is_cuda()));
  double* t = host.data_ptr<double>();
  bool any_brightness = false, any_contrast_first = false, any_contrast_last = false;
  double* sat = t + off_sat;
  double* hue = t + off_hue;
  for (int64_t k = 0; k < nb; ++k) {
    const auto& d = draws[k];
    const int64_t index = indices[k];
    const auto [h, w] = bank.sizes[static_cast<size_t>(index)];
    double* s = t + k * kSample;
    s[0] = static_cast<double>(index);
    s[1] = d.brightness ? d.brightness_delta : 0.0;                       // x + 0 is exact: identity
    s[2] = d.contrast && d.contrast_first ? d.contrast_alpha : 1.0;       // x * 1 likewise
    s[3] = d.contrast && !d.contrast_first ? d.contrast_alpha : 1.0;
    any_brightness |= d.brightness;
    any_contrast_first |= d.contrast && d.contrast_first;
    any_contrast_last |= d.contrast && !d.contrast_first;
    fill_axis(t + off_rows + k * ch * kAxis, ch, h, d.resized_h, d.y0, d.y1 - d.y0, false);
    fill_axis(t + off_cols + k * cw * kAxis, cw, w, d.resized_w, d.x0, d.x1 - d.x0, d.flip);
    if (d.saturation) {
      *sat++ = static_cast<double>(k);
      *sat++ = d.saturation_alpha;
    }
    if (d.hue) {
      *hue++ = static_cast<double>(k);
      *hue++ = static_cast<double>(d.hue_delta);
    }
  }
  for (int c = 0; c < 3; ++c) {
    t[off_norm + c] = static_cast<double>(o.mean[static_cast<size_t>(c)]);
    t[off_norm + 3 + c] = static_cast<double>(o.std[static_cast<size_t>(c)]);
  }
  // From here on everything is enqueued on the device; nothing comes back to the host.
  const at::Tensor table = host.to(device, torch::kDouble, /*non_blocking=*/true);
  const auto per_sample = table.narrow(0, 0, nb * kSample).view({nb, kSample}).to(torch::kFloat);
  const auto norm = table.narrow(0, off_norm, 6).to(torch::kFloat);
  const auto rows = table.narrow(0, off_rows, nb * ch * kAxis).view({nb, ch, kAxis});
  const auto cols = table.narrow(0, off_cols, nb * cw * kAxis).view({nb, cw, kAxis});
  const auto rows_i = rows.to(torch::kLong), cols_i = cols.to(torch::kLong);
  const auto rows_f = rows.to(torch::kFloat), cols_f = cols.to(torch::kFloat);
  const auto bank_index = table.narrow(0, 0, nb * kSample).view({nb, kSample}).select(1, 0).to(torch::kLong);
  const int64_t hmax = bank.images.size(2), wmax = bank.images.size(3);

  // 1-3. Resize + crop + flip as one separable sampling, with row copies only (index_select; no
  // per-element gather): the two source rows of every output row from the bank viewed as rows, a
  // transpose, then the two source columns the same way. The work layout is N x CW x 3 x CH
  // (columns outermost) until the end. Blended in the order of LibTorch's kernel:
  // wy0 * (wx0 * a00 + wx1 * a01) + wy1 * (wx0 * a10 + wx1 * a11).
  const auto bank_index_col = bank_index.unsqueeze(1);                                    // B x 1
  const auto planes = (bank_index_col * 3 + torch::arange(3, bank_index.options())) * hmax;  // B x 3
  const auto bank_rows = bank.images.reshape({-1, wmax});
  const auto batch_columns = torch::arange(nb, bank_index.options()).unsqueeze(1) * wmax;  // B x 1
  // Source rows `y` (B x CH) of every sample, transposed to (B * Wmax) x (3 * CH) rows of columns.
  auto rows_transposed = [&](const at::Tensor& y) {
    return bank_rows.index_select(0, (planes.unsqueeze(2) + y.unsqueeze(1)).reshape({-1}))
        .view({nb, 3, ch, wmax})
        .permute({0, 3, 1, 2})
        .contiguous()
        .view({nb * wmax, 3 * ch});
  };
  // Columns `x` (B x CW) of such rows, uint8 B x CW x 3 x CH (uint8 * float weight promotes to float
  // in the same pass, with the same value as a conversion first).
  auto columns = [&](const at::Tensor& t, const at::Tensor& x) {
    return t.index_select(0, (batch_columns + x).reshape({-1})).view({nb, cw, 3, ch});
  };
  const auto x0 = cols_i.select(2, 1), x1 = cols_i.select(2, 2);
  const auto wx0 = cols_f.select(2, 3).reshape({nb, cw, 1, 1}), wx1 = cols_f.select(2, 4).reshape({nb, cw, 1, 1});
  const auto wy0 = rows_f.select(2, 3).reshape({nb, 1, 1, ch}), wy1 = rows_f.select(2, 4).reshape({nb, 1, 1, ch});
  at::Tensor img;
  {
    const auto r0 = rows_transposed(rows_i.select(2, 1));
    at::Tensor top = columns(r0, x0).mul(wx0).add_(columns(r0, x1).mul(wx1));
    const auto r1 = rows_transposed(rows_i.select(2, 2));
    at::Tensor bottom = columns(r1, x0).mul(wx0).add_(columns(r1, x1).mul(wx1));
    img = top.mul_(wy0).add_(bottom.mul_(wy1));
  }
  img.round_().clamp_(0, 255);  // B x CW x 3 x CH

  at::Tensor lab = bank.labels.reshape({-1, wmax})
                       .index_select(0, (bank_index_col * hmax + rows_i.select(2, 5)).reshape({-1}))
                       .view({nb, ch, wmax})
                       .transpose(1, 2)
                       .contiguous()
                       .view({nb * wmax, ch})
                       .index_select(0, (batch_columns + cols_i.select(2, 5)).reshape({-1}))
                       .view({nb, cw, ch});  // uint8, B x CW x CH
  // Padding: output columns or rows past the crop, B x CW x CH.
  const auto outside = (cols_f.select(2, 0) < 0.5f).unsqueeze(2) | (rows_f.select(2, 0) < 0.5f).unsqueeze(1);

  // 4. PhotoMetricDistortion with per-sample parameters (photometric_distortion's order; convert_ is
  // x * alpha + beta, clamped, floored; alpha 1 / beta 0 leave a 0..255 integer image unchanged).
  auto convert = [](at::Tensor& x) -> at::Tensor& { return x.clamp_(0, 255).floor_(); };
  auto per = [&](int64_t column) { return per_sample.select(1, column).reshape({nb, 1, 1, 1}); };
  if (any_brightness) {
    img.add_(per(1));
    convert(img);
  }
  if (any_contrast_first) {
    img.mul_(per(2));
    convert(img);
  }
  auto hsv_step = [&](int64_t offset, int64_t count, bool saturation) {
    if (count == 0) return;
    const auto list = table.narrow(0, offset, 2 * count).view({count, 2});
    const auto pos = list.select(1, 0).to(torch::kLong);
    const auto value = list.select(1, 1).to(torch::kFloat).reshape({count, 1, 1});
    auto [h, s, v] = rgb_to_hsv8(img.index_select(0, pos), kChannelDim);
    if (saturation) {
      s.mul_(value);
      convert(s);
    } else {
      h = (h + value).remainder(180.0);
    }
    img.index_copy_(0, pos, hsv8_to_rgb(h, s, v, kChannelDim));
  };
  hsv_step(off_sat, ns, true);
  hsv_step(off_hue, nh, false);
  if (any_contrast_last) {
    img.mul_(per(3));
    convert(img);
  }

  // 5. Normalise, 6. pad (image 0, label ignore_index) outside the resized image, back to N x 3 x H x W.
  // The division writes straight into the N x 3 x CH x CW result through a permuted view.
  img.sub_(norm.narrow(0, 0, 3).view({1, 1, 3, 1}));
  at::Tensor images = torch::empty({nb, 3, ch, cw}, img.options());
  at::Tensor images_work_layout = images.permute({0, 3, 1, 2});
  at::div_out(images_work_layout, img, norm.narrow(0, 3, 3).view({1, 1, 3, 1}));
  const auto outside_hw = outside.transpose(1, 2);  // B x CH x CW
  images.masked_fill_(outside_hw.unsqueeze(1), 0.0);
  at::Tensor labels = lab.transpose(1, 2).to(torch::kLong, /*non_blocking=*/false, /*copy=*/false,
                                             at::MemoryFormat::Contiguous);
  labels.masked_fill_(outside_hw, o.ignore_index);
  return {images, labels};
}

}  // namespace

AugmentedBatch augment_batch(const SampleBank& bank, const std::vector<int64_t>& indices,
                             const std::vector<AugmentDraw>& draws, const AugmentOptions& o) {
  o.validate();
  check_bank(bank, o, "augment_batch");
  if (indices.empty()) bad("augment_batch: empty batch (0 indices)");
  if (draws.size() != indices.size())
    bad("augment_batch: " + std::to_string(draws.size()) + " draws for " + std::to_string(indices.size()) + " indices");
  const int64_t nb = static_cast<int64_t>(indices.size()), ch = o.crop_h, cw = o.crop_w;
  for (int64_t k = 0; k < nb; ++k) {
    const int64_t index = indices[static_cast<size_t>(k)];
    check_index(bank, index, "augment_batch");
    const auto& d = draws[static_cast<size_t>(k)];
    const auto [h, w] = bank.sizes[static_cast<size_t>(index)];
    const auto size = rescale_size(h, w, o.base_long() * d.ratio, o.base_short() * d.ratio);
    const std::string who = "augment_batch: draw " + str(k) + " (sample " + str(index) + ")";
    if (d.resized_h != size[0] || d.resized_w != size[1])
      bad(who + ": resized size " + str(d.resized_h) + "x" + str(d.resized_w) + " is not the " + str(size[0]) + "x" +
          str(size[1]) + " of ratio " + std::to_string(d.ratio) + " (drawn for another sample or options?)");
    if (!(0 <= d.y0 && d.y0 < d.y1 && d.y1 <= d.resized_h && d.y1 - d.y0 <= ch && 0 <= d.x0 && d.x0 < d.x1 &&
          d.x1 <= d.resized_w && d.x1 - d.x0 <= cw))
      bad(who + ": crop box [" + str(d.y0) + ", " + str(d.y1) + ") x [" + str(d.x0) + ", " + str(d.x1) +
          ") does not fit the resized " + str(d.resized_h) + "x" + str(d.resized_w) + " image and the " + str(ch) +
          "x" + str(cw) + " crop");
  }

  // On the CPU, a few samples at a time: the ~80 elementwise passes (most in the HSV steps) then
  // run on cache-sized temporaries instead of streaming the whole batch through memory each time,
  // which is as fast as the per-sample path's small tensors. Elsewhere the whole batch at once
  // (fewest kernel launches). The results are the same either way.
  const int64_t per_sample = 3 * ch * cw;
  const int64_t chunk = bank.images.device().is_cpu() ? std::max<int64_t>(1, kCpuChunkElements / per_sample) : nb;
  if (chunk >= nb) return augment_span(bank, indices.data(), draws.data(), nb, o);
  auto options = torch::TensorOptions().device(bank.images.device());
  AugmentedBatch out{torch::empty({nb, 3, ch, cw}, options.dtype(torch::kFloat)),
                     torch::empty({nb, ch, cw}, options.dtype(torch::kLong))};
  for (int64_t k0 = 0; k0 < nb; k0 += chunk) {
    const int64_t n = std::min(chunk, nb - k0);
    const auto part = augment_span(bank, indices.data() + k0, draws.data() + k0, n, o);
    out.images.narrow(0, k0, n).copy_(part.images);
    out.labels.narrow(0, k0, n).copy_(part.labels);
  }
  return out;
}

}  // namespace pl::core::data
