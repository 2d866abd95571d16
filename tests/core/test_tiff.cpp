// The TIFF reader (core/data/tiff.h, docs/data.md §1): real Kvasir images written by OpenCV (LZW,
// uncompressed, PackBits) decode to OpenCV's own pixels; hand-built big-endian, tiled, planar and
// bilevel files; unsupported and corrupt files are errors naming the file; a folder of TIFFs
// evaluates like the same folder as PNG.
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "core/data/dataset.h"
#include "core/data/decode.h"
#include "core/data/sample_cache.h"
#include "core/data/tiff.h"

namespace fs = std::filesystem;
using namespace pl::core::data;

namespace {

std::string kvasir() { return (fs::path(POLYPLENS_TEST_DATA) / "kvasir-seg").string(); }

std::vector<std::string> val_names(size_t n) {
  std::ifstream in(fs::path(kvasir()) / "val.txt");
  std::vector<std::string> out;
  std::string line;
  while (out.size() < n && std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::vector<uint8_t>& b) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// OpenCV's decoding of a file as rows of RGB (3 channels) or gray (1 channel).
std::vector<uint8_t> opencv_pixels(const fs::path& p, bool gray) {
  cv::Mat m = cv::imread(p.string(), gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  if (m.empty()) return {};
  if (!gray) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
  return {m.data, m.data + m.total() * m.elemSize()};
}


// A hand-built TIFF: tags (sorted here) plus chunk data; StripOffsets/StripByteCounts (or the tile
// pair) are added for the chunks unless given.
struct Tag {
  uint16_t tag, type;
  std::vector<uint32_t> v;
};

std::vector<uint8_t> build_tiff(bool big_endian, std::vector<Tag> tags, const std::vector<std::vector<uint8_t>>& chunks,
                                bool tiled = false) {
  std::vector<uint8_t> out;
  auto put16 = [&](std::vector<uint8_t>& b, uint32_t v) {
    if (big_endian) b.insert(b.end(), {uint8_t(v >> 8), uint8_t(v)});
    else b.insert(b.end(), {uint8_t(v), uint8_t(v >> 8)});
  };
  auto put32 = [&](std::vector<uint8_t>& b, uint32_t v) {
    if (big_endian) b.insert(b.end(), {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)});
    else b.insert(b.end(), {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)});
  };
  out.insert(out.end(), big_endian ? std::initializer_list<uint8_t>{'M', 'M'} : std::initializer_list<uint8_t>{'I', 'I'});
  put16(out, 42);
  put32(out, 0);  // IFD offset, patched below
  std::vector<uint32_t> offsets, counts;
  for (const auto& c : chunks) {
    offsets.push_back(static_cast<uint32_t>(out.size()));
    counts.push_back(static_cast<uint32_t>(c.size()));
    out.insert(out.end(), c.begin(), c.end());
  }
  const uint16_t off_tag = tiled ? 324 : 273, cnt_tag = tiled ? 325 : 279;
  auto has = [&](uint16_t t) { return std::any_of(tags.begin(), tags.end(), [&](const Tag& x) { return x.tag == t; }); };
  if (!has(off_tag)) tags.push_back({off_tag, 4, offsets});
  if (!has(cnt_tag)) tags.push_back({cnt_tag, 4, counts});
  std::sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) { return a.tag < b.tag; });
  if (out.size() % 2) out.push_back(0);
  const uint32_t ifd = static_cast<uint32_t>(out.size());
  for (int i = 0; i < 4; ++i) out[4 + i] = big_endian ? uint8_t(ifd >> (24 - 8 * i)) : uint8_t(ifd >> (8 * i));
  std::vector<uint8_t> extra;
  const uint32_t extra_at = ifd + 2 + 12 * static_cast<uint32_t>(tags.size()) + 4;
  put16(out, static_cast<uint32_t>(tags.size()));
  for (const auto& t : tags) {
    put16(out, t.tag);
    put16(out, t.type);
    put32(out, static_cast<uint32_t>(t.v.size()));
    const size_t w = t.type == 3 ? 2 : 4;
    std::vector<uint8_t> vals;
    for (uint32_t v : t.v) w == 2 ? put16(vals, v) : put32(vals, v);
    if (vals.size() <= 4) {
      vals.resize(4, 0);
      out.insert(out.end(), vals.begin(), vals.end());
    } else {
      put32(out, extra_at + static_cast<uint32_t>(extra.size()));
      extra.insert(extra.end(), vals.begin(), vals.end());
    }
  }
  put32(out, 0);  // no next IFD
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

