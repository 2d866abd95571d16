#include "core/data/decode.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "core/data/dataset.h"
#include "core/data/tiff.h"

// stb's implementations are compiled here, file-local (STB*_STATIC), so they never clash with a
// copy inside another library of the process.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_FAILURE_USERMSG
#include <stb_image.h>
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace pl::core::data {
namespace {

std::vector<unsigned char> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw DatasetError(path + ": unreadable (" + std::string(std::strerror(errno)) + ")");
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw DatasetError(path + ": unreadable or corrupt image file (empty)");
  return bytes;
}

// Any file to 8 bits per channel with its own channel count; 16-bit values are kept in `wide`
// when asked (label-index masks).
Image8 read_any(const std::string& path, std::vector<uint16_t>* wide = nullptr) {
  const auto bytes = read_file(path);
  if (is_tiff(bytes.data(), bytes.size())) return decode_tiff(bytes.data(), bytes.size(), path);  // by content
  const int len = static_cast<int>(std::min<size_t>(bytes.size(), static_cast<size_t>(INT32_MAX)));
  int w = 0, h = 0, c = 0;
  Image8 out;
  if (stbi_is_16_bit_from_memory(bytes.data(), len)) {
    stbi_us* p = stbi_load_16_from_memory(bytes.data(), len, &w, &h, &c, 0);
    if (!p) throw DatasetError(path + ": unreadable or corrupt image file (" + stbi_failure_reason() + ")");
    const size_t n = static_cast<size_t>(w) * static_cast<size_t>(h) * static_cast<size_t>(c);
    out.pixels.resize(n);
    for (size_t i = 0; i < n; ++i) out.pixels[i] = static_cast<uint8_t>((p[i] + 128) / 257);  // 65535 -> 255
    if (wide) wide->assign(p, p + n);
    stbi_image_free(p);
  } else {
    stbi_uc* p = stbi_load_from_memory(bytes.data(), len, &w, &h, &c, 0);
    if (!p) throw DatasetError(path + ": unreadable or corrupt image file (" + stbi_failure_reason() + ")");
    out.pixels.assign(p, p + static_cast<size_t>(w) * static_cast<size_t>(h) * static_cast<size_t>(c));
    stbi_image_free(p);
  }
  out.height = h;
  out.width = w;
  out.channels = c;
  return out;
}

}  // namespace

Image8 decode_image_rgb(const std::string& path) {
  Image8 m = read_any(path);
  if (m.channels == 3) return m;
  Image8 out;
  out.height = m.height;
  out.width = m.width;
  out.channels = 3;
  const size_t n = static_cast<size_t>(m.height) * static_cast<size_t>(m.width);
  out.pixels.resize(n * 3);
  const int c = m.channels;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* s = &m.pixels[i * static_cast<size_t>(c)];
    uint8_t* d = &out.pixels[i * 3];
    if (c <= 2) d[0] = d[1] = d[2] = s[0];  // gray (+ alpha)
    else std::copy(s, s + 3, d);             // RGBA: alpha dropped
  }
  return out;
}

Image8 decode_mask(const std::string& path) {
  std::vector<uint16_t> wide;
  Image8 m = read_any(path, &wide);
  const size_t n = static_cast<size_t>(m.height) * static_cast<size_t>(m.width);
  const int c = m.channels;
  Image8 gray;
  gray.height = m.height;
  gray.width = m.width;
  gray.channels = 1;
  gray.pixels.resize(n);
  // A 16-bit label-index mask (values 0/1) would become all background after the 1/257 scaling.
  const bool wide_labels = !wide.empty() && *std::max_element(wide.begin(), wide.end()) <= 1;
  for (size_t i = 0; i < n; ++i) {
    const size_t k = i * static_cast<size_t>(c);
    if (wide_labels) gray.pixels[i] = static_cast<uint8_t>(wide[k]);
    else if (c <= 2) gray.pixels[i] = m.pixels[k];
    else  // OpenCV's RGB2GRAY weights, rounded as its 8-bit path does
      gray.pixels[i] = static_cast<uint8_t>((m.pixels[k] * 4899 + m.pixels[k + 1] * 9617 + m.pixels[k + 2] * 1868 +
                                             8192) >> 14);
  }
  const uint8_t max_value = n ? *std::max_element(gray.pixels.begin(), gray.pixels.end()) : 0;
  if (max_value > 1)
    for (auto& v : gray.pixels) v = v > 127 ? 1 : 0;
  return gray;
}

std::vector<uint8_t> encode_png(const uint8_t* pixels, int height, int width, int channels) {
  if (!pixels || height <= 0 || width <= 0 || (channels != 1 && channels != 3 && channels != 4))
    throw std::runtime_error("encode_png: need an 8-bit image with 1, 3 or 4 channels and a positive size");
  std::vector<uint8_t> out;
  auto sink = [](void* ctx, void* data, int size) {
    auto* v = static_cast<std::vector<uint8_t>*>(ctx);
    v->insert(v->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  stbi_write_png_compression_level = 1;  // fast; a few percent larger than the default 8
  if (!stbi_write_png_to_func(sink, &out, width, height, channels, pixels, width * channels))
    throw std::runtime_error("encode_png: stb_image_write failed");
  return out;
}

}  // namespace pl::core::data
