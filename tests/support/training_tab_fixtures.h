#pragma once
// Fixtures shared by the Training tab's suites (test_training_tab, test_training_tab_dist): a small
// synthetic data set and the form's config set up for a quick CPU run.
#include <string>

#include <QDir>
#include <QString>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/train/train_config.h"

namespace pl::test {

// n image/mask pairs, 80x64: a textured background with a bright disc (the "polyp") in the mask.
inline void make_disc_dataset(const QString& root, int n) {
  QDir(root).mkpath("images");
  QDir(root).mkpath("masks");
  cv::RNG rng(7);
  for (int i = 0; i < n; ++i) {
    cv::Mat img(64, 80, CV_8UC3), mask(64, 80, CV_8UC1, cv::Scalar(0));
    rng.fill(img, cv::RNG::UNIFORM, cv::Scalar(40, 30, 60), cv::Scalar(90, 70, 120));
    const cv::Point c(20 + rng.uniform(0, 40), 16 + rng.uniform(0, 32));
    const int r = 8 + rng.uniform(0, 8);
    cv::circle(img, c, r, cv::Scalar(120, 160, 230), cv::FILLED);
    cv::circle(mask, c, r, cv::Scalar(255), cv::FILLED);
    const std::string name = "s" + std::to_string(i);
    cv::imwrite(QDir(root).filePath("images/").toStdString() + name + ".png", img);
    cv::imwrite(QDir(root).filePath("masks/").toStdString() + name + ".png", mask);
  }
}

// `cfg` (the form's) set up for a quick CPU run of ann-r18-live at 64x64, batch 2, on `data` into `out`.
inline pl::core::train::TrainConfig quick_tab_run(pl::core::train::TrainConfig cfg, const QString& data,
                                                  const QString& out, int epochs, int val_every) {
  cfg.data_root = data.toStdString();
  cfg.split = "random90";
  cfg.preset = "ann-r18-live";
  cfg.crop_h = cfg.crop_w = 64;
  cfg.batch = 2;
  cfg.epochs = epochs;
  cfg.val_every = val_every;
  cfg.threads = 1;
  cfg.device = "cpu";
  cfg.out_dir = out.toStdString();
  return cfg;
}

}  // namespace pl::test
