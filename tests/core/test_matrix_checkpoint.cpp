// Bad-input matrix, checkpoints and backbone weights: damaged files, the wrong model, NaN weights and
// torchvision files in the formats LibTorch cannot read are refused with an error naming the file and
// the reason; a process killed while writing a checkpoint leaves the previous one loadable.
//
// The kill test re-runs this executable as a child (`--write-loop PATH`) that saves checkpoints in a
// loop, printing each epoch after its save returned, and SIGKILLs it at staggered moments.
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <torch/torch.h>

#include "core/matrix_support.h"
#include "model/checkpoint.h"
#include "model/weights.h"
#include "support/tiny_model.h"

using namespace pl::model;
using pl::test::contains;
namespace fs = std::filesystem;

namespace {

SegmentorOptions tiny(int depth = 18, int classes = 2) { return pl::test::tiny_options(32, 32, depth, classes); }

// torchvision files in the three shapes users bring: dict (what we read), OrderedDict (what
// `torch.save(model.state_dict())` writes) and the pre-1.6 legacy format; plus a NaN-poisoned dict.
constexpr const char* kMakeWeights = R"PY(
import sys, collections, torch, torchvision
out = sys.argv[1]
sd = torchvision.models.resnet18(weights=None).state_dict()
assert isinstance(sd, collections.OrderedDict)
torch.save(dict(sd), out + '/r18_dict.pth')
torch.save(sd, out + '/r18_ordered.pth')
torch.save(dict(sd), out + '/r18_legacy.pth', _use_new_zipfile_serialization=False)
bad = dict(sd)
bad['layer1.0.conv1.weight'] = bad['layer1.0.conv1.weight'].clone()
bad['layer1.0.conv1.weight'][0, 0, 0, 0] = float('nan')
torch.save(bad, out + '/r18_nan.pth')
print('ok')
)PY";

int write_loop(const std::string& path) {
  at::set_num_threads(1);
  AnnSegmentor model(tiny());
  for (int64_t epoch = 1;; ++epoch) {
    CheckpointMeta meta;
    meta.epoch = epoch;
    save_checkpoint(path, model, meta);
    std::printf("%lld\n", static_cast<long long>(epoch));
    std::fflush(stdout);
  }
}

}  // namespace

