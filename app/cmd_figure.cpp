// polyplens figure: the paper's Figure 12 (image, ground truth, prediction, red/green segmentation) for
// small, medium and large polyps of a split, each row labelled with its per-image Dice.
// LibTorch only: part of the headless build too (the figure is drawn without OpenCV, written with
// stb_image_write).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <thread>

#include "app/commands.h"
#include "core/data/dataset.h"
#include "core/data/decode.h"
#include "core/inference/image8_view.h"
#include "core/inference/predictor.h"
#include "core/metrics/figure.h"
#include "model/atomic_file.h"

namespace pl::app {
namespace {

int figure_main(const Argv& argv) {
  Args args("figure",
            "Draw the paper's Figure 12 layout: for images of a split picked by ground-truth polyp area (small\n"
            "to large), the image, its ground-truth mask, the predicted mask and the image segmented in red\n"
            "(polyp) / green (background), each row labelled with its per-image Dice. Writes a PNG.");
  args.option("data", "data folder with images/, masks/ and train.txt/val.txt", pl::core::data::default_data_root())
      .option("split", "val or train", "val")
      .option("checkpoint", "checkpoint file (.pt)")
      .option("out", "output image (.png); an existing file is not overwritten")
      .option("rows", "number of rows (images), spread from the smallest to the largest polyp", "3")
      .option("cell", "panel size WxH in pixels", "320x256")
      .option("alpha", "overlay opacity of the segmented column", "0.5")
      .option("device", "auto, cpu or cuda", "auto")
      .option("threads", "CPU threads (0 = all hardware threads)", "0");
  if (!args.parse(argv)) return 0;

  const std::string checkpoint = args.get("checkpoint");
  const std::string out = args.get("out");
  if (checkpoint.empty()) throw UsageError("--checkpoint FILE is required");
  if (out.empty()) throw UsageError("--out FIG.png is required");
  const std::string which = args.get("split");
  if (which != "val" && which != "train") throw UsageError("--split must be val or train, got '" + which + "'");
  // Checked now as well as at the write (which never replaces a file): before minutes of work.
  if (std::filesystem::exists(out)) throw UsageError("--out: '" + out + "' already exists (not overwritten)");

  pl::core::metrics::FigureOptions fo;
  fo.rows = args.get_int("rows");
  fo.alpha = args.get_double("alpha");
  char x = 0;
  if (std::sscanf(args.get("cell").c_str(), "%d%c%d", &fo.cell_width, &x, &fo.cell_height) != 3 || x != 'x')
    throw UsageError("--cell expects WxH, got '" + args.get("cell") + "'");
  try {
    fo.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }

  pl::core::data::DatasetOptions d;
  d.root = args.get("data");
  const auto index = pl::core::data::scan_dataset(d);
  const auto& pairs = which == "val" ? index.val : index.train;
  if (pairs.empty()) throw std::runtime_error("no images in split '" + which + "' of " + d.root);

  pl::core::inference::PredictorOptions po;
  po.device = args.get("device");
  po.threads = args.get_int("threads");
  if (po.threads == 0) po.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  pl::core::inference::Predictor predictor(checkpoint, po);
  const auto& info = predictor.info();
  std::printf("checkpoint %s: preset %s on %s; picking %d of %zu %s images by polyp area\n", checkpoint.c_str(),
              info.preset.c_str(), info.device.c_str(), fo.rows, pairs.size(), which.c_str());

  const auto predict = [&](const pl::core::data::Image8& rgb) {
    return predictor.predict(pl::core::inference::view_of(rgb)).mask;
  };
  const auto fig = pl::core::metrics::make_figure(pairs, predict, fo);
  const auto png = pl::core::data::encode_png(fig.image.pixels.data(), fig.image.height, fig.image.width, 3);
  const auto parent = std::filesystem::path(out).parent_path();
  std::error_code ec;  // a folder that cannot be made shows up as the write's error, which names the path
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  pl::io::write_file_atomic(out, png.data(), png.size(), /*replace=*/false);

  for (const auto& r : fig.rows)
    std::printf("  %-6s %s  polyp %5.1f%% of the image, predicted %5.1f%%, Dice %.4f\n", r.size_class.c_str(),
                r.name.c_str(), r.gt_area_percent, r.pred_area_percent, r.dice);
  std::printf("wrote %s (%dx%d)\n", out.c_str(), fig.image.width, fig.image.height);
  return 0;
}

}  // namespace

int cmd_figure(const Argv& argv) { return figure_main(argv); }

}  // namespace pl::app
