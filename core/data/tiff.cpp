#include "core/data/tiff.h"

#include <algorithm>
#include <map>
#include <vector>

#include "core/data/dataset.h"

namespace pl::core::data {
namespace {

// Tags read (TIFF 6.0 baseline numbering).
enum : uint16_t {
  kWidth = 256, kHeight = 257, kBitsPerSample = 258, kCompression = 259, kPhotometric = 262,
  kStripOffsets = 273, kSamplesPerPixel = 277, kRowsPerStrip = 278, kStripByteCounts = 279,
  kPlanarConfig = 284, kPredictor = 317, kTileWidth = 322, kTileLength = 323, kTileOffsets = 324,
  kTileByteCounts = 325, kSampleFormat = 339,
};

const char* tag_name(uint16_t tag) {
  switch (tag) {
    case kWidth: return "ImageWidth";
    case kHeight: return "ImageLength";
    case kBitsPerSample: return "BitsPerSample";
    case kCompression: return "Compression";
    case kPhotometric: return "PhotometricInterpretation";
    case kStripOffsets: return "StripOffsets";
    case kSamplesPerPixel: return "SamplesPerPixel";
    case kRowsPerStrip: return "RowsPerStrip";
    case kStripByteCounts: return "StripByteCounts";
    case kPlanarConfig: return "PlanarConfiguration";
    case kPredictor: return "Predictor";
    case kTileWidth: return "TileWidth";
    case kTileLength: return "TileLength";
    case kTileOffsets: return "TileOffsets";
    case kTileByteCounts: return "TileByteCounts";
    case kSampleFormat: return "SampleFormat";
    default: return "tag";
  }
}

const char* compression_name(uint64_t c) {
  switch (c) {
    case 2: return "CCITT RLE";
    case 3: return "CCITT Group 3";
    case 4: return "CCITT Group 4";
    case 6: return "old-style JPEG";
    case 7: return "JPEG";
    case 8: return "Deflate";
    case 32946: return "Deflate";
    case 34712: return "JPEG 2000";
    case 34925: return "LZMA";
    case 50000: return "Zstandard";
    case 50001: return "WebP";
    default: return "unknown";
  }
}

constexpr const char* kConvert =
    "; convert it to an uncompressed, LZW or PackBits 8-bit TIFF or to PNG (e.g. ImageMagick: "
    "convert in.tif -depth 8 -compress lzw out.tif)";

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const std::string& name) : d_(data), n_(size), name_(name) {}

  [[noreturn]] void fail(const std::string& why) const { throw DatasetError(name_ + ": " + why); }

  void set_big_endian(bool be) { be_ = be; }
  size_t size() const { return n_; }
  const uint8_t* data() const { return d_; }

  // Bytes [off, off + len) must lie in the file.
  void need(uint64_t off, uint64_t len, const std::string& what) const {
    if (off > n_ || len > n_ - off)
      fail("corrupt or truncated TIFF: " + what + " (bytes " + std::to_string(off) + ".." + std::to_string(off + len) +
           ") lies beyond the end of the file (" + std::to_string(n_) + " bytes)");
  }
  uint32_t u16(uint64_t off) const {
    need(off, 2, "a header field");
    const uint8_t* p = d_ + off;
    return be_ ? (uint32_t(p[0]) << 8 | p[1]) : (uint32_t(p[1]) << 8 | p[0]);
  }
  uint32_t u32(uint64_t off) const {
    need(off, 4, "a header field");
    const uint8_t* p = d_ + off;
    return be_ ? (uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3])
               : (uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]);
  }

 private:
  const uint8_t* d_;
  size_t n_;
  std::string name_;
  bool be_ = false;
};

struct Entry {
  uint16_t type = 0;
  uint32_t count = 0;
  uint64_t value_offset = 0;  // where the values are (inline in the entry or elsewhere)
};

