// The data set reader: the real Kvasir-SEG folder (a few images) and synthetic bad folders.
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "core/data/dataset.h"
#include "core/data/decode.h"
#include "core/data/sample_cache.h"

namespace fs = std::filesystem;
using namespace pl::core::data;

namespace {

std::string kvasir() { return (fs::path(POLYPLENS_TEST_DATA) / "kvasir-seg").string(); }

void write_pair(const fs::path& root, const std::string& name, int h, int w, const std::string& img_ext = ".jpg",
                const std::string& mask_ext = ".png", int mask_h = -1) {
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(40, 90, 160));
  cv::Mat mask = cv::Mat::zeros(mask_h > 0 ? mask_h : h, w, CV_8U);
  mask(cv::Rect(0, 0, w / 2, mask.rows / 2)).setTo(255);
  QVERIFY(cv::imwrite((root / "images" / (name + img_ext)).string(), img));
  QVERIFY(cv::imwrite((root / "masks" / (name + mask_ext)).string(), mask));
}

bool has_problem(const DatasetSummary& s, const std::string& file_part, const std::string& reason_part) {
  for (const auto& p : s.problems)
    if (p.file.find(file_part) != std::string::npos && p.reason.find(reason_part) != std::string::npos) return true;
  return false;
}

}  // namespace

