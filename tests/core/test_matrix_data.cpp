// Bad-input matrix, data sets: synthetic Kvasir-style folders with one defect each. Every defect is
// either a DatasetError naming the folder/file, or a counted problem naming the file while the good
// pairs still load, or a documented conversion (grayscale, 16-bit, alpha, huge images).
#include <QTemporaryDir>
#include <QtTest>

#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include <filesystem>
#include <fstream>
#include <functional>

#include <opencv2/imgcodecs.hpp>
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/data/augment.h"
#include "core/data/dataset.h"
#include "core/data/sample_cache.h"
#include "core/matrix_support.h"

namespace fs = std::filesystem;
using namespace pl::core::data;
using pl::test::contains;

namespace {

struct Folder {
  fs::path root;
  std::vector<std::string> train{"a", "b"}, val{"v"};
  DatasetOptions options() const {
    DatasetOptions o;
    o.root = root.string();
    return o;
  }
  void write_lists() const {
    std::ofstream t(root / "train.txt"), v(root / "val.txt");
    for (const auto& n : train) t << n << "\n";
    for (const auto& n : val) v << n << "\n";
  }
};

void write_image(const fs::path& p, const cv::Mat& m) { QVERIFY2(cv::imwrite(p.string(), m), p.string().c_str()); }

cv::Mat colour(int h, int w) {
  cv::Mat m(h, w, CV_8UC3);
  cv::randu(m, 0, 255);
  return m;
}
cv::Mat mask(int h, int w) {
  cv::Mat m = cv::Mat::zeros(h, w, CV_8U);
  m(cv::Rect(0, 0, w / 2, h / 2)).setTo(255);
  return m;
}
void pair(const Folder& f, const std::string& name, int h = 24, int w = 32) {
  write_image(f.root / "images" / (name + ".jpg"), colour(h, w));
  write_image(f.root / "masks" / (name + ".png"), mask(h, w));
}

bool has_problem(const DatasetSummary& s, const std::string& file, const std::string& reason) {
  for (const auto& p : s.problems)
    if (contains(p.file, file) && contains(p.reason, reason)) return true;
  return false;
}

std::string problems_text(const DatasetSummary& s) {
  std::string out;
  for (const auto& p : s.problems) out += (out.empty() ? "" : " | ") + fs::path(p.file).filename().string() + ": " + p.reason;
  return out.empty() ? "no problems" : out;
}

// Scans and loads the train list; returns the loaded samples and fills `summary`. Records "error: ..."
// when a DatasetError is thrown.
std::vector<Sample> scan_and_load(const DatasetOptions& o, DatasetSummary& summary, std::string& error,
                                  int long_side = 0) {
  try {
    auto idx = scan_dataset(o);
    summary = idx.summary;
    LoadOptions lo;
    lo.long_side = long_side;
    lo.threads = 1;
    return load_samples(idx.train, lo, &summary);
  } catch (const DatasetError& e) {
    error = e.what();
    return {};
  }
}

const Sample* find(const std::vector<Sample>& v, const std::string& name) {
  for (const auto& s : v)
    if (s.name == name) return &s;
  return nullptr;
}

// Drops the capabilities that let root read any file (this thread and threads it starts afterwards),
// so chmod 000 means something; restores them on destruction. dropped() is false when not root or
// when capset is not permitted.
class NoReadOverride {
 public:
  NoReadOverride() {
    if (::geteuid() != 0) return;
    header_.version = _LINUX_CAPABILITY_VERSION_3;
    if (::syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct reduced[2];
    std::memcpy(reduced, saved_, sizeof reduced);
    reduced[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    dropped_ = ::syscall(SYS_capset, &header_, reduced) == 0;
  }
  ~NoReadOverride() {
    if (dropped_) ::syscall(SYS_capset, &header_, saved_);
  }
  bool dropped() const { return dropped_; }

 private:
  bool dropped_ = false;
  __user_cap_header_struct header_{};
  __user_cap_data_struct saved_[2]{};
};

}  // namespace

class TestMatrixData : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { at::set_num_threads(1); }

