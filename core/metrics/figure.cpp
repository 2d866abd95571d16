#include "core/metrics/figure.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include <torch/torch.h>

#include "core/metrics/seg_metrics.h"

namespace pl::core::metrics {
namespace {

namespace F = torch::nn::functional;
using pl::core::data::Image8;

constexpr int kColumns = 4;
constexpr uint8_t kBlack[3] = {0, 0, 0};

// --- Text ----------------------------------------------------------------------------------------
// The glyphs of stb_easy_font.h v1.1 (Sean Barrett, public domain / MIT; Debian libstb-dev), copied
// here so that the headless build needs no header beyond stb_image(_write).h (tests/gpu carries only
// those). Each character is a run of horizontal and vertical segments on a grid of font units, drawn
// as stb_easy_font_print's quads are: byte = (y << 4) | (advance x by 1 first << 3) | length.
struct Glyph {
  uint8_t advance, h_seg, v_seg;  // advance & 15: width; advance & 16: drawn one unit lower
};
constexpr Glyph kGlyphs[96] = {
    {6, 0, 0}, {3, 0, 0}, {5, 1, 1}, {7, 1, 4}, {7, 3, 7}, {7, 6, 12}, {7, 8, 19}, {4, 16, 21}, {4, 17, 22},
    {4, 19, 23}, {23, 21, 24}, {23, 22, 31}, {20, 23, 34}, {22, 23, 36}, {19, 24, 36}, {21, 25, 36},
    {6, 25, 39}, {6, 27, 43}, {6, 28, 45}, {6, 30, 49}, {6, 33, 53}, {6, 34, 57}, {6, 40, 58}, {6, 46, 59},
    {6, 47, 62}, {6, 55, 64}, {19, 57, 68}, {20, 59, 68}, {21, 61, 69}, {22, 66, 69}, {21, 68, 69},
    {7, 73, 69}, {9, 75, 74}, {6, 78, 81}, {6, 80, 85}, {6, 83, 90}, {6, 85, 91}, {6, 87, 95}, {6, 90, 96},
    {7, 92, 97}, {6, 96, 102}, {5, 97, 106}, {6, 99, 107}, {6, 100, 110}, {6, 100, 115}, {7, 101, 116},
    {6, 101, 121}, {6, 101, 125}, {6, 102, 129}, {7, 103, 133}, {6, 104, 140}, {6, 105, 145}, {7, 107, 149},
    {6, 108, 151}, {7, 109, 155}, {7, 109, 160}, {7, 109, 165}, {7, 118, 167}, {6, 118, 172}, {4, 120, 176},
    {6, 122, 177}, {4, 122, 181}, {23, 124, 182}, {22, 129, 182}, {4, 130, 182}, {22, 131, 183},
    {6, 133, 187}, {22, 135, 191}, {6, 137, 192}, {22, 139, 196}, {6, 144, 197}, {22, 147, 198},
    {6, 150, 202}, {19, 151, 206}, {21, 152, 207}, {6, 155, 209}, {3, 160, 210}, {23, 160, 211},
    {22, 164, 216}, {22, 165, 220}, {22, 167, 224}, {22, 169, 228}, {21, 171, 232}, {21, 173, 233},
    {5, 178, 233}, {22, 179, 234}, {23, 180, 238}, {23, 180, 243}, {23, 180, 248}, {22, 189, 248},
    {22, 191, 252}, {5, 196, 252}, {3, 203, 252}, {5, 203, 253}, {22, 210, 253}, {0, 214, 253},
};
constexpr uint8_t kHSegs[214] = {
    97, 37, 69, 84, 28, 51, 2, 18, 10, 49, 98, 41, 65, 25, 81, 105, 33, 9, 97, 1, 97, 37, 37, 36, 81, 10, 98,
    107, 3, 100, 3, 99, 58, 51, 4, 99, 58, 8, 73, 81, 10, 50, 98, 8, 73, 81, 4, 10, 50, 98, 8, 25, 33, 65, 81,
    10, 50, 17, 65, 97, 25, 33, 25, 49, 9, 65, 20, 68, 1, 65, 25, 49, 41, 11, 105, 13, 101, 76, 10, 50, 10,
    50, 98, 11, 99, 10, 98, 11, 50, 99, 11, 50, 11, 99, 8, 57, 58, 3, 99, 99, 107, 10, 10, 11, 10, 99, 11, 5,
    100, 41, 65, 57, 41, 65, 9, 17, 81, 97, 3, 107, 9, 97, 1, 97, 33, 25, 9, 25, 41, 100, 41, 26, 82, 42, 98,
    27, 83, 42, 98, 26, 51, 82, 8, 41, 35, 8, 10, 26, 82, 114, 42, 1, 114, 8, 9, 73, 57, 81, 41, 97, 18, 8, 8,
    25, 26, 26, 82, 26, 82, 26, 82, 41, 25, 33, 82, 26, 49, 73, 35, 90, 17, 81, 41, 65, 57, 41, 65, 25, 81,
    90, 114, 20, 84, 73, 57, 41, 49, 25, 33, 65, 81, 9, 97, 1, 97, 25, 33, 65, 81, 57, 33, 25, 41, 25,
};
constexpr uint8_t kVSegs[253] = {
    4, 2, 8, 10, 15, 8, 15, 33, 8, 15, 8, 73, 82, 73, 57, 41, 82, 10, 82, 18, 66, 10, 21, 29, 1, 65, 27, 8,
    27, 9, 65, 8, 10, 50, 97, 74, 66, 42, 10, 21, 57, 41, 29, 25, 14, 81, 73, 57, 26, 8, 8, 26, 66, 3, 8, 8,
    15, 19, 21, 90, 58, 26, 18, 66, 18, 105, 89, 28, 74, 17, 8, 73, 57, 26, 21, 8, 42, 41, 42, 8, 28, 22, 8,
    8, 30, 7, 8, 8, 26, 66, 21, 7, 8, 8, 29, 7, 7, 21, 8, 8, 8, 59, 7, 8, 8, 15, 29, 8, 8, 14, 7, 57, 43, 10,
    82, 7, 7, 25, 42, 25, 15, 7, 25, 41, 15, 21, 105, 105, 29, 7, 57, 57, 26, 21, 105, 73, 97, 89, 28, 97, 7,
    57, 58, 26, 82, 18, 57, 57, 74, 8, 30, 6, 8, 8, 14, 3, 58, 90, 58, 11, 7, 74, 43, 74, 15, 2, 82, 2, 42,
    75, 42, 10, 67, 57, 41, 10, 7, 2, 42, 74, 106, 15, 2, 35, 8, 8, 29, 7, 8, 8, 59, 35, 51, 8, 8, 15, 35, 30,
    35, 8, 8, 30, 7, 8, 8, 60, 36, 8, 45, 7, 7, 36, 8, 43, 8, 44, 21, 8, 8, 44, 35, 8, 8, 43, 23, 8, 8, 43,
    35, 8, 8, 31, 21, 15, 20, 8, 8, 28, 18, 58, 89, 58, 26, 21, 89, 73, 89, 29, 20, 8, 8, 30, 7,
};
constexpr int kLineHeight = 12;  // font units, stb_easy_font's line feed
constexpr int kCapHeight = 7;    // font units: capitals and digits span rows [0, 7)

const Glyph& glyph(char ch, int& index) {
  const auto u = static_cast<unsigned char>(ch);
  index = (u >= 32 && u <= 126) ? u - 32 : '?' - 32;
  return kGlyphs[index];
}

// Width of one line in font units.
int text_width(const std::string& s) {
  int w = 0, i = 0;
  for (char ch : s) w += glyph(ch, i).advance & 15;
  return w;
}

// Fills `r` clipped to `clip` with `rgb`.
void fill(Image8& img, Rect r, const Rect& clip, const uint8_t rgb[3]) {
  r = intersection(intersection(r, clip), Rect{0, 0, img.width, img.height});
  for (int y = r.y; y < r.bottom(); ++y) {
    uint8_t* p = img.pixels.data() + (static_cast<size_t>(y) * static_cast<size_t>(img.width) + r.x) * 3;
    for (int x = 0; x < r.width; ++x, p += 3) std::memcpy(p, rgb, 3);
  }
}

// Draws one line of text in black with its top-left at (x, y), `scale` pixels per font unit, inside `clip`.
void draw_text(Image8& img, const std::string& s, int x, int y, int scale, const Rect& clip) {
  for (char ch : s) {
    int i = 0;
    const Glyph& g = glyph(ch, i);
    const int top = y + ((g.advance & 16) ? scale : 0);
    for (int vertical = 0; vertical < 2; ++vertical) {
      const int first = vertical ? g.v_seg : g.h_seg;
      const int last = vertical ? kGlyphs[i + 1].v_seg : kGlyphs[i + 1].h_seg;
      const uint8_t* segs = vertical ? kVSegs : kHSegs;
      int sx = 0;  // font units from the glyph's left edge
      for (int k = first; k < last; ++k) {
        const int len = segs[k] & 7;
        sx += (segs[k] >> 3) & 1;
        if (len == 0) continue;
        const int sy = segs[k] >> 4;
        const int w = vertical ? 1 : len, h = vertical ? len : 1;
        fill(img, Rect{x + sx * scale, top + sy * scale, w * scale, h * scale}, clip, kBlack);
      }
    }
    x += (g.advance & 15) * scale;
  }
}

// The largest scale in [1, max_scale] at which every line fits `width` and the block fits `height`.
int fit_scale(const std::vector<std::string>& lines, int width, int height, int max_scale) {
  int widest = 1;
  for (const auto& l : lines) widest = std::max(widest, text_width(l));
  const int rows = static_cast<int>(lines.size());
  const int tall = (rows - 1) * kLineHeight + kCapHeight + 3;  // + descenders
  return std::clamp(std::min(width / widest, height / std::max(1, tall)), 1, max_scale);
}

// The column titles, one scale for all, each centred in its header box and drawn bold.
void put_headers(Image8& img, const FigureLayout& l) {
  const Rect box = l.header(0);
  if (box.empty()) return;
  std::string widest;
  for (const auto& t : l.column_titles)
    if (text_width(t) > text_width(widest)) widest = t;
  const int s = fit_scale({widest}, box.width - 8, box.height, 2);
  for (int c = 0; c < kColumns; ++c) {
    const Rect b = l.header(c);
    const std::string& text = l.column_titles[static_cast<size_t>(c)];
    const int x = b.x + (b.width - text_width(text) * s) / 2, y = b.y + (b.height - kCapHeight * s) / 2;
    draw_text(img, text, x, y, s, b);
    draw_text(img, text, x + 1, y, s, b);
  }
}

// Lines left-aligned 8 px in, centred vertically; the first one bold (drawn twice, one pixel apart).
void put_lines(Image8& img, const std::vector<std::string>& lines, const Rect& box) {
  if (box.empty() || lines.empty()) return;
  // One scale for every row: fitted to the widest label there can be.
  const int s = fit_scale({"medium", "area 100.0%", "Dice 0.000"}, box.width - 16, box.height, 2);
  const int step = kLineHeight * s, n = static_cast<int>(lines.size());
  int y = box.y + (box.height - ((n - 1) * step + kCapHeight * s)) / 2;
  for (int i = 0; i < n; ++i, y += step) {
    draw_text(img, lines[static_cast<size_t>(i)], box.x + 8, y, s, box);
    if (i == 0) draw_text(img, lines[0], box.x + 9, y, s, box);
  }
}

// --- Pixels --------------------------------------------------------------------------------------

// A borrowed HxWxC uint8 tensor over an Image8.
at::Tensor as_tensor(const Image8& im) {
  return torch::from_blob(const_cast<uint8_t*>(im.pixels.data()), {im.height, im.width, im.channels}, torch::kUInt8);
}

// HxWxC uint8 -> h x w x C uint8: bilinear (align_corners=false), antialiased when shrinking, rounded.
at::Tensor resize_image(const at::Tensor& hwc, int h, int w) {
  if (hwc.size(0) == h && hwc.size(1) == w) return hwc.contiguous();
  const bool down = h < hwc.size(0) || w < hwc.size(1);
  const at::Tensor x = F::interpolate(hwc.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat),
                                      F::InterpolateFuncOptions()
                                          .size(std::vector<int64_t>{h, w})
                                          .mode(torch::kBilinear)
                                          .align_corners(false)
                                          .antialias(down));
  return x.round().clamp(0, 255).to(torch::kUInt8).squeeze(0).permute({1, 2, 0}).contiguous();
}

// HxW 0/1 uint8 -> h x w, nearest neighbour (source pixel floor(dst * src / dst), as cv::INTER_NEAREST).
at::Tensor resize_mask(const at::Tensor& hw, int h, int w) {
  if (hw.size(0) == h && hw.size(1) == w) return hw.contiguous();
  const at::Tensor x =
      F::interpolate(hw.unsqueeze(0).unsqueeze(0).to(torch::kFloat),
                     F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kNearest));
  return x.squeeze(0).squeeze(0).to(torch::kUInt8).contiguous();
}