// The error decoding `path` gives, "" when it decodes; any exception other than DatasetError fails.
std::string decode_error(const fs::path& path, bool mask = false) {
  try {
    mask ? decode_mask(path.string()) : decode_image_rgb(path.string());
  } catch (const DatasetError& e) {
    return e.what();
  }
  return "";
}

#define VERIFY_ERROR(path, part)                                                                         \
  do {                                                                                                   \
    const std::string _e = decode_error(path);                                                          \
    QVERIFY2(_e.find((path).string()) == 0, ("no file name: '" + _e + "'").c_str());                      \
    QVERIFY2(_e.find(part) != std::string::npos, ("expected '" + std::string(part) + "' in '" + _e + "'").c_str()); \
  } while (0)

}  // namespace

class TestTiff : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  // Kvasir val images and masks written by OpenCV (libtiff) decode to exactly OpenCV's pixels, with
  // each compression OpenCV writes that the reader supports.
  void opencv_tiffs_decode_to_opencv_pixels() {
    QTemporaryDir dir;
    const fs::path out = dir.path().toStdString();
    const auto names = val_names(3);
    QCOMPARE(int(names.size()), 3);
    for (const auto& name : names) {
      const cv::Mat img = cv::imread((fs::path(kvasir()) / "images" / (name + ".jpg")).string(), cv::IMREAD_COLOR);
      const cv::Mat mask = cv::imread((fs::path(kvasir()) / "masks" / (name + ".jpg")).string(), cv::IMREAD_GRAYSCALE);
      QVERIFY(!img.empty() && !mask.empty());
      std::vector<uint8_t> labels(mask.total());
      for (size_t i = 0; i < labels.size(); ++i) labels[i] = mask.data[i] > 127;
      uintmax_t lzw_size = 0, raw_size = 0;
      for (int compression : {0 /* OpenCV's default: LZW with the predictor */, 1, 32773}) {
        std::vector<int> params;
        if (compression) params = {cv::IMWRITE_TIFF_COMPRESSION, compression};
        const fs::path ip = out / (name + "_" + std::to_string(compression) + ".tif");
        const fs::path mp = out / (name + "_" + std::to_string(compression) + "_mask.tiff");
        QVERIFY(cv::imwrite(ip.string(), img, params));
        QVERIFY(cv::imwrite(mp.string(), mask, params));
        const Image8 ours = decode_image_rgb(ip.string());
        QCOMPARE(ours.width, img.cols);
        QCOMPARE(ours.height, img.rows);
        QCOMPARE(ours.channels, 3);
        QVERIFY2(ours.pixels == opencv_pixels(ip, false), ip.string().c_str());
        const Image8 gray = decode_image_rgb(mp.string());  // a gray file as an image: gray in R, G and B
        QCOMPARE(gray.channels, 3);
        QCOMPARE(gray.pixels[3 * 1000 + 1], mask.data[1000]);
        const Image8 m = decode_mask(mp.string());
        QCOMPARE(m.channels, 1);
        QVERIFY2(m.pixels == labels, mp.string().c_str());
        if (compression == 0) lzw_size = fs::file_size(ip);
        if (compression == 1) raw_size = fs::file_size(ip);
      }
      QVERIFY(lzw_size < raw_size);  // the default really is compressed
      // RGBA: alpha dropped.
      cv::Mat bgra;
      cv::cvtColor(img, bgra, cv::COLOR_BGR2BGRA);
      const fs::path ap = out / (name + "_rgba.tif");
      QVERIFY(cv::imwrite(ap.string(), bgra));
      QVERIFY(decode_image_rgb(ap.string()).pixels == opencv_pixels(ap, false));
    }
  }

  // Hand-built files: big-endian strips, tiles, planar PackBits, 1-bit MinIsWhite.
  void hand_built_files() {
    QTemporaryDir dir;
    const fs::path out = dir.path().toStdString();
    // 5 x 3 RGB, big-endian, uncompressed, two strips (2 rows + 1 row).
    std::vector<uint8_t> rgb(5 * 3 * 3);
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 17 + 3);
    const std::vector<uint8_t> s0(rgb.begin(), rgb.begin() + 30), s1(rgb.begin() + 30, rgb.end());
    const fs::path mm = out / "mm.tif";
    write_bytes(mm, build_tiff(true,
                               {{256, 3, {5}}, {257, 3, {3}}, {258, 3, {8, 8, 8}}, {259, 3, {1}}, {262, 3, {2}},
                                {277, 3, {3}}, {278, 4, {2}}},
                               {s0, s1}));
    Image8 m = decode_image_rgb(mm.string());
    QCOMPARE(m.width, 5);
    QCOMPARE(m.height, 3);
    QVERIFY(m.pixels == rgb);
    QVERIFY(opencv_pixels(mm, false) == rgb);  // libtiff reads the hand-built file the same way

    // 20 x 18 gray, little-endian, 16 x 16 tiles (4 tiles, padded).
    std::vector<uint8_t> gray(20 * 18);
    for (size_t i = 0; i < gray.size(); ++i) gray[i] = static_cast<uint8_t>(i * 7);
    std::vector<std::vector<uint8_t>> tiles;
    for (int ty = 0; ty < 2; ++ty)
      for (int tx = 0; tx < 2; ++tx) {
        std::vector<uint8_t> t(16 * 16, 0xEE);
        for (int y = 0; y < 16; ++y)
          for (int x = 0; x < 16; ++x)
            if (ty * 16 + y < 18 && tx * 16 + x < 20) t[y * 16 + x] = gray[(ty * 16 + y) * 20 + tx * 16 + x];
        tiles.push_back(t);
      }
    const fs::path tp = out / "tiled.tif";
    write_bytes(tp, build_tiff(false,
                               {{256, 3, {20}}, {257, 3, {18}}, {258, 3, {8}}, {259, 3, {1}}, {262, 3, {1}},
                                {322, 3, {16}}, {323, 3, {16}}},
                               tiles, true));
    m = decode_mask(tp.string());  // values > 1: thresholded
    std::vector<uint8_t> want(gray.size());
    for (size_t i = 0; i < gray.size(); ++i) want[i] = gray[i] > 127;
    QVERIFY(m.pixels == want);
    QVERIFY(opencv_pixels(tp, true) == gray);

    // 4 x 2 RGB, planar (one strip per sample), PackBits with literal and repeat runs.
    const std::vector<uint8_t> r{10, 10, 10, 10, 1, 2, 3, 4}, g{5, 6, 7, 8, 9, 9, 9, 9}, b{0, 0, 0, 0, 0, 0, 0, 0};
    const std::vector<std::vector<uint8_t>> planes{
        {uint8_t(-3), 10, 3, 1, 2, 3, 4}, {3, 5, 6, 7, 8, uint8_t(-128), uint8_t(-3), 9}, {uint8_t(-7), 0}};
    const fs::path pp = out / "planar.tif";
    write_bytes(pp, build_tiff(false,
                               {{256, 3, {4}}, {257, 3, {2}}, {258, 3, {8, 8, 8}}, {259, 3, {32773}}, {262, 3, {2}},
                                {277, 3, {3}}, {284, 3, {2}}},
                               planes));
    m = decode_image_rgb(pp.string());
    std::vector<uint8_t> interleaved;
    for (int i = 0; i < 8; ++i) interleaved.insert(interleaved.end(), {r[i], g[i], b[i]});
    QVERIFY(m.pixels == interleaved);
    QVERIFY(opencv_pixels(pp, false) == interleaved);

    // A 1-bit MinIsWhite mask, 10 x 2 (rows padded to 2 bytes): set bits are black = background.
    const fs::path bp = out / "bilevel.tif";
    write_bytes(bp, build_tiff(true, {{256, 3, {10}}, {257, 3, {2}}, {258, 3, {1}}, {259, 3, {1}}, {262, 3, {0}}},
                               {{0b10110000, 0b01000000, 0xFF, 0b11111111}}));
    m = decode_mask(bp.string());
    QVERIFY((m.pixels == std::vector<uint8_t>{0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  }

  // Formats the reader does not do are refused by tag and value, naming the file.
  void unsupported_files_named() {
    QTemporaryDir dir;
    const fs::path out = dir.path().toStdString();
    const fs::path wide = out / "wide.tif";
    QVERIFY(cv::imwrite(wide.string(), cv::Mat(8, 8, CV_16UC1, cv::Scalar(1000))));
    VERIFY_ERROR(wide, "BitsPerSample (258) 16");
    const fs::path deflate = out / "deflate.tif";
    QVERIFY(cv::imwrite(deflate.string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3)), {cv::IMWRITE_TIFF_COMPRESSION, 8}));
    VERIFY_ERROR(deflate, "Compression (259) 8 (Deflate) is not supported");
    VERIFY_ERROR(deflate, "compress lzw");
    const fs::path jpeg = out / "jpeg.tif";
    write_bytes(jpeg, build_tiff(false, {{256, 3, {2}}, {257, 3, {2}}, {258, 3, {8}}, {259, 3, {7}}, {262, 3, {1}}},
                                 {{1, 2, 3, 4}}));
    VERIFY_ERROR(jpeg, "Compression (259) 7 (JPEG) is not supported");
    const fs::path palette = out / "palette.tif";
    write_bytes(palette, build_tiff(false, {{256, 3, {2}}, {257, 3, {2}}, {258, 3, {8}}, {262, 3, {3}}}, {{1, 2, 3, 4}}));
    VERIFY_ERROR(palette, "PhotometricInterpretation (262) 3 (palette colour)");
    const fs::path huge = out / "huge.tif";
    write_bytes(huge, build_tiff(false, {{256, 4, {40000}}, {257, 3, {2}}, {258, 3, {8}}, {262, 3, {1}}}, {{1, 2, 3, 4}}));
    VERIFY_ERROR(huge, "40000 x 2 is outside 1..32768");
  }

  // Truncated files, offsets past the end and random damage are errors naming the file, never a
  // read outside the file (the ASan build runs this).
  void corrupt_files_are_errors() {
    QTemporaryDir dir;
    const fs::path out = dir.path().toStdString();
    const auto name = val_names(1).at(0);
    const cv::Mat img = cv::imread((fs::path(kvasir()) / "images" / (name + ".jpg")).string(), cv::IMREAD_COLOR);
    cv::Mat small;
    cv::resize(img, small, cv::Size(96, 72), 0, 0, cv::INTER_AREA);
    const fs::path good = out / "good.tif";
    QVERIFY(cv::imwrite(good.string(), small));
    const auto bytes = read_bytes(good);
    QVERIFY(decode_error(good).empty());

    const fs::path cut = out / "cut.tif";
    for (size_t len : {size_t(0), size_t(3), size_t(7), size_t(10), bytes.size() / 4, bytes.size() / 2, bytes.size() - 1}) {
      write_bytes(cut, std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len)));
      const std::string e = decode_error(cut);
      QVERIFY2(e.find(cut.string()) == 0, ("truncated to " + std::to_string(len) + ": '" + e + "'").c_str());
    }
    write_bytes(cut, std::vector<uint8_t>(bytes.begin(), bytes.begin() + 10));
    VERIFY_ERROR(cut, "beyond the end of the file");

    const fs::path far = out / "far.tif";
    write_bytes(far, build_tiff(false,
                                {{256, 3, {2}}, {257, 3, {2}}, {258, 3, {8}}, {262, 3, {1}}, {273, 4, {1000000}}},
                                {{1, 2, 3, 4}}));
    VERIFY_ERROR(far, "strip 0 (StripOffsets 1000000, StripByteCounts 4)");
    const fs::path short_strip = out / "short.tif";
    write_bytes(short_strip, build_tiff(false, {{256, 3, {2}}, {257, 3, {2}}, {258, 3, {8}}, {262, 3, {1}}}, {{1, 2, 3}}));
    VERIFY_ERROR(short_strip, "strip 0 decodes to 3 of its 4 bytes");
    const fs::path no_ifd = out / "no_ifd.tif";
    auto b = build_tiff(false, {{256, 3, {2}}, {257, 3, {2}}, {258, 3, {8}}, {262, 3, {1}}}, {{1, 2, 3, 4}});
    b[4] = 0xF0;
    b[7] = 0x7F;  // IFD offset far past the end
    write_bytes(no_ifd, b);
    VERIFY_ERROR(no_ifd, "the first IFD");

    // Random damage to the LZW file: a decoded image or an error naming the file.
    std::mt19937 rng(17);
    const fs::path bad = out / "bad.tif";
    int errors = 0;
    for (int i = 0; i < 300; ++i) {
      auto d = bytes;
      for (int k = 0; k < 1 + i % 4; ++k)
        d[rng() % (i % 3 == 0 ? std::min<size_t>(d.size(), 16) : d.size())] ^= static_cast<uint8_t>(1u << (rng() % 8));
      if (i % 5 == 0) d.resize(d.size() - rng() % d.size());
      write_bytes(bad, d);
      const std::string e = decode_error(bad);
      if (e.empty()) continue;
      ++errors;
      QVERIFY2(e.find(bad.string()) == 0, e.c_str());
    }
    QVERIFY(errors > 0);
  }

  // images/*.tif + masks/*.tif without split files: the scan finds every pair and the loaded
  // samples equal those of the same images as PNG.
  void tiff_folder_evaluates_like_png() {
    QTemporaryDir dir;
    const fs::path tif = fs::path(dir.path().toStdString()) / "tif", png = fs::path(dir.path().toStdString()) / "png";
    for (const auto& root : {tif, png}) {
      fs::create_directories(root / "images");
      fs::create_directories(root / "masks");
    }
    const auto names = val_names(3);
    for (size_t i = 0; i < names.size(); ++i) {
      const auto& n = names[i];
      const cv::Mat img = cv::imread((fs::path(kvasir()) / "images" / (n + ".jpg")).string(), cv::IMREAD_COLOR);
      const cv::Mat mask = cv::imread((fs::path(kvasir()) / "masks" / (n + ".jpg")).string(), cv::IMREAD_GRAYSCALE);
      // One of each: LZW (OpenCV's default), uncompressed, PackBits; .tif and .TIFF.
      const std::vector<int> params = i == 0 ? std::vector<int>{} : std::vector<int>{cv::IMWRITE_TIFF_COMPRESSION, i == 1 ? 1 : 32773};
      QVERIFY(cv::imwrite((tif / "images" / (n + (i == 2 ? ".TIFF" : ".tif"))).string(), img, params));
      QVERIFY(cv::imwrite((tif / "masks" / (n + ".tif")).string(), mask, params));
      QVERIFY(cv::imwrite((png / "images" / (n + ".png")).string(), img));
      QVERIFY(cv::imwrite((png / "masks" / (n + ".png")).string(), mask));
    }
    std::vector<std::vector<Sample>> loaded;
    for (const auto& root : {tif, png}) {
      DatasetOptions o;
      o.root = root.string();
      o.evaluation = true;
      const auto idx = scan_dataset(o);
      QCOMPARE(int(idx.val.size()), 3);
      QVERIFY2(idx.summary.problems.empty(), idx.summary.to_string().c_str());
      LoadOptions lo;
      lo.strict = true;
      loaded.push_back(load_samples(idx.val, lo));
    }
    QCOMPARE(loaded[0].size(), size_t(3));
    for (size_t i = 0; i < 3; ++i) {
      QCOMPARE(loaded[0][i].name, loaded[1][i].name);
      QVERIFY(torch::equal(loaded[0][i].image, loaded[1][i].image));
      QVERIFY(torch::equal(loaded[0][i].label, loaded[1][i].label));
      QVERIFY(loaded[0][i].label.sum().item<int64_t>() > 0);
    }

    // A corrupt TIFF in the folder: skipped, named.
    std::vector<uint8_t> head = read_bytes(tif / "masks" / (names[0] + ".tif"));
    head.resize(head.size() / 3);
    write_bytes(tif / "masks" / (names[0] + ".tif"), head);
    DatasetOptions o;
    o.root = tif.string();
    o.evaluation = true;
    auto idx = scan_dataset(o);
    const auto samples = load_samples(idx.val, LoadOptions{}, &idx.summary);
    QCOMPARE(samples.size(), size_t(2));
    QVERIFY2(idx.summary.to_string().find((tif / "masks" / (names[0] + ".tif")).string()) != std::string::npos,
             idx.summary.to_string().c_str());
  }
};

QTEST_GUILESS_MAIN(TestTiff)
#include "test_tiff.moc"