// The integer values of a tag (BYTE, SHORT or LONG), every one inside the file.
std::vector<uint64_t> values(const Reader& r, uint16_t tag, const Entry& e) {
  const std::string what = std::string(tag_name(tag)) + " (" + std::to_string(tag) + ")";
  uint64_t width = 0;
  switch (e.type) {
    case 1: width = 1; break;  // BYTE
    case 3: width = 2; break;  // SHORT
    case 4: width = 4; break;  // LONG
    default:
      r.fail("TIFF tag " + what + " has type " + std::to_string(e.type) + ", expected an unsigned integer");
  }
  r.need(e.value_offset, uint64_t(e.count) * width, "the values of " + what);
  std::vector<uint64_t> out(e.count);
  for (uint32_t i = 0; i < e.count; ++i) {
    const uint64_t off = e.value_offset + i * width;
    out[i] = width == 1 ? r.data()[off] : width == 2 ? r.u16(off) : r.u32(off);
  }
  return out;
}

// TIFF LZW (MSB-first codes, the code width grows one code early). Fills `out` (its size is the
// chunk's decoded size); a stream ending early leaves the rest unfilled and returns the count.
size_t lzw_decode(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size, const Reader& r,
                  const std::string& chunk) {
  if (in_size >= 2 && in[0] == 0 && (in[1] & 1))
    r.fail("old-style (pre-1991) TIFF LZW in " + chunk + " is not supported" + kConvert);
  constexpr int kClear = 256, kEoi = 257, kFirst = 258, kMaxCodes = 4096;
  std::vector<uint16_t> prefix(kMaxCodes), length(kMaxCodes);
  std::vector<uint8_t> suffix(kMaxCodes), first(kMaxCodes);
  for (int i = 0; i < 256; ++i) {
    suffix[i] = first[i] = static_cast<uint8_t>(i);
    length[i] = 1;
  }
  int next = kFirst, width = 9, old = -1;
  uint64_t bitpos = 0;
  const uint64_t bits = uint64_t(in_size) * 8;
  size_t pos = 0;
  auto read = [&]() -> int {
    if (bitpos + width > bits) return -1;
    uint32_t v = 0;
    for (int i = 0; i < width; ++i, ++bitpos) v = (v << 1) | ((in[bitpos >> 3] >> (7 - (bitpos & 7))) & 1);
    return static_cast<int>(v);
  };
  auto emit = [&](int code) {
    const size_t len = length[code];
    for (size_t i = len; i-- > 0; code = prefix[code])
      if (pos + i < out_size) out[pos + i] = suffix[code];
    pos += len;
  };
  while (pos < out_size) {
    int code = read();
    if (code < 0 || code == kEoi) break;
    if (code == kClear) {
      next = kFirst;
      width = 9;
      code = read();
      if (code < 0 || code == kEoi) break;
      if (code > 255) r.fail("corrupt TIFF LZW data in " + chunk + " (code " + std::to_string(code) + " after a clear)");
      emit(code);
      old = code;
      continue;
    }
    if (code < next && (code < 256 || code >= kFirst)) {
      if (old >= 0 && next < kMaxCodes) {
        prefix[next] = static_cast<uint16_t>(old);
        suffix[next] = first[code];
        first[next] = first[old];
        length[next] = static_cast<uint16_t>(length[old] + 1);
        ++next;
      }
      emit(code);
    } else if (code == next && old >= 0 && next < kMaxCodes) {
      prefix[next] = static_cast<uint16_t>(old);
      suffix[next] = first[old];
      first[next] = first[old];
      length[next] = static_cast<uint16_t>(length[old] + 1);
      ++next;
      emit(code);
    } else {
      r.fail("corrupt TIFF LZW data in " + chunk + " (code " + std::to_string(code) + ")");
    }
    old = code;
    if (next >= (1 << width) - 1 && width < 12) ++width;
  }
  return std::min(pos, out_size);
}

