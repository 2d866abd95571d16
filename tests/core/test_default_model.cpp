// The bundled default model reproduces the figures quoted in resources/models/README.md:
// resources/models/default.subset.json holds `polyplens eval` of default.pt on the first N images of
// the official val split; this re-runs the same evaluation and compares to 3 decimals.
// resources/models/default.clip-subset.json holds `polyplens eval --clip` of the bundled sample clip
// (first N frames); the clip test re-scores those frames the same way.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <cmath>

#include "core/data/dataset.h"
#include "core/inference/predictor.h"
#include "core/metrics/evaluate.h"
#include "core/sample/clip_score.h"

using namespace pl::core;

namespace {
const QString kModels = QStringLiteral(POLYPLENS_TEST_SOURCE_DIR "/resources/models");

QJsonObject read_json(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QJsonDocument::fromJson(f.readAll()).object();
}

double at(const QJsonObject& o, const QStringList& keys) {
  QJsonValue v = o;
  for (const auto& k : keys) {
    bool is_index = false;
    const int i = k.toInt(&is_index);
    v = is_index ? v.toArray().at(i) : v.toObject().value(k);
  }
  return v.toDouble(std::nan(""));
}
}  // namespace

class TestDefaultModel : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void reproducesQuotedFigures() {
    const QJsonObject ref = read_json(kModels + "/default.subset.json");
    QVERIFY2(!ref.isEmpty(), "resources/models/default.subset.json is missing or not JSON");
    const int n = ref.value("per_image").toObject().value("images").toInt();
    QVERIFY(n > 0);

    data::DatasetOptions d;
    d.root = POLYPLENS_TEST_DATA "/kvasir-seg";
    auto pairs = data::scan_dataset(d).val;
    QVERIFY(int(pairs.size()) >= n);
    pairs.resize(size_t(n));

    inference::PredictorOptions po;
    po.threads = 2;
    inference::Predictor predictor((kModels + "/default.pt").toStdString(), po);
    const auto report = metrics::evaluate(predictor, pairs);
    const QJsonObject got = QJsonDocument::fromJson(QByteArray::fromStdString(report.to_json())).object();

    const QList<QStringList> keys = {
        {"dataset_level", "mDice"}, {"dataset_level", "mIoU"},  {"dataset_level", "aAcc"},
        {"dataset_level", "classes", "1", "dice"}, {"dataset_level", "classes", "1", "iou"},
        {"per_image", "mean_dice"}, {"per_image", "mean_iou"}};
    for (const auto& k : keys) {
      const double want = at(ref, k), have = at(got, k);
      QVERIFY2(std::isfinite(want) && std::isfinite(have), qPrintable(k.join('.')));
      QVERIFY2(std::abs(want - have) < 5e-4,
               qPrintable(QString("%1: quoted %2, reproduced %3").arg(k.join('.')).arg(want).arg(have)));
    }
  }

  void reproducesClipFigures() {
    const QJsonObject ref = read_json(kModels + "/default.clip-subset.json");
    QVERIFY2(!ref.isEmpty(), "resources/models/default.clip-subset.json is missing or not JSON");
    const int n = ref.value("frames").toInt();
    QVERIFY(n > 0);
    inference::PredictorOptions po;
    po.threads = 2;
    inference::Predictor predictor((kModels + "/default.pt").toStdString(), po);
    const QString samples = QStringLiteral(POLYPLENS_TEST_SOURCE_DIR "/resources/samples");
    const auto s = score_clip((samples + "/sample.mp4").toStdString(), (samples + "/sample.plmasks").toStdString(),
                              predictor, {}, n);
    QCOMPARE(s.frames, n);
    QCOMPARE(int(s.frame_dice.size()), n);
    const auto frames = ref.value("frame_dice").toArray();
    QCOMPARE(frames.size(), n);
    for (int i = 0; i < n; ++i)
      QVERIFY2(std::abs(frames.at(i).toDouble() - s.frame_dice[size_t(i)]) < 5e-3,
               qPrintable(QString("frame %1: quoted %2, reproduced %3").arg(i).arg(frames.at(i).toDouble())
                              .arg(s.frame_dice[size_t(i)])));
    QVERIFY2(std::abs(ref.value("mean_dice").toDouble() - s.mean_dice) < 5e-4,
             qPrintable(QString("mean Dice: quoted %1, reproduced %2").arg(ref.value("mean_dice").toDouble()).arg(s.mean_dice)));
    QVERIFY2(std::abs(ref.value("pooled_dice").toDouble() - s.pooled_dice) < 5e-4,
             qPrintable(QString("pooled Dice: quoted %1, reproduced %2").arg(ref.value("pooled_dice").toDouble()).arg(s.pooled_dice)));
  }
};

QTEST_GUILESS_MAIN(TestDefaultModel)
#include "test_default_model.moc"