// A 0/1 mask of h x w from any non-zero labels.
at::Tensor binary_mask(const std::vector<uint8_t>& m, int h, int w) {
  return torch::from_blob(const_cast<uint8_t*>(m.data()), {h, w}, torch::kUInt8).ne(0).to(torch::kUInt8);
}

// Copies a h x w x 3 (or h x w, drawn white on black) uint8 tensor into `img` at `r`.
void paste(Image8& img, const at::Tensor& panel, const Rect& r) {
  const at::Tensor rgb =
      panel.dim() == 2 ? (panel * 255).unsqueeze(2).expand({-1, -1, 3}).contiguous() : panel.contiguous();
  const auto* src = rgb.data_ptr<uint8_t>();
  const size_t row_bytes = static_cast<size_t>(r.width) * 3;
  for (int y = 0; y < r.height; ++y)
    std::memcpy(img.pixels.data() + (static_cast<size_t>(r.y + y) * static_cast<size_t>(img.width) + r.x) * 3,
                src + static_cast<size_t>(y) * row_bytes, row_bytes);
}

// core/overlay's Fill mode on RGB pixels, to the bit: a = round(alpha * 256),
// out = (v * (256 - a) + colour * a + 128) >> 8, the polyp colour where mask != 0, background elsewhere.
at::Tensor segmented(const at::Tensor& rgb, const at::Tensor& mask01, const FigureOptions& o) {
  const int a = static_cast<int>(std::lround(o.alpha * 256.0));
  const int keep = 256 - a;
  at::Tensor out = torch::empty_like(rgb);
  const auto* src = rgb.data_ptr<uint8_t>();
  const auto* m = mask01.data_ptr<uint8_t>();
  auto* dst = out.data_ptr<uint8_t>();
  const int64_t n = mask01.numel();
  for (int64_t i = 0; i < n; ++i) {
    const auto& colour = m[i] ? o.polyp_rgb : o.background_rgb;
    for (int c = 0; c < 3; ++c)
      dst[i * 3 + c] = static_cast<uint8_t>((src[i * 3 + c] * keep + colour[static_cast<size_t>(c)] * a + 128) >> 8);
  }
  return out;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

Rect intersection(const Rect& a, const Rect& b) {
  const int x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const int x1 = std::min(a.right(), b.right()), y1 = std::min(a.bottom(), b.bottom());
  if (x1 <= x0 || y1 <= y0) return {};
  return {x0, y0, x1 - x0, y1 - y0};
}

void FigureOptions::validate() const {
  auto bad = [](const std::string& m) { throw std::invalid_argument("figure: " + m); };
  if (rows < 1 || rows > 50) bad("rows must be in [1, 50], got " + std::to_string(rows));
  if (cell_width < 16 || cell_height < 16 || cell_width > 4096 || cell_height > 4096)
    bad("cells (cell_width x cell_height) must be 16x16 to 4096x4096, got " + std::to_string(cell_width) + "x" +
        std::to_string(cell_height));
  if (label_width < 0 || label_width > 4096)
    bad("label_width must be in [0, 4096], got " + std::to_string(label_width));
  if (header_height < 0 || header_height > 4096)
    bad("header_height must be in [0, 4096], got " + std::to_string(header_height));
  if (gap < 0 || gap > 1024) bad("gap must be in [0, 1024], got " + std::to_string(gap));
  if (!(alpha >= 0.0 && alpha <= 1.0)) bad("alpha must be in [0, 1], got " + std::to_string(alpha));
}

Rect FigureLayout::header(int column) const {
  return {options.label_width + options.gap + column * (options.cell_width + options.gap), 0, options.cell_width,
          options.header_height};
}

Rect FigureLayout::label(int row) const {
  return {0, options.header_height + row * (options.cell_height + options.gap), options.label_width,
          options.cell_height};
}

Rect FigureLayout::panel(int row, int column) const {
  return {header(column).x, label(row).y, options.cell_width, options.cell_height};
}

FigureLayout figure_layout(const FigureOptions& options) {
  options.validate();
  FigureLayout l;
  l.options = options;
  l.rows = options.rows;
  l.column_titles = {"Image", "Ground truth", "Prediction", "Segmented"};
  l.width = options.label_width + kColumns * (options.cell_width + options.gap);
  l.height = options.header_height + options.rows * options.cell_height + (options.rows - 1) * options.gap;
  return l;
}

std::vector<size_t> pick_by_area(const std::vector<double>& areas, int rows) {
  std::vector<size_t> order(areas.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return areas[a] < areas[b]; });
  if (rows <= 0) return {};
  if (order.size() <= static_cast<size_t>(rows)) return order;
  std::vector<size_t> out;
  const double n = static_cast<double>(order.size());
  for (int k = 0; k < rows; ++k) {
    const auto pos = static_cast<size_t>((2.0 * k + 1.0) / (2.0 * rows) * n);
    out.push_back(order[std::min(pos, order.size() - 1)]);
  }
  return out;
}

