#include "core/sample/sample_clip.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/sample/mask_track.h"

namespace pl::core {
namespace fs = std::filesystem;

void SampleClipOptions::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("sample clip: " + what); };
  if (data_dir.empty()) bad("data_dir is empty");
  if (out_video.empty() || out_masks.empty()) bad("out_video and out_masks are required");
  if (width < 64 || height < 64 || width % 2 || height % 2)
    bad("size must be even and at least 64x64, got " + std::to_string(width) + "x" + std::to_string(height));
  if (fps <= 0 || fps > 120) bad("fps must be in (0, 120], got " + std::to_string(fps));
  if (images < 1 || images > 254)
    bad("images must be 1-254 (the mask track numbers each image's polyp), got " + std::to_string(images));
  if (crossfade_seconds < 0 || crossfade_seconds * 2 >= seconds_per_image)
    bad("crossfade_seconds must be in [0, seconds_per_image/2), got " + std::to_string(crossfade_seconds));
}

namespace {

struct Shot {
  cv::Mat image, mask;  // BGR, CV_8U 0/1
  double z0, z1, r0, r1;
  cv::Point2d c0, c1;   // centres in image pixels
};

double smooth(double t) { return t * t * (3 - 2 * t); }

// Image -> frame affine for the camera at local time t in [0, 1].
cv::Mat camera(const Shot& s, double t, int W, int H) {
  const double e = smooth(std::clamp(t, 0.0, 1.0));
  const double cover = std::max(double(W) / s.image.cols, double(H) / s.image.rows);
  const double scale = cover * (s.z0 + (s.z1 - s.z0) * e);
  const double rot = s.r0 + (s.r1 - s.r0) * e;
  const cv::Point2d c = s.c0 + (s.c1 - s.c0) * e;
  cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(float(c.x), float(c.y)), rot, scale);
  m.at<double>(0, 2) += W / 2.0 - c.x;
  m.at<double>(1, 2) += H / 2.0 - c.y;
  return m;
}

