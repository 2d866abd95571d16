// Bad-input matrix, settings: TrainConfig validation names the field and the bad value, config.json
// parsing refuses malformed files, the `polyplens` CLI exits with code 2 and says what was wrong,
// and a crop larger than every image is refused by the Trainer with the remedy.
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "core/matrix_support.h"
#include "core/train/trainer.h"
#include "support/tiny_model.h"

using pl::core::train::TrainConfig;
using pl::test::contains;
namespace fs = std::filesystem;

namespace {

struct ConfigCase {
  std::function<void(TrainConfig&)> edit;
  std::string needle;  // must appear in the std::invalid_argument message
};

const std::map<std::string, ConfigCase>& config_cases() {
  static const std::map<std::string, ConfigCase> cases = {
      {"zero batch", {[](TrainConfig& c) { c.batch = 0; }, "batch must be positive, got 0"}},
      {"negative batch", {[](TrainConfig& c) { c.batch = -3; }, "got -3"}},
      {"negative learning rate", {[](TrainConfig& c) { c.lr = -0.01; }, "lr must be positive, got -0.01"}},
      {"zero learning rate", {[](TrainConfig& c) { c.lr = 0; }, "lr must be positive"}},
      {"NaN learning rate", {[](TrainConfig& c) { c.lr = std::nan(""); }, "lr must be positive"}},
      {"infinite learning rate", {[](TrainConfig& c) { c.lr = INFINITY; }, "lr must be positive"}},
      {"unknown preset", {[](TrainConfig& c) { c.preset = "ann-r9000"; }, "ann-r9000"}},
      {"crop not a multiple of 8", {[](TrainConfig& c) { c.crop_h = c.crop_w = 100; }, "multiple of 8"}},
      {"crop with one side 0", {[](TrainConfig& c) { c.crop_h = 0; c.crop_w = 64; }, "0x64"}},
      {"negative crop", {[](TrainConfig& c) { c.crop_h = c.crop_w = -64; }, "-64"}},
      {"zero epochs", {[](TrainConfig& c) { c.epochs = 0; }, "epochs must be positive, got 0"}},
      {"momentum 1", {[](TrainConfig& c) { c.momentum = 1.0; }, "momentum"}},
      {"min_lr above lr", {[](TrainConfig& c) { c.min_lr = 0.1; }, "min_lr"}},
      {"inverted ratio range", {[](TrainConfig& c) { c.ratio_min = 2; c.ratio_max = 1; }, "ratio range"}},
      {"cat_max_ratio 0", {[](TrainConfig& c) { c.cat_max_ratio = 0; }, "cat_max_ratio"}},
      {"flip probability 1.5", {[](TrainConfig& c) { c.flip_prob = 1.5; }, "flip_prob"}},
      {"unknown split", {[](TrainConfig& c) { c.split = "random50"; }, "random50"}},
      {"unknown device", {[](TrainConfig& c) { c.device = "tpu"; }, "tpu"}},
      {"unknown amp mode", {[](TrainConfig& c) { c.amp = "fp8"; }, "fp8"}},
      {"negative threads", {[](TrainConfig& c) { c.threads = -1; }, "threads"}},
      {"no data folder", {[](TrainConfig& c) { c.data_root.clear(); }, "data"}},
      {"no run directory", {[](TrainConfig& c) { c.out_dir.clear(); }, "run directory"}},
      {"zero log interval", {[](TrainConfig& c) { c.log_every = 0; }, "log_every"}},
  };
  return cases;
}

TrainConfig valid_config() {
  TrainConfig c;
  c.data_root = "/tmp/data";
  c.out_dir = "/tmp/run";
  c.preset = "ann-r18-live";
  return c;
}

pl::model::SegmentorOptions tiny() { return pl::test::tiny_options(); }

QString polyplens() { return QStringLiteral(POLYPLENS_TEST_BINARY_DIR "/app/polyplens"); }

}  // namespace