Figure make_figure(const std::vector<pl::core::data::SamplePair>& pairs, const PredictFn& predict,
                   const FigureOptions& options) {
  options.validate();
  if (pairs.empty()) throw std::invalid_argument("figure: no image/mask pairs to choose from");
  if (!predict) throw std::invalid_argument("figure: no prediction function");

  std::vector<double> areas;
  areas.reserve(pairs.size());
  for (const auto& p : pairs) {
    const Image8 m = pl::core::data::decode_mask(p.mask_path);
    const auto polyp = std::count_if(m.pixels.begin(), m.pixels.end(), [](uint8_t v) { return v != 0; });
    areas.push_back(m.pixels.empty() ? 0.0 : static_cast<double>(polyp) / static_cast<double>(m.pixels.size()));
  }
  std::vector<size_t> ranked(pairs.size());
  std::iota(ranked.begin(), ranked.end(), size_t{0});
  std::stable_sort(ranked.begin(), ranked.end(), [&](size_t a, size_t b) { return areas[a] < areas[b]; });
  std::vector<size_t> rank_of(pairs.size());
  for (size_t r = 0; r < ranked.size(); ++r) rank_of[ranked[r]] = r;

  const std::vector<size_t> picked = pick_by_area(areas, options.rows);
  FigureOptions o = options;
  o.rows = static_cast<int>(picked.size());
  Figure fig;
  fig.layout = figure_layout(o);
  fig.image.height = fig.layout.height;
  fig.image.width = fig.layout.width;
  fig.image.channels = 3;
  fig.image.pixels.assign(static_cast<size_t>(fig.image.height) * static_cast<size_t>(fig.image.width) * 3, 255);
  put_headers(fig.image, fig.layout);

  const int ch = o.cell_height, cw = o.cell_width;
  for (int r = 0; r < o.rows; ++r) {
    const size_t i = picked[static_cast<size_t>(r)];
    const auto& pair = pairs[i];
    const Image8 img = pl::core::data::decode_image_rgb(pair.image_path);
    const Image8 gt_file = pl::core::data::decode_mask(pair.mask_path);
    const at::Tensor gt =
        resize_mask(binary_mask(gt_file.pixels, gt_file.height, gt_file.width), img.height, img.width);
    const std::vector<uint8_t> pred_v = predict(img);
    const size_t n = static_cast<size_t>(img.height) * static_cast<size_t>(img.width);
    if (pred_v.size() != n)
      throw std::runtime_error("figure: the prediction for '" + pair.name + "' has " + std::to_string(pred_v.size()) +
                               " values, expected " + std::to_string(img.height) + "x" + std::to_string(img.width));
    const at::Tensor pred = binary_mask(pred_v, img.height, img.width);
    const auto inter = (gt & pred).sum().item<int64_t>();
    const auto score = score_image(inter, pred.sum().item<int64_t>(), gt.sum().item<int64_t>());

    FigureRow row;
    row.name = pair.name;
    const size_t tercile = rank_of[i] * 3 / pairs.size();
    row.size_class = tercile == 0 ? "small" : tercile == 1 ? "medium" : "large";
    row.gt_area_percent = 100.0 * areas[i];
    row.pred_area_percent = 100.0 * static_cast<double>(score.pred_area) / static_cast<double>(n);
    row.dice = score.dice;
    fig.rows.push_back(row);

    const at::Tensor img_cell = resize_image(as_tensor(img), ch, cw), pred_cell = resize_mask(pred, ch, cw);
    paste(fig.image, img_cell, fig.layout.panel(r, 0));
    paste(fig.image, resize_mask(gt, ch, cw), fig.layout.panel(r, 1));
    paste(fig.image, pred_cell, fig.layout.panel(r, 2));
    paste(fig.image, segmented(img_cell, pred_cell, o), fig.layout.panel(r, 3));
    put_lines(fig.image,
              {row.size_class, "area " + fmt("%.1f%%", row.gt_area_percent), "Dice " + fmt("%.3f", row.dice)},
              fig.layout.label(r));
  }
  return fig;
}

}  // namespace pl::core::metrics