void render(const Shot& s, double t, double dt, int W, int H, cv::Mat& frame, cv::Mat& mask) {
  cv::Mat m = camera(s, t, W, H);
  cv::warpAffine(s.image, frame, m, cv::Size(W, H), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  cv::warpAffine(s.mask, mask, m, cv::Size(W, H), cv::INTER_NEAREST, cv::BORDER_REFLECT);
  // Motion blur in proportion to how far the frame centre moves between frames.
  cv::Mat m2 = camera(s, t + dt, W, H);
  const double dx = m2.at<double>(0, 2) - m.at<double>(0, 2), dy = m2.at<double>(1, 2) - m.at<double>(1, 2);
  const double sigma = std::min(2.0, 0.35 * std::hypot(dx, dy));
  if (sigma > 0.3) cv::GaussianBlur(frame, frame, cv::Size(0, 0), sigma);
}

std::vector<std::string> read_names(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read split file '" + file.string() + "'");
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

}  // namespace

SampleClipResult make_sample_clip(const SampleClipOptions& o,
                                  const std::function<void(int, int)>& progress) {
  o.validate();
  const fs::path root(o.data_dir);
  auto names = read_names(root / (o.split + ".txt"));
  if (names.size() < size_t(o.images))
    throw std::runtime_error("split '" + o.split + "' has " + std::to_string(names.size()) +
                             " images, need " + std::to_string(o.images));

  // Rank by polyp area and take evenly spaced quantiles (small to large polyps), jittered by the seed.
  std::mt19937 rng(o.seed);
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& n : names) {
    cv::Mat m = cv::imread((root / "masks" / (n + ".jpg")).string(), cv::IMREAD_GRAYSCALE);
    if (m.empty()) continue;
    ranked.emplace_back(cv::countNonZero(m > 127) / double(m.total()), n);
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<Shot> shots;
  SampleClipResult res;
  const size_t bucket = ranked.size() / size_t(o.images);
  for (int i = 0; i < o.images; ++i) {
    const size_t idx = i * bucket + std::uniform_int_distribution<size_t>(0, bucket - 1)(rng);
    const auto& [area, name] = ranked[idx];
    Shot s;
    s.image = cv::imread((root / "images" / (name + ".jpg")).string(), cv::IMREAD_COLOR);
    s.mask = cv::imread((root / "masks" / (name + ".jpg")).string(), cv::IMREAD_GRAYSCALE);
    if (s.image.empty() || s.mask.empty() || s.image.size() != s.mask.size())
      throw std::runtime_error("unreadable or mismatched pair '" + name + "'");
    s.mask = (s.mask > 127) & 1;
    std::uniform_real_distribution<double> zoom(1.12, 1.45), rot(-6, 6), frac(0.38, 0.62);
    s.z0 = zoom(rng);
    s.z1 = zoom(rng);
    s.r0 = rot(rng);
    s.r1 = rot(rng);
    // Keep the polyp in view: drift between points near the mask's centre of mass and the image centre.
    cv::Moments mo = cv::moments(s.mask, true);
    cv::Point2d com = mo.m00 > 0 ? cv::Point2d(mo.m10 / mo.m00, mo.m01 / mo.m00)
                                 : cv::Point2d(s.image.cols / 2.0, s.image.rows / 2.0);
    cv::Point2d mid(s.image.cols / 2.0, s.image.rows / 2.0);
    s.c0 = mid + (com - mid) * frac(rng);
    s.c1 = mid + (com - mid) * frac(rng) + cv::Point2d((frac(rng) - 0.5) * 0.2 * s.image.cols, 0);
    shots.push_back(std::move(s));
    res.images.push_back(name);
    res.polyp_area.push_back(area);
  }

  const int per = int(std::lround(o.seconds_per_image * o.fps));
  const int fade = int(std::lround(o.crossfade_seconds * o.fps));
  const int total = o.images * per - (o.images - 1) * fade;
  const std::string pipeline =
      "appsrc ! videoconvert ! video/x-raw,format=I420 ! x264enc bitrate=" + std::to_string(o.bitrate_kbps) +
      " speed-preset=slow key-int-max=" + std::to_string(int(o.fps)) +
      " ! video/x-h264,profile=main ! mp4mux ! filesink location=\"" + o.out_video + "\"";
  fs::create_directories(fs::absolute(o.out_video).parent_path());
  cv::VideoWriter writer(pipeline, cv::CAP_GSTREAMER, 0, o.fps, cv::Size(o.width, o.height), true);
  if (!writer.isOpened())
    throw std::runtime_error("cannot open the H.264 writer for '" + o.out_video +
                             "' (needs gstreamer1.0-plugins-ugly for x264enc)");
  MaskTrackWriter masks(o.out_masks, o.width, o.height, o.fps);

  cv::Mat fa, ma, fb, mb;
  for (int f = 0; f < total; ++f) {
    // Shot i covers frames [i*(per-fade), i*(per-fade)+per).
    const int step = per - fade;
    int i = std::min(f / step, o.images - 1);
    int local = f - i * step;
    if (i > 0 && local < fade) {  // still inside the previous shot's tail
      --i;
      local += step;
    }
    const double dt = 1.0 / per;
    render(shots[i], local / double(per), dt, o.width, o.height, fa, ma);
    int polyp = i + 1;  // each image's polyp is numbered in the track (1, 2, ...)
    if (local >= step && i + 1 < o.images) {  // cross-fade into the next shot
      const int into = local - step;
      const double a = (into + 1) / double(fade + 1);
      render(shots[i + 1], into / double(per), dt, o.width, o.height, fb, mb);
      cv::addWeighted(fa, 1 - a, fb, a, 0, fa);
      if (a >= 0.5) {  // the ground truth follows the dominant image
        mb.copyTo(ma);  // a copy: sharing mb's buffer would let the next render() overwrite ma
        polyp = i + 2;
      }
    }
    writer.write(fa);
    masks.add_labels(ma * polyp);
    if (progress) progress(f + 1, total);
  }
  writer.release();
  masks.close();
  res.frames = total;
  res.seconds = total / o.fps;
  return res;
}

}  // namespace pl::core