  void bad_folders_data() {
    QTest::addColumn<QString>("kind");
    for (const char* k : {"missing masks", "no masks at all", "mask without image", "size mismatch", "non-image files",
                          "grayscale image", "16-bit image", "16-bit label mask (0/1)", "16-bit mask (0/65535)",
                          "RGBA image", "empty folder", "no images/ folder", "missing root", "unreadable image (mode 000)",
                          "split names absent images", "split names only absent images", "image far larger than crop",
                          "crop larger than every image", "corrupt jpeg", "zero-byte image", "corrupt mask",
                          "malformed split.json", "duplicate stem", "strict mode with a problem",
                          "no split files (training)", "no split files (evaluation)", "empty train.txt (evaluation)",
                          "only train.txt", "TIFF image", "TIFF mask", "corrupt TIFF", "second folder", "second folder missing masks/",
                          "same folder twice", "unreadable images/ folder"})
      QTest::newRow(k) << QString(k);
  }
  void bad_folders() {
    QFETCH(QString, kind);
    const std::string k = kind.toStdString();
    QTemporaryDir tmp;
    Folder f{fs::path(tmp.path().toStdString()) / "kvasir"};
    fs::create_directories(f.root / "images");
    fs::create_directories(f.root / "masks");
    pair(f, "a");
    pair(f, "b");
    pair(f, "v");
    DatasetOptions o = f.options();
    DatasetSummary s;
    std::string error;
    std::vector<Sample> samples;
    auto run = [&](int long_side = 0) {
      f.write_lists();
      samples = scan_and_load(o, s, error, long_side);
      pl::test::report_case(error.empty() ? std::to_string(samples.size()) + " train samples loaded; " + problems_text(s)
                                          : "DatasetError: " + error);
    };
    // The two good training pairs survive every recoverable defect.
    auto good_pairs_load = [&] {
      QVERIFY2(error.empty(), error.c_str());
      QVERIFY(find(samples, "a") && find(samples, "b"));
    };

    if (k == "missing masks") {
      write_image(f.root / "images" / "c.jpg", colour(24, 32));
      f.train.push_back("c");
      run();
      good_pairs_load();
      QVERIFY(has_problem(s, "c.jpg", "no mask"));
      QVERIFY(has_problem(s, "train.txt: c", "listed but no image/mask pair"));
    } else if (k == "no masks at all") {
      fs::remove_all(f.root / "masks");
      fs::create_directories(f.root / "masks");
      run();
      QVERIFY2(contains(error, "no image/mask pairs") && contains(error, f.root.string()), error.c_str());
    } else if (k == "mask without image") {
      write_image(f.root / "masks" / "orphan.png", mask(24, 32));
      run();
      good_pairs_load();
      QVERIFY(has_problem(s, "orphan.png", "mask without an image"));
    } else if (k == "size mismatch") {
      write_image(f.root / "images" / "c.jpg", colour(40, 50));
      write_image(f.root / "masks" / "c.png", mask(20, 50));
      f.train.push_back("c");
      run();
      good_pairs_load();
      QVERIFY(!find(samples, "c"));
      QVERIFY(has_problem(s, "c.jpg", "mask is 50x20"));
    } else if (k == "non-image files") {
      std::ofstream(f.root / "images" / "readme.txt") << "notes";
      std::ofstream(f.root / "masks" / "Thumbs.db") << "x";
      run();
      good_pairs_load();
      QVERIFY(has_problem(s, "readme.txt", "not an image file"));
      QVERIFY(has_problem(s, "Thumbs.db", "not an image file"));
    } else if (k == "grayscale image") {
      cv::Mat g(24, 32, CV_8U, cv::Scalar(77));
      write_image(f.root / "images" / "a.png", g);
      fs::remove(f.root / "images" / "a.jpg");
      run();
      good_pairs_load();
      const Sample* a = find(samples, "a");
      QCOMPARE(a->image.size(0), int64_t(3));
      QCOMPARE(a->image.min().item<int>(), 77);
      QCOMPARE(a->image.max().item<int>(), 77);
    } else if (k == "16-bit image") {
      cv::Mat d(24, 32, CV_16UC3, cv::Scalar(65535, 257 * 10, 0));
      write_image(f.root / "images" / "a.png", d);
      fs::remove(f.root / "images" / "a.jpg");
      run();
      good_pairs_load();
      const Sample* a = find(samples, "a");
      // BGR (65535, 2570, 0) -> RGB 8-bit (0, 10, 255).
      QCOMPARE(a->image[0].max().item<int>(), 0);
      QCOMPARE(a->image[1].max().item<int>(), 10);
      QCOMPARE(a->image[2].min().item<int>(), 255);
    } else if (k == "16-bit label mask (0/1)") {
      cv::Mat m = cv::Mat::zeros(24, 32, CV_16U);
      m(cv::Rect(0, 0, 8, 6)).setTo(1);
      write_image(f.root / "masks" / "a.png", m);
      run();
      good_pairs_load();
      QCOMPARE(find(samples, "a")->label.sum().item<int>(), 48);  // labels kept, not scaled to 0
    } else if (k == "16-bit mask (0/65535)") {
      cv::Mat m = cv::Mat::zeros(24, 32, CV_16U);
      m(cv::Rect(0, 0, 8, 6)).setTo(65535);
      write_image(f.root / "masks" / "a.png", m);
      run();
      good_pairs_load();
      QCOMPARE(find(samples, "a")->label.sum().item<int>(), 48);
      QCOMPARE(find(samples, "a")->label.max().item<int>(), 1);
    } else if (k == "RGBA image") {
      cv::Mat rgba(24, 32, CV_8UC4, cv::Scalar(10, 20, 30, 0));  // fully transparent: alpha dropped, not blended
      write_image(f.root / "images" / "a.png", rgba);
      fs::remove(f.root / "images" / "a.jpg");
      run();
      good_pairs_load();
      const Sample* a = find(samples, "a");
      QCOMPARE(a->image.size(0), int64_t(3));
      QCOMPARE(a->image[0].max().item<int>(), 30);  // R
    } else if (k == "empty folder") {
      fs::remove_all(f.root);
      fs::create_directories(f.root / "images");
      fs::create_directories(f.root / "masks");
      run();
      QVERIFY2(contains(error, "no image/mask pairs") && contains(error, f.root.string()), error.c_str());
    } else if (k == "no images/ folder") {
      fs::remove_all(f.root / "images");
      run();
      QVERIFY2(contains(error, "must contain images/"), error.c_str());
    } else if (k == "missing root") {
      o.root = (f.root / "nope").string();
      run();
      QVERIFY2(contains(error, "does not exist") && contains(error, "nope"), error.c_str());
    } else if (k == "unreadable image (mode 000)") {
      const auto p = f.root / "images" / "a.jpg";
      ::chmod(p.c_str(), 0);
      NoReadOverride guard;  // as root, chmod 000 alone does not stop reads
      const bool can_read = std::ifstream(p).good();
      f.write_lists();
      samples = scan_and_load(o, s, error);
      if (can_read) {
        // Documented: as root whose capabilities cannot be dropped (capset refused), mode 000 does not
        // stop reads, so the file loads. Asserted so a change is noticed.
        pl::test::report_case("root can still read mode-000 files here; the image loads");
        QVERIFY(::geteuid() == 0 && !guard.dropped());
        QVERIFY(find(samples, "a"));
      } else {
        pl::test::report_case(std::to_string(samples.size()) + " train samples loaded; " + problems_text(s));
        QVERIFY2(error.empty(), error.c_str());
        QVERIFY(!find(samples, "a") && find(samples, "b"));
        QVERIFY(has_problem(s, "a.jpg", "unreadable"));
      }
    } else if (k == "split names absent images") {
      f.train.push_back("ghost");
      f.val.push_back("phantom");
      run();
      good_pairs_load();
      QVERIFY(has_problem(s, "train.txt: ghost", "listed but no image/mask pair"));
      QVERIFY(has_problem(s, "val.txt: phantom", "listed but no image/mask pair"));
      QCOMPARE(s.train_count, 2);
      QCOMPARE(s.val_count, 1);
    } else if (k == "split names only absent images") {
      f.train = {"ghost1", "ghost2"};
      run();
      QVERIFY2(contains(error, "no training images left"), error.c_str());
    } else if (k == "image far larger than crop") {
      write_image(f.root / "images" / "a.jpg", colour(1500, 2000));
      write_image(f.root / "masks" / "a.png", mask(1500, 2000));
      run(/*long_side=*/64);
      good_pairs_load();
      const Sample* a = find(samples, "a");
      QCOMPARE(a->orig_w, 2000);
      QCOMPARE(a->image.size(2), int64_t(64));
      QCOMPARE(a->image.size(1), int64_t(48));
      QVERIFY(a->label.sizes() == a->image.sizes().slice(1));
      AugmentOptions ao;
      ao.crop_h = ao.crop_w = 32;
      Rng rng(1);
      auto out = augment_train(a->image, a->label, ao, rng);
      QVERIFY(out.image.sizes() == at::IntArrayRef({3, 32, 32}));
    } else if (k == "crop larger than every image") {
      write_image(f.root / "images" / "a.jpg", colour(6, 5));
      write_image(f.root / "masks" / "a.png", mask(6, 5));
      run();
      good_pairs_load();
      const Sample* a = find(samples, "a");
      AugmentOptions ao;
      ao.crop_h = ao.crop_w = 64;
      ao.scale_long = ao.scale_short = 8;  // rescaled to at most 16 px: always smaller than the crop
      Rng rng(3);
      auto out = augment_train(a->image, a->label, ao, rng);
      QVERIFY(out.image.sizes() == at::IntArrayRef({3, 64, 64}));
      QVERIFY(out.label.sizes() == at::IntArrayRef({64, 64}));
      QCOMPARE(out.label[63][63].item<int64_t>(), int64_t{255});  // padding is ignored by the loss
      QCOMPARE(out.image[0][63][63].item<float>(), 0.0f);
      QVERIFY(out.label.lt(255).sum().item<int64_t>() > 0);
    } else if (k == "corrupt jpeg") {
      std::ofstream(f.root / "images" / "c.jpg") << "definitely not a jpeg";
      write_image(f.root / "masks" / "c.png", mask(24, 32));
      f.train.push_back("c");
      run();
      good_pairs_load();
      QVERIFY(has_problem(s, "c.jpg", "unreadable or corrupt"));
    } else if (k == "zero-byte image") {
      std::ofstream(f.root / "images" / "c.jpg").flush();
      write_image(f.root / "masks" / "c.png", mask(24, 32));
      f.train.push_back("c");
      run();
      good_pairs_load();
      QVERIFY(has_problem(s, "c.jpg", "unreadable or corrupt"));
    } else if (k == "corrupt mask") {
      write_image(f.root / "images" / "c.jpg", colour(24, 32));
      std::ofstream(f.root / "masks" / "c.png") << "nor a png";
      f.train.push_back("c");
      run();
      good_pairs_load();
      QVERIFY(!find(samples, "c"));
      bool named = false;
      for (const auto& p : s.problems) named |= contains(p.reason, "c.png") || contains(p.file, "c.png");
      QVERIFY2(named, problems_text(s).c_str());
    } else if (k == "malformed split.json") {
      fs::create_directories(f.root / "run");
      std::ofstream(f.root / "run" / "split.json") << "{\"train\": [\"a\", ";
      o.split_dir = (f.root / "run").string();
      run();
      QVERIFY2(contains(error, "split.json") && contains(error, "not valid JSON"), error.c_str());
    } else if (k == "duplicate stem") {
      write_image(f.root / "images" / "a.png", colour(24, 32));
      run();
      QVERIFY2(error.empty(), error.c_str());
      QVERIFY(has_problem(s, "a.", "duplicate stem 'a'"));
      QVERIFY(find(samples, "b"));
    } else if (k == "strict mode with a problem") {
      std::ofstream(f.root / "images" / "readme.txt") << "notes";
      o.strict = true;
      run();
      QVERIFY2(contains(error, "strict mode") && contains(error, f.root.string()), error.c_str());
    } else if (k == "no split files (training)" || k == "no split files (evaluation)") {
      const bool eval = k == "no split files (evaluation)";
      o.evaluation = eval;
      samples = scan_and_load(o, s, error);  // no lists written
      pl::test::report_case(error.empty() ? s.to_string() : "DatasetError: " + error);
      QVERIFY2(error.empty(), error.c_str());
      QCOMPARE(s.split, std::string(eval ? "none" : "all-train"));
      QCOMPARE(s.train_count, eval ? 0 : 3);  // unsplit: all train, or all val for evaluation
      QCOMPARE(s.val_count, eval ? 3 : 0);
      QCOMPARE(int(samples.size()), eval ? 0 : 3);
      bool noted = false;
      for (const auto& n : s.notes) noted |= contains(n, f.root.string()) && contains(n, "no train.txt/val.txt");
      QVERIFY2(noted, s.to_string().c_str());
    } else if (k == "empty train.txt (evaluation)") {
      f.train.clear();
      o.evaluation = true;
      run();
      QVERIFY2(error.empty(), error.c_str());
      QCOMPARE(s.train_count, 0);
      QCOMPARE(s.val_count, 1);
      o.evaluation = false;  // training without training images is an error naming the folder
      run();
      QVERIFY2(contains(error, "no training images left") && contains(error, f.root.string()), error.c_str());
    } else if (k == "only train.txt") {
      { std::ofstream(f.root / "train.txt") << "a\nb\n"; }
      samples = scan_and_load(o, s, error);
      pl::test::report_case(error.empty() ? s.to_string() : "DatasetError: " + error);
      good_pairs_load();
      QCOMPARE(s.val_count, 0);
      bool noted = false;
      for (const auto& n : s.notes) noted |= contains(n, "no val.txt");
      QVERIFY2(noted, s.to_string().c_str());
    } else if (k == "TIFF image" || k == "TIFF mask") {
      const bool image = k == "TIFF image";
      write_image(f.root / "images" / "c.jpg", colour(24, 32));
      write_image(f.root / "masks" / "c.png", mask(24, 32));
      const fs::path from = f.root / (image ? "images/c.jpg" : "masks/c.png");
      const fs::path to = f.root / (image ? "images/c.tif" : "masks/c.TIFF");
      // A real TIFF (OpenCV/libtiff) read by core/data/tiff.h; the pair loads like its JPEG/PNG twin.
      fs::remove(from);
      write_image(to, image ? colour(24, 32) : mask(24, 32));
      f.train.push_back("c");
      run();
      good_pairs_load();
      const Sample* c = find(samples, "c");
      QVERIFY2(c, problems_text(s).c_str());
      QCOMPARE(c->label.sum().item<int>(), 12 * 16);  // the top-left quarter of the mask is polyp
      QVERIFY2(s.problems.empty(), problems_text(s).c_str());
    } else if (k == "corrupt TIFF") {
      write_image(f.root / "images" / "c.jpg", colour(24, 32));
      write_image(f.root / "masks" / "c.tif", mask(24, 32));
      const fs::path t = f.root / "masks" / "c.tif";
      fs::resize_file(t, fs::file_size(t) / 2);  // the strip runs past the end of the file
      f.train.push_back("c");
      run();
      good_pairs_load();
      QVERIFY(!find(samples, "c"));
      bool named = false;  // the problem is filed under the pair's image; its reason names the mask
      for (const auto& p : s.problems) named |= contains(p.reason, t.string()) && contains(p.reason, "truncated TIFF");
      QVERIFY2(named, problems_text(s).c_str());
    } else if (k == "second folder") {
      Folder g{fs::path(tmp.path().toStdString()) / "ClinicDB"};
      fs::create_directories(g.root / "images");
      fs::create_directories(g.root / "masks");
      pair(g, "a");  // the same stem as the first folder's "a"
      pair(g, "x");
      o.extra_roots = {g.root.string()};
      run();
      good_pairs_load();
      QVERIFY(find(samples, "ClinicDB/a") && find(samples, "ClinicDB/x"));
      QCOMPARE(s.train_count, 4);
      QCOMPARE(s.val_count, 1);
    } else if (k == "second folder missing masks/") {
      const fs::path g = fs::path(tmp.path().toStdString()) / "ETIS";
      fs::create_directories(g / "images");
      o.extra_roots = {g.string()};
      run();
      QVERIFY2(contains(error, "must contain images/") && contains(error, g.string()), error.c_str());
    } else if (k == "same folder twice") {
      o.extra_roots = {(f.root / ".." / f.root.filename()).string()};
      run();
      QVERIFY2(contains(error, "given twice") && contains(error, f.root.string()), error.c_str());
    } else if (k == "unreadable images/ folder") {
      ::chmod((f.root / "images").c_str(), 0);
      NoReadOverride guard;
      std::error_code list_ec;
      const bool can_list = (fs::directory_iterator(f.root / "images", list_ec), !list_ec);
      run();
      ::chmod((f.root / "images").c_str(), 0755);
      if (can_list) {
        pl::test::report_case("root can still list mode-000 folders here; the folder scans");
        QVERIFY(::geteuid() == 0 && !guard.dropped());
        good_pairs_load();
      } else {
        QVERIFY2(contains(error, "cannot list") && contains(error, (f.root / "images").string()), error.c_str());
      }
    } else {
      QFAIL(("no setup for " + k).c_str());
    }
  }
};

QTEST_GUILESS_MAIN(TestMatrixData)
#include "test_matrix_data.moc"
