// torchvision ResNet weights into the backbone: Python writes a randomly initialised dilated
// resnet50 (random BN statistics too) with its layer3/layer4 features; the C++ backbone must load
// every tensor and reproduce those features. Also the refusals: legacy files, OrderedDicts, wrong depth.
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>

#include <fstream>

#include "model/segmentor.h"
#include "model/weights.h"

using namespace pl::model;

namespace {

const char* kWriter = R"PY(
import sys, collections, torch, torchvision
torch.manual_seed(0)
out = sys.argv[1]
m = torchvision.models.resnet50(weights=None, replace_stride_with_dilation=[False, True, True])
with torch.no_grad():
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.weight.uniform_(0.5, 1.5); mod.bias.uniform_(-0.2, 0.2)
            mod.running_mean.uniform_(-0.2, 0.2); mod.running_var.uniform_(0.5, 1.5)
m.eval()
torch.save(dict(m.state_dict()), out + '/resnet50.pth')
x = torch.randn(1, 3, 64, 64)
with torch.no_grad():
    c3 = m.layer2(m.layer1(m.maxpool(m.relu(m.bn1(m.conv1(x))))))
    c4 = m.layer3(c3)
    c5 = m.layer4(c4)
torch.save({'x': x, 'c4': c4, 'c5': c5}, out + '/features.pt')
small = torch.nn.Conv2d(2, 2, 1).state_dict()  # an OrderedDict with _metadata, like torchvision's files
assert isinstance(small, collections.OrderedDict)
torch.save(small, out + '/ordered.pth')
torch.save(collections.OrderedDict(a=torch.zeros(1)), out + '/ordered1.pth')
torch.save(dict(small), out + '/legacy.pth', _use_new_zipfile_serialization=False)
print('ok', tuple(c4.shape), tuple(c5.shape))
)PY";

double rel_err(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).norm() / b.norm()).item<double>();
}

}  // namespace

class TestWeights : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::string file(const char* name) const { return dir_.filePath(name).toStdString(); }

  static SegmentorOptions r50() {
    SegmentorOptions o;
    o.channels = 16;  // the head is irrelevant here; keep it cheap
    o.project_channels = 8;
    o.aux_channels = 8;
    return o;
  }

  std::string load_error(AnnSegmentor& m, const std::string& path) {
    try {
      load_torchvision_backbone(m, path);
    } catch (const WeightsError& e) {
      return e.what();
    }
    return "";
  }

 private Q_SLOTS:
  void initTestCase() {
    at::set_num_threads(1);
    QVERIFY(dir_.isValid());
    QProcess py;
    py.start(POLYPLENS_TEST_PYTHON, {"-c", kWriter, dir_.path()});
    QVERIFY(py.waitForFinished(300000));
    const QString out = QString::fromUtf8(py.readAllStandardOutput());
    QVERIFY2(py.exitCode() == 0, qPrintable(out + QString::fromUtf8(py.readAllStandardError())));
    QVERIFY2(out.contains("ok (1, 1024, 8, 8) (1, 2048, 8, 8)"), qPrintable(out));
  }

  void parity_with_torchvision() {
    AnnSegmentor model(r50());
    auto report = load_torchvision_backbone(model, file("resnet50.pth"));
    QCOMPARE(report.missing.size(), size_t{0});
    QCOMPARE(report.unexpected.size(), size_t{0});
    QCOMPARE(report.skipped, (std::vector<std::string>{"fc.bias", "fc.weight"}));
    QCOMPARE(report.loaded.size(), size_t{318});  // 320 entries of resnet50's state dict minus fc
    QVERIFY2(report.summary().find("318 loaded, 0 missing") == 0, report.summary().c_str());

    std::ifstream in(file("features.pt"), std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto ref = torch::pickle_load(bytes).toGenericDict();
    auto x = ref.at(std::string("x")).toTensor();
    model->eval();
    torch::NoGradGuard no_grad;
    auto f = model->backbone->forward_features(x);
    const auto c4 = ref.at(std::string("c4")).toTensor(), c5 = ref.at(std::string("c5")).toTensor();
    QCOMPARE(f[2].sizes(), c4.sizes());
    QCOMPARE(f[3].sizes(), c5.sizes());
    const double e4 = rel_err(f[2], c4), e5 = rel_err(f[3], c5);
    QVERIFY2(e4 < 1e-4, QByteArray::number(e4));
    QVERIFY2(e5 < 1e-4, QByteArray::number(e5));
  }

  void wrong_depth_refused() {
    auto o = r50();
    o.depth = 18;
    AnnSegmentor r18(o);
    const auto before = r18->backbone->conv1->weight.clone();
    const auto msg = load_error(r18, file("resnet50.pth"));
    QVERIFY2(msg.find("do not fit") != std::string::npos && msg.find("ResNet-18") != std::string::npos, msg.c_str());
    QVERIFY(torch::equal(before, r18->backbone->conv1->weight));
  }

  void ordered_dict_explained() {
    AnnSegmentor model(r50());
    for (const char* name : {"ordered.pth", "ordered1.pth"}) {
      const auto msg = load_error(model, file(name));
      QVERIFY2(msg.find("OrderedDict") != std::string::npos, msg.c_str());
      QVERIFY2(msg.find("torch.save(dict(torch.load(") != std::string::npos, msg.c_str());
    }
  }

  void legacy_explained() {
    AnnSegmentor model(r50());
    const auto msg = load_error(model, file("legacy.pth"));
    QVERIFY2(msg.find("legacy") != std::string::npos && msg.find("torch.save(dict(") != std::string::npos, msg.c_str());
  }

  void not_matching_refused() {
    AnnSegmentor model(r50());
    QVERIFY(load_error(model, file("missing.pth")).find("cannot open") != std::string::npos);
    // features.pt is a readable dict of tensors, but none is a ResNet weight.
    const auto msg = load_error(model, file("features.pt"));
    QVERIFY2(msg.find("no tensor matches") != std::string::npos, msg.c_str());
  }
};

QTEST_GUILESS_MAIN(TestWeights)
#include "test_weights.moc"
