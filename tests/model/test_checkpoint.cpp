// Checkpoint files: exact round trip, fp16 storage, bad files refused with clear errors, and
// Python's torch.load reading what the C++ wrote.
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <sys/resource.h>

#include <torch/torch.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "model/checkpoint.h"
#include "model/segmentor.h"
#include "support/tiny_model.h"

using namespace pl::model;
namespace fs = std::filesystem;

namespace {

SegmentorOptions tiny(int depth = 18, int classes = 2) {
  SegmentorOptions o = pl::test::tiny_options(96, 128, depth, classes);
  o.dropout = 0.25;
  o.mean = {1.5f, 2.25f, 3.125f};
  o.std = {4.0f, 5.5f, 6.75f};
  return o;
}

// Random weights and non-trivial BN statistics, so a round trip has something to lose.
AnnSegmentor trained_like(const SegmentorOptions& o) {
  AnnSegmentor m(o);
  torch::NoGradGuard no_grad;
  for (auto& p : m->parameters()) p.normal_(0.0, 0.1);
  m->train();
  m->forward(torch::randn({2, 3, 32, 32}));
  m->eval();
  return m;
}

std::string expect_error(const std::string& path) {
  try {
    read_checkpoint(path);
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "";
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

class TestCheckpoint : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::string file(const char* name) const { return dir_.filePath(name).toStdString(); }

 private Q_SLOTS:
  void initTestCase() {
    at::set_num_threads(1);
    torch::manual_seed(1);
    QVERIFY(dir_.isValid());
  }

  void round_trip_exact() {
    auto model = trained_like(tiny());
    CheckpointMeta meta;
    meta.epoch = 7;
    meta.iteration = 1234;
    meta.metrics = {{"val.dice", 0.8125}, {"val.miou", 0.5}};
    meta.strings = {{"note", "unit test"}, {"classes", "bg,polyp"}};
    std::map<std::string, torch::Tensor> extra{{"optimizer.momentum.0", torch::randn({3, 4})},
                                               {"rng", torch::randint(0, 255, {16}, torch::kUInt8)}};
    const auto path = file("round.pt");
    save_checkpoint(path, model, meta, extra);
    QVERIFY(std::filesystem::exists(path));
    for (const auto& e : std::filesystem::directory_iterator(dir_.path().toStdString()))
      QVERIFY2(e.path().string().find(".tmp-") == std::string::npos, "temporary file left behind");

    auto ck = read_checkpoint(path);
    const auto& o = ck.options;
    const auto want = tiny();
    QCOMPARE(o.preset, want.preset);
    QCOMPARE(o.depth, want.depth);
    QCOMPARE(o.key_pool_scales, want.key_pool_scales);
    QCOMPARE(o.dropout, want.dropout);
    QCOMPARE(o.input_h, 96);
    QCOMPARE(o.input_w, 128);
    QVERIFY(o.mean == want.mean && o.std == want.std);
    QCOMPARE(ck.meta.epoch, int64_t{7});
    QCOMPARE(ck.meta.iteration, int64_t{1234});
    QCOMPARE(ck.meta.metrics.at("val.dice"), 0.8125);
    QCOMPARE(ck.meta.strings.at("note"), std::string("unit test"));
    QCOMPARE(ck.classes, std::string("bg,polyp"));
    QCOMPARE(ck.storage_dtype, std::string("fp32"));
    QVERIFY(!ck.created.empty());

    const auto original = state_dict(model);
    QCOMPARE(ck.state.size(), original.size());
    for (const auto& [name, t] : original) {
      QVERIFY2(ck.state.count(name), name.c_str());
      QCOMPARE(ck.state.at(name).scalar_type(), t.scalar_type());
      QVERIFY2(torch::equal(ck.state.at(name), t), name.c_str());
    }
    QCOMPARE(ck.extra.size(), extra.size());
    for (const auto& [name, t] : extra) QVERIFY2(torch::equal(ck.extra.at(name), t), name.c_str());
    QCOMPARE(ck.content_hash, content_hash(original));

    auto rebuilt = model_from_checkpoint(ck);
    rebuilt->eval();
    torch::NoGradGuard no_grad;
    auto x = torch::randn({1, 3, 40, 48});
    QVERIFY(torch::equal(rebuilt->predict(x), model->predict(x)));
  }

  void hash_sensitive() {
    auto model = trained_like(tiny());
    auto a = content_hash(state_dict(model));
    {
      torch::NoGradGuard no_grad;
      model->decode_head->conv_seg->bias[0] += 1e-3;
    }
    QVERIFY(a != content_hash(state_dict(model)));
  }

  void fp16_storage() {
    auto model = trained_like(tiny(50));
    const auto path32 = file("m32.pt"), path16 = file("m16.pt");
    save_checkpoint(path32, model, {});
    save_checkpoint(path16, model, {}, {}, /*fp16=*/true);
    const auto size32 = std::filesystem::file_size(path32), size16 = std::filesystem::file_size(path16);
    QVERIFY2(size16 < size32 * 6 / 10, (std::to_string(size16) + " vs " + std::to_string(size32)).c_str());
    auto ck = read_checkpoint(path16);
    QCOMPARE(ck.storage_dtype, std::string("fp16"));
    QCOMPARE(ck.state.at("backbone.conv1.weight").scalar_type(), torch::kHalf);
    QCOMPARE(ck.state.at("backbone.bn1.num_batches_tracked").scalar_type(), torch::kLong);
    auto rebuilt = model_from_checkpoint(ck);
    const auto w = rebuilt->backbone->conv1->weight;
    QCOMPARE(w.scalar_type(), torch::kFloat);
    QVERIFY(torch::equal(w, model->backbone->conv1->weight.to(torch::kHalf).to(torch::kFloat)));
  }

  void overwrite_in_place() {
    const auto path = file("over.pt");
    auto a = trained_like(tiny());
    CheckpointMeta meta;
    meta.epoch = 1;
    save_checkpoint(path, a, meta);
    meta.epoch = 2;
    save_checkpoint(path, a, meta);
    QCOMPARE(read_checkpoint(path).meta.epoch, int64_t{2});
  }

  void unwritable_path() {
    auto model = trained_like(tiny());
    try {
      save_checkpoint(file("no/such/dir/x.pt"), model, {});
      QFAIL("wrote into a missing folder");
    } catch (const CheckpointError& e) {
      QVERIFY2(std::string(e.what()).find("no/such/dir/x.pt") != std::string::npos, e.what());
    }
  }

  // Disk full while writing (a file-size limit stands in for a full disk: write() fails with EFBIG
  // part-way): a clear error naming the file, the previous checkpoint intact, no temporary left.
  void disk_full_keeps_the_previous_checkpoint() {
    const auto path = file("full.pt");
    auto model = trained_like(tiny());
    CheckpointMeta meta;
    meta.epoch = 1;
    save_checkpoint(path, model, meta);
    const auto before = fs::file_size(path);
    QVERIFY(before > 8192);

    struct rlimit old_limit {};
    QCOMPARE(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old_limit;
    small.rlim_cur = 4096;
    QCOMPARE(setrlimit(RLIMIT_FSIZE, &small), 0);
    std::string error;
    meta.epoch = 2;
    try {
      save_checkpoint(path, model, meta);
    } catch (const CheckpointError& e) {
      error = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);

    QVERIFY2(!error.empty(), "a checkpoint larger than the space left was reported as written");
    QVERIFY2(error.find(path) != std::string::npos, error.c_str());
    QCOMPARE(fs::file_size(path), before);
    QCOMPARE(read_checkpoint(path).meta.epoch, int64_t{1});
    for (const auto& entry : fs::directory_iterator(dir_.path().toStdString()))
      QVERIFY2(entry.path().filename().string().find("full.pt.tmp-") == std::string::npos,
               entry.path().c_str());
  }

  void bad_files_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("reason");
    QTest::newRow("missing") << "missing" << "cannot open";
    QTest::newRow("empty") << "empty" << "empty";
    QTest::newRow("random bytes") << "random" << "not a zip";
    QTest::newRow("truncated to half") << "half" << "cannot be read";
    QTest::newRow("truncated to 100 bytes") << "head" << "cannot be read";
    QTest::newRow("flipped byte") << "flip" << "";
    QTest::newRow("other torch file") << "foreign" << "not a PolypLens checkpoint";
  }
  void bad_files() {
    QFETCH(QString, kind);
    QFETCH(QString, reason);
    const auto good = file("good.pt");
    if (!std::filesystem::exists(good)) {
      auto model = trained_like(tiny());
      save_checkpoint(good, model, {});
    }
    const auto bytes = read_bytes(good);
    const auto path = file(("bad_" + kind.toStdString() + ".pt").c_str());
    const std::string k = kind.toStdString();
    if (k == "empty") write_bytes(path, {});
    if (k == "random") {
      auto r = torch::randint(0, 256, {4096}, torch::kUInt8);
      write_bytes(path, std::vector<char>(static_cast<char*>(r.data_ptr()), static_cast<char*>(r.data_ptr()) + 4096));
    }
    if (k == "half") write_bytes(path, std::vector<char>(bytes.begin(), bytes.begin() + bytes.size() / 2));
    if (k == "head") write_bytes(path, std::vector<char>(bytes.begin(), bytes.begin() + 100));
    if (k == "flip") {
      auto b = bytes;
      b[b.size() / 2] = static_cast<char>(b[b.size() / 2] ^ 0x5a);
      write_bytes(path, b);
    }
    if (k == "foreign") {
      c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
      d.insert("conv1.weight", torch::zeros({2, 2}));
      write_bytes(path, torch::pickle_save(d));
    }
    const auto msg = expect_error(path);
    QVERIFY2(!msg.empty(), "no CheckpointError");
    QVERIFY2(msg.find(path) != std::string::npos, msg.c_str());
    QVERIFY2(msg.find(reason.toStdString()) != std::string::npos, msg.c_str());
  }

  void wrong_architecture() {
    const auto path = file("r18.pt");
    auto r18 = trained_like(tiny(18));
    save_checkpoint(path, r18, {});
    auto ck = read_checkpoint(path);
    AnnSegmentor r50(tiny(50));
    const auto before = r50->backbone->conv1->weight.clone();
    try {
      load_state(r50, ck);
      QFAIL("an R18 checkpoint loaded into an R50 model");
    } catch (const CheckpointError& e) {
      const std::string msg = e.what();
      QVERIFY2(msg.find("does not fit") != std::string::npos, e.what());
      QVERIFY2(msg.find("ResNet-18") != std::string::npos && msg.find("ResNet-50") != std::string::npos, e.what());
      QVERIFY2(msg.find("missing 'backbone.layer1.0.conv3.weight'") != std::string::npos, e.what());
    }
    QVERIFY(torch::equal(before, r50->backbone->conv1->weight));

    AnnSegmentor three_classes(tiny(18, 3));
    try {
      load_state(three_classes, ck);
      QFAIL("a 2-class checkpoint loaded into a 3-class model");
    } catch (const CheckpointError& e) {
      QVERIFY2(std::string(e.what()).find("shape of 'decode_head.conv_seg.weight'") != std::string::npos, e.what());
    }
  }

  void python_reads_it() {
    const auto path = file("for_python.pt");
    auto model = trained_like(tiny());
    CheckpointMeta meta;
    meta.epoch = 3;
    save_checkpoint(path, model, meta, {{"momentum", torch::ones({5})}});
    const char* script =
        "import sys, torch\n"
        "d = torch.load(sys.argv[1])\n"
        "assert isinstance(d, dict) and sorted(d) == ['extra', 'meta', 'state_dict'], sorted(d)\n"
        "w = d['state_dict']['decode_head.conv_seg.weight']\n"
        "print('shape', tuple(w.shape), 'dtype', w.dtype)\n"
        "print('preset', d['meta']['preset'], 'epoch', d['meta']['epoch'], 'scales', d['meta']['key_pool_scales'])\n"
        "print('extra', float(d['extra']['momentum'].sum()))\n";
    QProcess py;
    py.start(POLYPLENS_TEST_PYTHON, {"-c", script, QString::fromStdString(path)});
    QVERIFY(py.waitForFinished(120000));
    const QString out = QString::fromUtf8(py.readAllStandardOutput());
    QVERIFY2(py.exitCode() == 0, qPrintable(out + QString::fromUtf8(py.readAllStandardError())));
    QVERIFY2(out.contains("shape (2, 16, 1, 1) dtype torch.float32"), qPrintable(out));
    QVERIFY2(out.contains("preset tiny-test epoch 3 scales 1,2"), qPrintable(out));
    QVERIFY2(out.contains("extra 5.0"), qPrintable(out));
  }
};

QTEST_GUILESS_MAIN(TestCheckpoint)
#include "test_checkpoint.moc"
