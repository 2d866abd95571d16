#include "core/sample/mask_track.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>

#include "model/atomic_file.h"

namespace pl::core {
namespace {
constexpr char kMagic[8] = {'P', 'L', 'M', 'A', 'S', 'K', 'S', '1'};

template <typename T>
void put(std::string& o, T v) {
  o.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
bool get(std::ifstream& i, T& v) {
  return static_cast<bool>(i.read(reinterpret_cast<char*>(&v), sizeof(T)));
}
}  // namespace

MaskTrackWriter::MaskTrackWriter(const std::string& path, int width, int height, double fps)
    : path_(path), tmp_(path + ".tmp"), width_(width), height_(height), fps_(fps) {
  // Fail now, not after a whole clip: the folder must take a file.
  {
    std::ofstream probe(tmp_, std::ios::binary);
    if (!probe) throw std::runtime_error("cannot create mask track '" + tmp_ + "'");
  }
  std::remove(tmp_.c_str());
}

void MaskTrackWriter::add(const cv::Mat& mask) {
  if (mask.type() != CV_8UC1 || mask.cols != width_ || mask.rows != height_)
    throw std::invalid_argument("mask track: frame must be CV_8UC1 " + std::to_string(width_) + "x" +
                                std::to_string(height_));
  cv::Mat m = mask > 0;  // 0/255
  std::vector<uchar> buf;
  cv::imencode(".png", m, buf, {cv::IMWRITE_PNG_COMPRESSION, 9, cv::IMWRITE_PNG_BILEVEL, 1});
  frames_.push_back(std::move(buf));
}

void MaskTrackWriter::add_labels(const cv::Mat& labels) {
  if (labels.type() != CV_8UC1 || labels.cols != width_ || labels.rows != height_)
    throw std::invalid_argument("mask track: frame must be CV_8UC1 " + std::to_string(width_) + "x" +
                                std::to_string(height_));
  std::vector<uchar> buf;
  cv::imencode(".png", labels, buf, {cv::IMWRITE_PNG_COMPRESSION, 9});
  frames_.push_back(std::move(buf));
}

void MaskTrackWriter::close() {
  if (closed_) return;
  closed_ = true;
  std::string o(kMagic, sizeof(kMagic));
  put<uint32_t>(o, static_cast<uint32_t>(width_));
  put<uint32_t>(o, static_cast<uint32_t>(height_));
  put<uint32_t>(o, static_cast<uint32_t>(frames_.size()));
  put<float>(o, static_cast<float>(fps_));
  for (const auto& f : frames_) {
    put<uint32_t>(o, static_cast<uint32_t>(f.size()));
    o.append(reinterpret_cast<const char*>(f.data()), f.size());
  }
  try {
    pl::io::write_file_atomic(path_, o);
  } catch (const pl::io::AtomicWriteError& e) {
    throw std::runtime_error("cannot write mask track '" + path_ + "': " + pl::io::describe_errno(e.error()));
  }
}

MaskTrackWriter::~MaskTrackWriter() {
  try {
    close();
  } catch (...) {
    std::remove(tmp_.c_str());
  }
}

cv::Mat MaskTrack::labels(size_t i) const {
  if (i >= png.size()) throw std::out_of_range("mask track has no frame " + std::to_string(i));
  cv::Mat m = cv::imdecode(png[i], cv::IMREAD_GRAYSCALE);
  if (m.empty() || m.cols != width || m.rows != height)
    throw std::runtime_error("mask track frame " + std::to_string(i) + " is damaged");
  return m;
}

cv::Mat MaskTrack::frame(size_t i) const { return (labels(i) > 0) & 1; }

MaskTrack read_mask_track(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open mask track '" + path + "'");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0)
    throw std::runtime_error("'" + path + "' is not a PolypLens mask track");
  MaskTrack t;
  uint32_t w = 0, h = 0, n = 0;
  float fps = 0;
  if (!get(in, w) || !get(in, h) || !get(in, n) || !get(in, fps) || w == 0 || h == 0 || w > 16384 ||
      h > 16384)
    throw std::runtime_error("mask track '" + path + "': bad header");
  t.width = static_cast<int>(w);
  t.height = static_cast<int>(h);
  t.fps = fps;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t len = 0;
    if (!get(in, len) || len > 64u * 1024 * 1024)
      throw std::runtime_error("mask track '" + path + "' is truncated at frame " + std::to_string(i));
    std::vector<uchar> buf(len);
    if (!in.read(reinterpret_cast<char*>(buf.data()), len))
      throw std::runtime_error("mask track '" + path + "' is truncated at frame " + std::to_string(i));
    t.png.push_back(std::move(buf));
  }
  return t;
}

}  // namespace pl::core