class TestDataset : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  // Started from another folder without POLYPLENS_DATA, the app still finds the data beside the
  // checkout its binary was built in (the layout CI and the README use); elsewhere it names the
  // relative path, which the error that follows reports.
  void default_data_root_does_not_depend_on_the_working_directory() {
    QTemporaryDir elsewhere;
    const QString old_cwd = QDir::currentPath();
    const QByteArray old_env = qgetenv("POLYPLENS_DATA");
    qunsetenv("POLYPLENS_DATA");
    QVERIFY(QDir::setCurrent(elsewhere.path()));
    const std::string found = default_data_root();
    QVERIFY(QDir::setCurrent(old_cwd));
    if (!old_env.isEmpty()) qputenv("POLYPLENS_DATA", old_env);
    const fs::path beside = fs::path(POLYPLENS_TEST_SOURCE_DIR).parent_path() / "shared" / "data" / "kvasir-seg";
    if (fs::is_directory(beside)) {
      QCOMPARE(fs::weakly_canonical(found).string(), fs::weakly_canonical(beside).string());
    } else {
      QCOMPARE(found, (fs::path("..") / "shared" / "data" / "kvasir-seg").string());
    }
    qputenv("POLYPLENS_DATA", "/some/where");
    QCOMPARE(default_data_root(), std::string("/some/where/kvasir-seg"));
    if (old_env.isEmpty()) qunsetenv("POLYPLENS_DATA");
    else qputenv("POLYPLENS_DATA", old_env);
  }

  void kvasir_official_split() {
    DatasetOptions o;
    o.root = kvasir();
    const auto idx = scan_dataset(o);
    QCOMPARE(idx.summary.pairs_found, 1000);
    QCOMPARE(idx.summary.train_count, 880);
    QCOMPARE(idx.summary.val_count, 120);
    QVERIFY(idx.summary.problems.empty());
    QCOMPARE(idx.summary.split, std::string("official"));
  }

  void kvasir_subset_decodes() {
    DatasetOptions o;
    o.root = kvasir();
    o.max_images = 6;
    const auto idx = scan_dataset(o);
    QCOMPARE(int(idx.train.size() + idx.val.size()), 6);
    QVERIFY(idx.val.size() >= 1);
    DatasetSummary s = idx.summary;
    LoadOptions lo;
    lo.long_side = 128;
    const auto samples = load_samples(idx.train, lo, &s);
    QCOMPARE(samples.size(), idx.train.size());
    for (const auto& x : samples) {
      QCOMPARE(x.image.dim(), int64_t(3));
      QCOMPARE(x.image.size(0), int64_t(3));
      QCOMPARE(std::max(x.image.size(1), x.image.size(2)), int64_t(128));
      QCOMPARE(x.label.size(0), x.image.size(1));
      QVERIFY(x.label.max().item<int>() == 1);  // every Kvasir image has a polyp
      QVERIFY(x.orig_w >= 332);
    }
    // JPEG masks are thresholded, not mapped 255 -> 1 only: the edge pixels (not exactly 255) count.
    const auto decoded = decode_mask(idx.train[0].mask_path);
    const cv::Mat m(decoded.height, decoded.width, CV_8U, const_cast<uint8_t*>(decoded.pixels.data()));
    const cv::Mat raw = cv::imread(idx.train[0].mask_path, cv::IMREAD_GRAYSCALE);
    QCOMPARE(cv::countNonZero(m), cv::countNonZero(raw > 127));
    QVERIFY(cv::countNonZero(raw == 255) < cv::countNonZero(m));
  }

  void random90_is_seeded_and_saved() {
    QTemporaryDir run;
    DatasetOptions o;
    o.root = kvasir();
    o.split = "random90";
    o.seed = 7;
    o.split_dir = run.path().toStdString();
    const auto a = scan_dataset(o);
    QCOMPARE(a.summary.train_count, 900);
    QCOMPARE(a.summary.val_count, 100);
    QVERIFY(fs::exists(fs::path(o.split_dir) / "split.json"));
    o.seed = 8;  // the saved split wins over a new seed: a resume keeps its images
    const auto b = scan_dataset(o);
    QCOMPARE(b.summary.split, std::string("saved"));
    QCOMPARE(b.val.front().name, a.val.front().name);
    QCOMPARE(b.val.back().name, a.val.back().name);
    DatasetOptions fresh = o;
    fresh.split_dir.clear();
    const auto c = scan_dataset(fresh);  // seed 8, no saved file: a different split
    bool differs = false;
    for (size_t i = 0; i < c.val.size(); ++i) differs |= c.val[i].name != a.val[i].name;
    QVERIFY(differs);
  }

  void bad_folder_problems_counted() {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    fs::create_directories(root / "images");
    fs::create_directories(root / "masks");
    write_pair(root, "good1", 40, 50);
    write_pair(root, "good2", 41, 51, ".png", ".jpg");
    write_pair(root, "good3", 30, 30, ".bmp", ".png");
    write_pair(root, "mismatch", 40, 50, ".jpg", ".png", 20);
    { std::ofstream(root / "images" / "nomask.jpg") << "x"; }
    { std::ofstream(root / "images" / "notes.txt") << "not an image"; }
    { std::ofstream(root / "images" / "corrupt.jpg") << "definitely not a jpeg"; }
    { std::ofstream(root / "masks" / "corrupt.png") << "nor a png"; }
    // 16-bit grayscale image: converted, not refused.
    cv::Mat g16(20, 30, CV_16U, cv::Scalar(65535));
    QVERIFY(cv::imwrite((root / "images" / "deep.png").string(), g16));
    cv::Mat m01 = cv::Mat::zeros(20, 30, CV_8U);
    m01(cv::Rect(0, 0, 10, 10)).setTo(1);  // a label-index mask (values 0/1)
    QVERIFY(cv::imwrite((root / "masks" / "deep.png").string(), m01));
    { std::ofstream(root / "train.txt") << "good1\ngood2.png\nmismatch\ncorrupt\ndeep\nghost\n"; }
    { std::ofstream(root / "val.txt") << "good3\n"; }

    DatasetOptions o;
    o.root = root.string();
    auto idx = scan_dataset(o);
    QCOMPARE(idx.summary.pairs_found, 6);  // good1-3, mismatch, corrupt, deep
    QVERIFY(has_problem(idx.summary, "nomask.jpg", "no mask"));
    QVERIFY(has_problem(idx.summary, "notes.txt", "not an image"));
    QVERIFY(has_problem(idx.summary, "ghost", "listed but no image"));
    QCOMPARE(idx.summary.train_count, 5);
    QCOMPARE(idx.summary.val_count, 1);

    DatasetSummary s = idx.summary;
    const auto samples = load_samples(idx.train, LoadOptions{}, &s);
    QCOMPARE(int(samples.size()), 3);  // good1, good2, deep
    QVERIFY(has_problem(s, "mismatch", "mask is 50x20"));
    QVERIFY(has_problem(s, "corrupt", "corrupt"));
    for (const auto& x : samples) {
      if (x.name != "deep") continue;
      QCOMPARE(x.image.size(0), int64_t(3));
      QCOMPARE(x.image.max().item<int>(), 255);   // 16-bit 65535 -> 255
      QCOMPARE(x.label.sum().item<int>(), 100);   // 0/1 mask kept as labels
    }

    o.strict = true;
    QVERIFY_THROWS_EXCEPTION(DatasetError, scan_dataset(o));
    LoadOptions strict;
    strict.strict = true;
    QVERIFY_THROWS_EXCEPTION(DatasetError, load_samples(idx.train, strict, nullptr));
  }

  void unusable_folders_are_errors() {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    DatasetOptions o;
    o.root = (root / "missing").string();
    QVERIFY_THROWS_EXCEPTION(DatasetError, scan_dataset(o));
    fs::create_directories(root / "images");
    fs::create_directories(root / "masks");
    o.root = root.string();
    try {
      scan_dataset(o);
      QFAIL("empty folder accepted");
    } catch (const DatasetError& e) {
      QVERIFY(std::string(e.what()).find("no image/mask pairs") != std::string::npos);
    }
    write_pair(root, "a", 10, 10);
    write_pair(root, "b", 10, 10);
    {
      // Official split without train.txt/val.txt: an unsplit folder, all of it trains (and it says so).
      const auto all_train = scan_dataset(o);
      QCOMPARE(all_train.summary.split, std::string("all-train"));
      QCOMPARE(all_train.summary.train_count, 2);
      QCOMPARE(all_train.summary.val_count, 0);
      QVERIFY(all_train.summary.to_string().find("no train.txt/val.txt") != std::string::npos);
    }
    o.split = "random90";
    const auto idx = scan_dataset(o);
    QCOMPARE(idx.summary.train_count + idx.summary.val_count, 2);
    o.split = "bogus";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, scan_dataset(o));
  }

  // A CVC-ClinicDB/ETIS-style test folder: PNG images and masks (one BMP image with a JPEG mask),
  // matched by stem, no split files.
  void png_folder_without_split_files_for_eval() {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    fs::create_directories(root / "images");
    fs::create_directories(root / "masks");
    for (const char* n : {"1", "2", "3"}) write_pair(root, n, 30, 40, ".png", ".png");
    write_pair(root, "4", 30, 40, ".bmp", ".jpg");

    DatasetOptions o;
    o.root = root.string();
    o.evaluation = true;
    const auto idx = scan_dataset(o);
    QCOMPARE(idx.summary.split, std::string("none"));
    QCOMPARE(idx.summary.pairs_found, 4);
    QCOMPARE(int(idx.train.size()), 0);  // an empty train list is fine for evaluation
    QCOMPARE(int(idx.val.size()), 4);    // eval --split val and --split all both score every pair
    QVERIFY2(idx.summary.problems.empty(), idx.summary.to_string().c_str());
    QVERIFY(idx.summary.to_string().find("no train.txt/val.txt") != std::string::npos);
    QCOMPARE(idx.val.front().name, std::string("1"));  // bare stems: no prefix for the only folder
    DatasetSummary s = idx.summary;
    QCOMPARE(int(load_samples(idx.val, LoadOptions{}, &s).size()), 4);  // PNG, BMP and JPEG decode

    // The same folder for training: every pair trains, none validates.
    o.evaluation = false;
    const auto tr = scan_dataset(o);
    QCOMPARE(tr.summary.split, std::string("all-train"));
    QCOMPARE(tr.summary.train_count, 4);
    QCOMPARE(tr.summary.val_count, 0);

    // Split files with an empty train.txt (a test-only set): evaluation works, training refuses.
    { std::ofstream(root / "train.txt") << "\n"; }
    { std::ofstream(root / "val.txt") << "1\n2.png\nimages/3.png\n4\n"; }
    o.evaluation = true;
    const auto test_only = scan_dataset(o);
    QCOMPARE(test_only.summary.split, std::string("official"));
    QCOMPARE(int(test_only.train.size()), 0);
    QCOMPARE(int(test_only.val.size()), 4);
    o.evaluation = false;
    try {
      scan_dataset(o);
      QFAIL("training without training images accepted");
    } catch (const DatasetError& e) {
      QVERIFY2(std::string(e.what()).find("no training images") != std::string::npos, e.what());
    }
  }

  // train --data kvasir --data other: Kvasir's official split plus every pair of a folder without split
  // files as extra training images; names stay unique although the stems collide.
  void two_folders_for_training() {
    QTemporaryDir dir, run;
    const fs::path extra = fs::path(dir.path().toStdString()) / "ClinicDB";
    fs::create_directories(extra / "images");
    fs::create_directories(extra / "masks");
    // Same stem as a Kvasir image, and one of its own.
    write_pair(extra, "cju0qkwl35piu0993l0dewei2", 30, 40, ".png", ".png");
    write_pair(extra, "12", 30, 40, ".png", ".png");
    write_pair(extra, "13", 30, 40, ".png", ".png");
    fs::rename(extra / "masks" / "13.png", extra / "masks" / "13.webp");  // a WebP mask: named, pair skipped

    DatasetOptions o;
    o.root = kvasir();
    o.extra_roots = {extra.string()};
    o.split_dir = run.path().toStdString();
    const auto idx = scan_dataset(o);
    QCOMPARE(idx.summary.pairs_found, 1002);
    QCOMPARE(idx.summary.train_count, 882);
    QCOMPARE(idx.summary.val_count, 120);
    QCOMPARE(idx.summary.split, std::string("official+all-train"));
    QVERIFY(has_problem(idx.summary, "13.webp", "WebP is not supported by this build's decoder"));
    std::set<std::string> names;
    for (const auto* list : {&idx.train, &idx.val})
      for (const auto& p : *list) QVERIFY2(names.insert(p.name).second, p.name.c_str());
    QCOMPARE(int(names.size()), 1002);
    QVERIFY(names.count("cju0qkwl35piu0993l0dewei2") && names.count("ClinicDB/cju0qkwl35piu0993l0dewei2"));
    QVERIFY(names.count("ClinicDB/12"));
    for (const auto& p : idx.val) QVERIFY(p.name.find('/') == std::string::npos);  // val: Kvasir's list only
    for (const auto& p : idx.train)
      if (p.name == "ClinicDB/12") QCOMPARE(p.image_path, (extra / "images" / "12.png").string());

    // split.json names both folders; a resumed run resolves the same names again.
    std::ifstream f(fs::path(o.split_dir) / "split.json");
    const std::string saved((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    QVERIFY(saved.find("ClinicDB/12") != std::string::npos && saved.find(extra.string()) != std::string::npos);
    const auto again = scan_dataset(o);
    QCOMPARE(again.summary.split, std::string("saved"));
    QCOMPARE(again.summary.train_count, 882);
    QCOMPARE(again.train.back().name, idx.train.back().name);
    QCOMPARE(again.train.back().name, std::string("ClinicDB/cju0qkwl35piu0993l0dewei2"));

    // A capped quick run takes from both folders.
    DatasetOptions small = o;
    small.split_dir.clear();
    small.max_images = 12;
    const auto capped = scan_dataset(small);
    QCOMPARE(capped.summary.train_count + capped.summary.val_count, 12);
    int from_extra = 0;
    for (const auto& p : capped.train) from_extra += p.name.rfind("ClinicDB/", 0) == 0;
    QCOMPARE(from_extra, 2);

    // A folder given twice is refused, naming it.
    DatasetOptions twice = small;
    twice.extra_roots = {kvasir() + "/"};
    try {
      scan_dataset(twice);
      QFAIL("the same folder twice accepted");
    } catch (const DatasetError& e) {
      QVERIFY2(std::string(e.what()).find("given twice") != std::string::npos, e.what());
    }
  }

  // Files the decoder cannot read and files without a partner are problems naming the file and folder.
  void unmatched_and_webp_files_named() {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    fs::create_directories(root / "images");
    fs::create_directories(root / "masks");
    write_pair(root, "good", 20, 20, ".png", ".png");
    { std::ofstream(root / "images" / "scan.webp", std::ios::binary) << "RIFF"; }
    write_pair(root, "scan_mask_only", 20, 20, ".png", ".png");
    fs::remove(root / "images" / "scan_mask_only.png");
    { std::ofstream(root / "masks" / "scan.png", std::ios::binary) << "x"; }
    { std::ofstream(root / "images" / "lonely.JPG", std::ios::binary) << "x"; }
    DatasetOptions o;
    o.root = root.string();
    o.evaluation = true;
    const auto idx = scan_dataset(o);
    QCOMPARE(int(idx.val.size()), 1);
    QVERIFY(has_problem(idx.summary, (root / "images" / "scan.webp").string(), "WebP is not supported"));
    QVERIFY(has_problem(idx.summary, "scan.webp", "convert to PNG"));
    QVERIFY(has_problem(idx.summary, (root / "images" / "lonely.JPG").string(),
                        "no mask with the same name in " + (root / "masks").string()));
    QVERIFY(has_problem(idx.summary, (root / "masks" / "scan_mask_only.png").string(), "mask without an image"));
    QVERIFY(!has_problem(idx.summary, "masks/scan.png", ""));  // the WebP's mask is not a second complaint
    // Only WebP pairs: the error names the first problem.
    fs::remove(root / "images" / "good.png");
    fs::remove(root / "images" / "lonely.JPG");
    try {
      scan_dataset(o);
      QFAIL("a folder of WebP images accepted");
    } catch (const DatasetError& e) {
      QVERIFY2(std::string(e.what()).find("scan.webp: WebP is not supported") != std::string::npos, e.what());
    }
  }
};

QTEST_GUILESS_MAIN(TestDataset)
#include "test_dataset.moc"