class TestMatrixCheckpoint : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  QProcess python_;
  bool python_ok_ = false;
  std::string file(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

  // Makes the row's file; returns its path.
  std::string make(const std::string& kind) {
    const auto good = file("good.pt");
    const auto p = file(kind + ".pt");
    const auto bytes = contains(kind, "truncated") ? pl::test::read_all(good) : std::vector<char>{};
    if (kind == "zero-byte") pl::test::write_all(p, {});
    else if (kind == "truncated-half") pl::test::write_all(p, {bytes.begin(), bytes.begin() + bytes.size() / 2});
    else if (kind == "truncated-100") pl::test::write_all(p, {bytes.begin(), bytes.begin() + 100});
    else if (kind == "random-bytes") pl::test::write_all(p, pl::test::random_bytes(8192));
    else if (kind == "text") std::ofstream(p) << "epoch=3\nweights=somewhere\n";
    else if (kind == "directory") fs::create_directories(p);
    else if (kind == "missing") return file("nowhere/none.pt");
    else if (kind == "torchvision-as-checkpoint") return python_files() ? file("r18_dict.pth") : "";
    else if (kind == "wrong-architecture") return good;  // an R18 file for an R50 model (see target_depth)
    else {
      AnnSegmentor m(tiny(18, kind == "wrong-class-count" ? 3 : 2));
      torch::NoGradGuard no_grad;
      if (kind == "nan-weights") m->decode_head->conv_seg->weight[0][0][0][0] = std::nan("");
      if (kind == "inf-bn-stats") m->backbone->bn1->running_var[0] = INFINITY;
      save_checkpoint(p, m, {});
    }
    return p;
  }

 private Q_SLOTS:
  void initTestCase() {
    at::set_num_threads(1);
    torch::manual_seed(0);
    QVERIFY(dir_.isValid());
    // Python (torch + torchvision import, ~5-10 s) runs while the checkpoint rows do.
    python_.start(POLYPLENS_TEST_PYTHON, {"-c", kMakeWeights, dir_.path()});
    AnnSegmentor m(tiny());
    save_checkpoint(file("good.pt"), m, {});
  }

  // Waits for the Python files once; false if they could not be made.
  bool python_files() {
    if (!python_ok_ && python_.state() != QProcess::NotRunning) {
      python_.waitForFinished(120000);
      python_ok_ = python_.exitStatus() == QProcess::NormalExit && python_.exitCode() == 0;
      if (!python_ok_) qWarning("making torchvision files: %s", python_.readAllStandardError().constData());
    }
    return python_ok_;
  }

  // stage: "read" (read_checkpoint must throw), "load" (reads, then loading into a tiny R18 2-class
  // model must throw). The message must contain the file's path and `reason`.
  void bad_checkpoints_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("stage");
    QTest::addColumn<QString>("reason");
    auto row = [](const char* kind, const char* stage, const char* reason) {
      QTest::newRow(kind) << QString(kind) << QString(stage) << QString(reason);
    };
    row("zero-byte", "read", "empty");
    row("truncated-half", "read", "cannot be read");
    row("truncated-100", "read", "cannot be read");
    row("random-bytes", "read", "not a zip");
    row("text", "read", "not a zip");
    row("directory", "read", "cannot be read (a folder");
    row("missing", "read", "cannot open");
    row("wrong-architecture", "load", "does not fit");
    row("wrong-class-count", "load", "shape of 'decode_head.conv_seg.weight'");
    row("nan-weights", "load", "non-finite");
    row("inf-bn-stats", "load", "non-finite");
    row("torchvision-as-checkpoint", "read", "not a PolypLens checkpoint");
  }
  void bad_checkpoints() {
    QFETCH(QString, kind);
    QFETCH(QString, stage);
    QFETCH(QString, reason);
    const auto path = make(kind.toStdString());
    QVERIFY(!path.empty());
    std::string msg;
    bool read_ok = false;
    try {
      auto ck = read_checkpoint(path);
      read_ok = true;
      AnnSegmentor target(tiny(kind == "wrong-architecture" ? 50 : 18));
      const auto before = target->decode_head->conv_seg->weight.clone();
      try {
        load_state(target, ck);
      } catch (const CheckpointError& e) {
        msg = e.what();
        QVERIFY2(torch::equal(before, target->decode_head->conv_seg->weight), "model changed by a refused load");
      }
    } catch (const CheckpointError& e) {
      msg = e.what();
    }
    pl::test::report_case(msg.empty() ? "accepted (no error)" : (read_ok ? "load refused: " : "read refused: ") + msg.substr(0, 300));
    QVERIFY2(!msg.empty(), "no CheckpointError");
    QCOMPARE(read_ok, stage == "load");
    QVERIFY2(contains(msg, path), msg.c_str());
    QVERIFY2(contains(msg, reason.toStdString()), msg.c_str());
  }

  // expect: "loads N" (N backbone tensors loaded) or a WeightsError containing the path and the text.
  void torchvision_weights_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("depth");
    QTest::addColumn<QString>("expect");
    QTest::newRow("resnet18 dict into R18 (control)") << "r18_dict.pth" << 18 << "loads";
    QTest::newRow("resnet18 dict into R50") << "r18_dict.pth" << 50 << "do not fit";
    QTest::newRow("OrderedDict") << "r18_ordered.pth" << 18 << "OrderedDict";
    QTest::newRow("legacy format") << "r18_legacy.pth" << 18 << "legacy";
    QTest::newRow("NaN in the weights") << "r18_nan.pth" << 18 << "non-finite";
    QTest::newRow("PolypLens checkpoint as weights") << "good.pt" << 18 << "";
    QTest::newRow("random bytes as weights") << "random-bytes.pt" << 18 << "not a torch zip file";
    QTest::newRow("folder as weights") << "directory.pt" << 18 << "cannot be read (a folder";
  }
  void torchvision_weights() {
    QFETCH(QString, name);
    QFETCH(int, depth);
    QFETCH(QString, expect);
    QVERIFY(python_files());
    const auto path = file(name.toStdString());
    if (!fs::exists(path)) pl::test::write_all(path, pl::test::random_bytes(8192));
    AnnSegmentor m(tiny(depth));
    const auto before = m->backbone->conv1->weight.clone();
    try {
      const auto report = load_torchvision_backbone(m, path);
      pl::test::report_case("loaded: " + report.summary());
      QCOMPARE(expect, QString("loads"));
      QVERIFY(!report.loaded.empty());
      QVERIFY(report.unexpected.empty());
      QVERIFY(!torch::equal(before, m->backbone->conv1->weight));
    } catch (const WeightsError& e) {
      pl::test::report_case(std::string("refused: ") + std::string(e.what()).substr(0, 300));
      QVERIFY2(expect != "loads", e.what());
      QVERIFY2(contains(e.what(), path), e.what());
      QVERIFY2(contains(e.what(), expect.toStdString()), e.what());
      QVERIFY2(torch::equal(before, m->backbone->conv1->weight), "weights changed by a refused load");
    }
  }

  // SIGKILL at staggered moments while a child rewrites last.pt: the file always reads back, holds a
  // complete checkpoint at least as new as the last save the child reported, and only temporary files
  // (.last.pt.tmp-<pid>-<n>) may be left behind.
  void kill_during_checkpoint_write() {
    const auto path = file("killed/last.pt");
    fs::create_directories(fs::path(path).parent_path());
    std::string outcome;
    for (int round = 0; round < 2; ++round) {
      QProcess child;
      child.setProcessChannelMode(QProcess::SeparateChannels);
      child.start(QCoreApplication::applicationFilePath(), {"--write-loop", QString::fromStdString(path)});
      QVERIFY(child.waitForStarted(10000));
      long long last = 0;
      QByteArray buf;
      const auto deadline = QDeadlineTimer(60000);
      QElapsedTimer clock;
      clock.start();
      qint64 t_first = -1, t_second = -1;  // when saves 1 and 2 were reported
      while (last < 2 && !deadline.hasExpired()) {
        child.waitForReadyRead(50);
        buf += child.readAllStandardOutput();
        for (const auto& l : buf.split('\n'))
          if (!l.trimmed().isEmpty()) last = std::max(last, l.trimmed().toLongLong());
        if (last >= 1 && t_first < 0) t_first = clock.elapsed();
        if (last >= 2 && t_second < 0) t_second = clock.elapsed();
      }
      QVERIFY2(last >= 2, child.readAllStandardError().constData());
      // One save takes about t_second - t_first; its file write comes last (serialisation first),
      // so kill at 60% and 95% of the next save.
      const double fraction[] = {0.6, 0.95};
      const qint64 period = std::max<qint64>(1, t_second - t_first);
      QThread::msleep(static_cast<unsigned long>(fraction[round] * period));
      child.kill();  // SIGKILL
      QVERIFY(child.waitForFinished(10000));
      buf += child.readAllStandardOutput();
      for (const auto& l : buf.split('\n'))
        if (!l.trimmed().isEmpty()) last = std::max(last, l.trimmed().toLongLong());
      const auto ck = read_checkpoint(path);  // throws (test error) if the kill damaged it
      QVERIFY2(ck.meta.epoch >= last, (std::to_string(ck.meta.epoch) + " < " + std::to_string(last)).c_str());
      QVERIFY(ck.meta.epoch <= last + 1);  // the save in flight may have completed its rename
      auto m = model_from_checkpoint(ck);
      int others = 0;
      for (const auto& e : fs::directory_iterator(fs::path(path).parent_path())) {
        const auto n = e.path().filename().string();
        if (n != "last.pt") {
          QVERIFY2(contains(n, ".last.pt.tmp-"), n.c_str());
          ++others;
        }
      }
      outcome += "round " + std::to_string(round) + ": save period " + std::to_string(period) + " ms, killed at " +
                 std::to_string(static_cast<int>(fraction[round] * 100)) + "% after save " + std::to_string(last) + ", file holds epoch " +
                 std::to_string(ck.meta.epoch) + ", " + std::to_string(others) + " tmp file(s) left; ";
    }
    pl::test::report_case(outcome);
  }
};

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--write-loop") return write_loop(argv[2]);
  QCoreApplication app(argc, argv);
  TestMatrixCheckpoint t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_matrix_checkpoint.moc"