size_t packbits_decode(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  size_t i = 0, pos = 0;
  while (i < in_size && pos < out_size) {
    const int n = static_cast<int8_t>(in[i++]);
    if (n >= 0) {
      const size_t len = std::min<size_t>({size_t(n) + 1, in_size - i, out_size - pos});
      std::copy(in + i, in + i + len, out + pos);
      i += size_t(n) + 1;
      pos += len;
    } else if (n != -128) {
      if (i >= in_size) break;
      const size_t len = std::min<size_t>(size_t(1 - n), out_size - pos);
      std::fill(out + pos, out + pos + len, in[i++]);
      pos += len;
    }
  }
  return pos;
}

}  // namespace

bool is_tiff(const uint8_t* data, size_t size) {
  return size >= 4 && ((data[0] == 'I' && data[1] == 'I' && data[2] == 42 && data[3] == 0) ||
                       (data[0] == 'M' && data[1] == 'M' && data[2] == 0 && data[3] == 42));
}

Image8 decode_tiff(const uint8_t* data, size_t size, const std::string& name) {
  Reader r(data, size, name);
  if (size < 8) r.fail("corrupt or truncated TIFF (" + std::to_string(size) + " bytes, no header)");
  if (data[0] == data[1] && (data[0] == 'I' || data[0] == 'M')) r.set_big_endian(data[0] == 'M');
  else r.fail("not a TIFF file (no II/MM byte order mark)");
  const uint32_t magic = r.u16(2);
  if (magic == 43) r.fail("BigTIFF is not supported" + std::string(kConvert));
  if (magic != 42) r.fail("not a TIFF file (version " + std::to_string(magic) + ", expected 42)");

  // The first IFD.
  const uint64_t ifd = r.u32(4);
  r.need(ifd, 2, "the first IFD");
  const uint32_t n_entries = r.u16(ifd);
  r.need(ifd + 2, uint64_t(n_entries) * 12, "the first IFD (" + std::to_string(n_entries) + " entries)");
  std::map<uint16_t, Entry> tags;
  for (uint32_t i = 0; i < n_entries; ++i) {
    const uint64_t at = ifd + 2 + uint64_t(i) * 12;
    Entry e;
    const uint16_t tag = static_cast<uint16_t>(r.u16(at));
    e.type = static_cast<uint16_t>(r.u16(at + 2));
    e.count = r.u32(at + 4);
    const uint64_t width = e.type == 3 || e.type == 8 ? 2 : e.type == 4 || e.type == 9 || e.type == 11 ? 4
                         : e.type == 5 || e.type == 10 || e.type == 12 ? 8 : 1;
    e.value_offset = uint64_t(e.count) * width <= 4 ? at + 8 : r.u32(at + 8);
    tags.emplace(tag, e);
  }
  auto has = [&](uint16_t tag) { return tags.count(tag) > 0; };
  auto all = [&](uint16_t tag) -> std::vector<uint64_t> {
    auto it = tags.find(tag);
    if (it == tags.end()) r.fail(std::string("TIFF tag ") + tag_name(tag) + " (" + std::to_string(tag) + ") is missing");
    auto v = values(r, tag, it->second);
    if (v.empty()) r.fail(std::string("TIFF tag ") + tag_name(tag) + " (" + std::to_string(tag) + ") has no value");
    return v;
  };
  auto one = [&](uint16_t tag, uint64_t fallback) { return has(tag) ? all(tag)[0] : fallback; };
  auto refuse = [&](uint16_t tag, uint64_t value, const std::string& what) {
    r.fail("TIFF " + std::string(tag_name(tag)) + " (" + std::to_string(tag) + ") " + std::to_string(value) + " " + what +
           " is not supported" + kConvert);
  };

  const uint64_t width = one(kWidth, 0), height = one(kHeight, 0);
  if (!has(kWidth) || !has(kHeight)) all(!has(kWidth) ? kWidth : kHeight);  // names the missing tag
  if (width == 0 || height == 0 || width > kTiffMaxSide || height > kTiffMaxSide)
    r.fail("TIFF image size " + std::to_string(width) + " x " + std::to_string(height) + " is outside 1.." +
           std::to_string(kTiffMaxSide));
  const uint64_t compression = one(kCompression, 1);
  if (compression != 1 && compression != 5 && compression != 32773)
    refuse(kCompression, compression, std::string("(") + compression_name(compression) + ")");
  const uint64_t spp = one(kSamplesPerPixel, 1);
  if (spp < 1 || spp > 4) refuse(kSamplesPerPixel, spp, "(samples per pixel)");
  const auto bps_all = has(kBitsPerSample) ? all(kBitsPerSample) : std::vector<uint64_t>{1};
  const uint64_t bps = bps_all[0];
  for (uint64_t b : bps_all)
    if (b != bps) refuse(kBitsPerSample, b, "(mixed sample sizes)");
  if (bps != 8 && !(bps == 1 && spp == 1))
    refuse(kBitsPerSample, bps, bps == 1 ? "(1-bit samples other than bilevel gray)" : "(only 8-bit samples and 1-bit bilevel)");
  const uint64_t sample_format = one(kSampleFormat, 1);
  if (sample_format != 1) refuse(kSampleFormat, sample_format, "(only unsigned integer samples)");
  if (!has(kPhotometric)) all(kPhotometric);
  const uint64_t photometric = one(kPhotometric, 1);
  if (photometric > 2)
    refuse(kPhotometric, photometric,
           photometric == 3 ? "(palette colour)" : photometric == 5 ? "(CMYK)" : photometric == 6 ? "(YCbCr)" : "(colour space)");
  if (photometric == 2 && spp < 3) r.fail("TIFF is RGB (PhotometricInterpretation 2) with " + std::to_string(spp) + " samples per pixel");
  const uint64_t planar = one(kPlanarConfig, 1);
  if (planar != 1 && planar != 2) refuse(kPlanarConfig, planar, "(planar configuration)");
  const uint64_t predictor = one(kPredictor, 1);
  if (predictor != 1 && predictor != 2) refuse(kPredictor, predictor, "(predictor)");
  if (predictor == 2 && bps != 8) refuse(kPredictor, predictor, "with 1-bit samples");
  const uint64_t out_bytes = width * height * spp;
  if (out_bytes > kTiffMaxBytes)
    r.fail("TIFF image " + std::to_string(width) + " x " + std::to_string(height) + " x " + std::to_string(spp) +
           " is larger than " + std::to_string(kTiffMaxBytes >> 20) + " MiB");

  // Chunks: strips (the full width, RowsPerStrip rows) or tiles.
  const bool tiled = has(kTileOffsets);
  uint64_t cw = width, ch = height;
  if (tiled) {
    cw = one(kTileWidth, 0);
    ch = one(kTileLength, 0);
    if (!has(kTileWidth)) all(kTileWidth);
    if (!has(kTileLength)) all(kTileLength);
    if (cw == 0 || ch == 0 || cw > kTiffMaxSide || ch > kTiffMaxSide)
      r.fail("TIFF tile size " + std::to_string(cw) + " x " + std::to_string(ch) + " is outside 1.." + std::to_string(kTiffMaxSide));
  } else {
    ch = std::min<uint64_t>(one(kRowsPerStrip, height), height);
    if (ch == 0) r.fail("TIFF RowsPerStrip (278) is 0");
  }
  const uint16_t offsets_tag = tiled ? kTileOffsets : kStripOffsets, counts_tag = tiled ? kTileByteCounts : kStripByteCounts;
  const uint64_t across = (width + cw - 1) / cw, down = (height + ch - 1) / ch;
  const uint64_t planes = planar == 2 ? spp : 1, chunk_spp = planar == 2 ? 1 : spp;
  const uint64_t n_chunks = across * down * planes;
  const auto offsets = all(offsets_tag);
  const auto counts = all(counts_tag);
  if (offsets.size() < n_chunks || counts.size() < n_chunks)
    r.fail("corrupt TIFF: " + std::string(tag_name(offsets_tag)) + "/" + tag_name(counts_tag) + " list " +
           std::to_string(std::min(offsets.size(), counts.size())) + " chunks, the image needs " + std::to_string(n_chunks));
  const uint64_t row_bytes = (cw * chunk_spp * bps + 7) / 8;
  if (row_bytes * ch > kTiffMaxBytes) r.fail("TIFF strips or tiles are larger than " + std::to_string(kTiffMaxBytes >> 20) + " MiB");

  Image8 img;
  img.width = static_cast<int>(width);
  img.height = static_cast<int>(height);
  img.channels = static_cast<int>(spp);
  img.pixels.assign(static_cast<size_t>(out_bytes), 0);
  std::vector<uint8_t> buf;
  for (uint64_t k = 0; k < n_chunks; ++k) {
    const uint64_t plane = k / (across * down), cy = (k % (across * down)) / across, cx = k % across;
    const uint64_t y0 = cy * ch, x0 = cx * cw;
    const uint64_t rows = tiled ? ch : std::min(ch, height - y0);
    const std::string chunk = std::string(tiled ? "tile " : "strip ") + std::to_string(k);
    r.need(offsets[k], counts[k],
           chunk + " (" + tag_name(offsets_tag) + " " + std::to_string(offsets[k]) + ", " + tag_name(counts_tag) + " " +
               std::to_string(counts[k]) + ")");
    const uint8_t* src = data + offsets[k];
    const size_t src_size = static_cast<size_t>(counts[k]);
    const size_t need = static_cast<size_t>(rows * row_bytes);
    buf.assign(need, 0);
    size_t got = 0;
    if (compression == 1) {
      got = std::min(need, src_size);
      std::copy(src, src + got, buf.begin());
    } else if (compression == 5) {
      got = lzw_decode(src, src_size, buf.data(), need, r, chunk);
    } else {
      got = packbits_decode(src, src_size, buf.data(), need);
    }
    if (got < need)
      r.fail("corrupt or truncated TIFF: " + chunk + " decodes to " + std::to_string(got) + " of its " +
             std::to_string(need) + " bytes");
    if (predictor == 2)
      for (uint64_t y = 0; y < rows; ++y) {
        uint8_t* row = buf.data() + y * row_bytes;
        for (uint64_t i = chunk_spp; i < cw * chunk_spp; ++i) row[i] = static_cast<uint8_t>(row[i] + row[i - chunk_spp]);
      }
    const uint64_t cols = std::min(cw, width - x0);
    for (uint64_t y = 0; y < rows && y0 + y < height; ++y) {
      const uint8_t* row = buf.data() + y * row_bytes;
      uint8_t* dst = img.pixels.data() + ((y0 + y) * width + x0) * spp + plane;
      if (bps == 1) {
        for (uint64_t x = 0; x < cols; ++x) dst[x] = (row[x >> 3] >> (7 - (x & 7))) & 1 ? 255 : 0;
      } else if (planar == 2) {
        for (uint64_t x = 0; x < cols; ++x) dst[x * spp] = row[x];
      } else {
        std::copy(row, row + cols * spp, dst);
      }
    }
  }
  if (photometric == 0)  // MinIsWhite: 0 is white
    for (size_t i = 0; i < img.pixels.size(); i += spp) img.pixels[i] = static_cast<uint8_t>(255 - img.pixels[i]);

  // Extra samples (alpha) are dropped: 1 channel (gray) or 3 (RGB).
  const int keep = photometric == 2 ? 3 : 1;
  if (img.channels != keep) {
    const size_t n = static_cast<size_t>(width * height);
    for (size_t i = 0; i < n; ++i)
      for (int c = 0; c < keep; ++c) img.pixels[i * keep + c] = img.pixels[i * spp + c];
    img.pixels.resize(n * keep);
    img.channels = keep;
  }
  return img;
}

}  // namespace pl::core::data