class TestMatrixConfig : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::map<QString, std::unique_ptr<QProcess>> cli_;

  struct CliCase {
    QString name;
    QStringList args;
    QString needle;  // must appear in the output
  };
  QString run_dir() const { return dir_.filePath("cli_run"); }
  std::vector<CliCase> cli_cases() const {
    const QString out = run_dir();
    return {
        {"train --batch 0", {"train", "--out", out, "--batch", "0"}, "batch must be positive, got 0"},
        {"train --lr -0.01", {"train", "--out", out, "--lr", "-0.01"}, "lr must be positive, got -0.01"},
        {"train --preset unknown", {"train", "--out", out, "--preset", "ann-r9000"}, "ann-r9000"},
        {"train --crop 100x100", {"train", "--out", out, "--crop", "100x100"}, "multiple of 8"},
        {"train --crop abc", {"train", "--out", out, "--crop", "abc"}, "abc"},
        {"train --batch ten", {"train", "--out", out, "--batch", "ten"}, "ten"},
        {"train without --out", {"train"}, "--out"},
        {"train --resume, nothing to resume", {"train", "--out", out, "--resume"}, "last.pt"},
        {"eval without checkpoint", {"eval"}, "--checkpoint"},
        {"eval --split bogus", {"eval", "--checkpoint", "x.pt", "--split", "bogus"}, "bogus"},
    };
  }
  void start_cli_processes() {
    for (const auto& c : cli_cases()) {
      auto p = std::make_unique<QProcess>();
      p->start(polyplens(), c.args);
      cli_.emplace(c.name, std::move(p));
    }
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    valid_config().validate();  // the base of every row is valid: each row breaks exactly one thing
  }

  void train_config_data() {
    QTest::addColumn<QString>("name");
    for (const auto& [name, c] : config_cases()) QTest::newRow(name.c_str()) << QString::fromStdString(name);
  }
  void train_config() {
    QFETCH(QString, name);
    const auto& cs = config_cases().at(name.toStdString());
    TrainConfig c = valid_config();
    cs.edit(c);
    try {
      c.validate();
      pl::test::report_case("accepted");
      QFAIL("invalid config accepted");
    } catch (const std::invalid_argument& e) {
      pl::test::report_case(std::string("refused: ") + e.what());
      QVERIFY2(contains(e.what(), cs.needle), e.what());
    }
    // The Trainer refuses it too, before touching the disk.
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pl::core::train::Trainer{c});
  }

  void config_json_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("needle");
    QTest::newRow("not JSON") << "{\"batch\": 2," << "not a JSON object";
    QTest::newRow("array instead of object") << "[1, 2]" << "not a JSON object";
    QTest::newRow("batch as text") << "{\"batch\": \"ten\"}" << "'batch' must be an integer";
    QTest::newRow("batch fractional") << "{\"batch\": 2.5}" << "'batch' must be an integer";
    QTest::newRow("lr as text") << "{\"lr\": \"fast\"}" << "'lr' must be a number";
    QTest::newRow("resume as number") << "{\"resume\": 1}" << "'resume' must be true or false";
  }
  void config_json() {
    QFETCH(QString, json);
    QFETCH(QString, needle);
    try {
      TrainConfig::from_json(json.toStdString());
      pl::test::report_case("accepted");
      QFAIL("malformed config.json accepted");
    } catch (const std::invalid_argument& e) {
      pl::test::report_case(std::string("refused: ") + e.what());
      QVERIFY2(contains(e.what(), needle.toStdString()), e.what());
    }
  }

  // `polyplens train/eval ...` with one bad value: exit code 2 and a message naming it, within 60 s.
  // The processes are started together (startCliProcesses) so their start-up costs overlap.
  void cli_data() {
    QTest::addColumn<QString>("name");
    for (const auto& c : cli_cases()) QTest::newRow(qPrintable(c.name)) << c.name;
  }
  void cli() {
    QFETCH(QString, name);
    if (cli_.empty()) start_cli_processes();
    const auto cases = cli_cases();  // kept alive: `cs` points into it
    const CliCase* cs = nullptr;
    for (const auto& c : cases)
      if (c.name == name) cs = &c;
    QVERIFY(cs);
    QProcess& p = *cli_.at(name);
    QVERIFY2(p.waitForStarted(10000), qPrintable(polyplens()));
    const bool finished = p.state() == QProcess::NotRunning || p.waitForFinished(60000);
    if (!finished) p.kill();
    const QString err = QString::fromUtf8(p.readAllStandardError()) + QString::fromUtf8(p.readAllStandardOutput());
    pl::test::report_case("exit " + std::to_string(p.exitCode()) + ": " + err.simplified().left(200).toStdString());
    QVERIFY2(finished, "hung");
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 2);
    QVERIFY2(err.contains(cs->needle), qPrintable(err));
    QVERIFY2(!fs::exists(run_dir().toStdString() + "/last.pt"), "a refused run wrote a checkpoint");
  }

  // A crop larger than every image even at the largest resize ratio (images 20x16, crop 64x64, base
  // scale 16): the run is refused up front with a message naming the crop and the remedy, instead of
  // training on pure padding. Nothing is written.
  void crop_larger_than_every_image() {
    const fs::path root = dir_.filePath("small_images").toStdString();
    fs::create_directories(root / "images");
    fs::create_directories(root / "masks");
    for (const char* n : {"a", "b", "c", "d"}) {
      cv::Mat img(16, 20, CV_8UC3);
      cv::randu(img, 0, 255);
      cv::Mat m = cv::Mat::zeros(16, 20, CV_8U);
      m(cv::Rect(4, 4, 8, 6)).setTo(255);
      QVERIFY(cv::imwrite((root / "images" / (std::string(n) + ".png")).string(), img));
      QVERIFY(cv::imwrite((root / "masks" / (std::string(n) + ".png")).string(), m));
    }
    std::ofstream(root / "train.txt") << "a\nb\nc\n";
    std::ofstream(root / "val.txt") << "d\n";
    TrainConfig c;
    c.data_root = root.string();
    c.out_dir = dir_.filePath("small_run").toStdString();
    c.preset = "tiny-test";
    c.model_options = tiny();
    c.crop_h = c.crop_w = 64;
    c.scale_long = c.scale_short = 16;  // rescaled images stay below the crop on both sides
    c.cache_long_side = 0;
    c.batch = 3;
    c.epochs = 1;
    c.val_every = 1;
    c.log_every = 1;
    c.threads = 2;
    c.device = "cpu";
    c.validate();
    pl::core::train::Trainer t(c);
    const auto result = t.run();
    pl::test::report_case(std::string(pl::core::train::phase_name(result.phase)) +
                          (result.message.empty() ? "" : ": " + result.message));
    QCOMPARE(result.phase, pl::core::train::TrainPhase::Failed);
    QVERIFY2(contains(result.message, "crop 64x64 is larger than every training image"), result.message.c_str());
    QVERIFY2(contains(result.message, "--crop"), result.message.c_str());
    QVERIFY(!fs::exists(fs::path(c.out_dir) / "last.pt"));
  }
};

QTEST_GUILESS_MAIN(TestMatrixConfig)
#include "test_matrix_config.moc"
