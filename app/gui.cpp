// The desktop window: `polyplens [--video FILE|URI] [--checkpoint FILE] [PATH]`. Without a model on the
// command line it loads the last one used, else the bundled default (share/polyplens/models/default.pt);
// without a video, the source that played last, else on the first run the bundled sample clip.
#include <QApplication>
#include <QFileInfo>
#include <QIcon>
#include <QTabWidget>
#include <QTimer>
#include <iostream>

#include "app/commands.h"
#include "core/log/log.h"
#include "ui/live_tab.h"
#include "ui/main_window.h"
#include "ui/model_loader.h"
#include "ui/settings.h"
#include "ui/theme.h"

namespace pl::app {

int run_gui(int argc, char** argv, const Argv& /*args*/) {
  QApplication::setApplicationName(QStringLiteral("PolypLens"));
  QApplication::setOrganizationName(QStringLiteral("PolypLens"));
  QApplication::setApplicationVersion(QStringLiteral(POLYPLENS_VERSION));
  // QApplication removes the arguments it understands (-platform, -style, …); parse what is left.
  QApplication app(argc, argv);
  const Argv rest(argv + 1, argv + argc);

  Args args("", "Open the PolypLens window.");
  args.option("video", "a video file, stream URI (rtsp://, http://) device (/dev/video0) or test:PATTERN to open")
      .option("checkpoint", "a model checkpoint to load")
      .option("tab", "the tab to show first: live or training", "live")
      .option("screenshot", "save a PNG of the window once the video and the model's first mask are shown "
                            "(at least --screenshot-delay seconds, at most 60 s more), then exit")
      .option("screenshot-delay", "seconds to wait before --screenshot", "3")
      .positional("path", "a video or checkpoint to open (same as --video / --checkpoint)");
  double delay = 0;
  try {
    if (!args.parse(rest)) return 0;
    delay = args.get_double("screenshot-delay");
    if (delay < 0) throw UsageError("--screenshot-delay must be >= 0, got " + args.get("screenshot-delay"));
    if (args.get("tab") != "live" && args.get("tab") != "training")
      throw UsageError("--tab must be 'live' or 'training', got '" + args.get("tab") + "'");
  } catch (const UsageError& e) {
    std::cerr << "polyplens: " << e.what() << "\n";
    return 2;
  }

  pl::log::init();
  app.setWindowIcon(QIcon(QStringLiteral(":/icons/polyplens.png")));
  pl::ui::apply_dark_theme(app);

  pl::ui::MainWindow window;
  window.set_sample_clip(QString::fromStdString(bundled_resource("samples/sample.mp4")));
  window.show();
  if (args.has("checkpoint")) window.open_path(QString::fromStdString(args.get("checkpoint")));
  for (const std::string& p : args.positionals()) window.open_path(QString::fromStdString(p));
  if (args.has("video")) window.open_path(QString::fromStdString(args.get("video")));
  // No video named: the source that played last, or on the first run the bundled sample clip.
  bool video_given = args.has("video");
  for (const std::string& p : args.positionals())
    video_given = video_given || !pl::ui::MainWindow::is_checkpoint_path(QString::fromStdString(p));
  if (!video_given) window.open_startup_source();
  if (args.get("tab") == "training") window.tabs()->setCurrentIndex(1);  // after opening, which shows Live
  // No model named: the one used last, else the bundled default, so video opened later is segmented.
  bool model_given = args.has("checkpoint");
  for (const std::string& p : args.positionals())
    model_given = model_given || pl::ui::MainWindow::is_checkpoint_path(QString::fromStdString(p));
  if (!model_given) {
    QString model = pl::ui::Settings().last_checkpoint();
    if (model.isEmpty() || !QFileInfo(model).isFile()) model = QString::fromStdString(bundled_resource("models/default.pt"));
    if (!model.isEmpty()) window.open_path(model);
  }

  int exit_code = 0;
  if (args.has("screenshot")) {
    // After --screenshot-delay, wait (up to 60 s more) until what was opened is on screen: a frame
    // shown if a video was opened, the model's first mask if a model was: a loaded machine takes
    // longer than the delay to load the model, and a proof screenshot without the overlay proves nothing.
    const QString out = QString::fromStdString(args.get("screenshot"));
    auto* poll = new QTimer(&window);
    QObject::connect(poll, &QTimer::timeout, &window,
                     [&window, &exit_code, out, poll, waited = 0.0, ready_polls = 0]() mutable {
      waited += poll->interval() / 1000.0;
      const auto* live = window.live_tab();
      const bool video_ready = !live->has_source() || live->frames_shown() > 0;
      const auto status = live->model()->status();
      const bool model_ready = status == pl::ui::ModelStatus::kNone || status == pl::ui::ModelStatus::kRunning;
      // Ready for a second (5 polls), so the HUD shows settled rates rather than the first mask's.
      ready_polls = video_ready && model_ready ? ready_polls + 1 : 0;
      if (ready_polls < 5 && waited < 60.0) return;
      poll->stop();
      if (!(video_ready && model_ready))
        pl::log::get("ui")->warn("screenshot: after 60 s the {} still not ready; saving it as it is",
                                 video_ready ? "model is" : "video is");
      if (window.grab().save(out)) {
        pl::log::get("ui")->info("screenshot saved to {} (frame {}, {} frames shown, model {})", out.toStdString(),
                                 live->current_frame(), live->frames_shown(),
                                 status == pl::ui::ModelStatus::kRunning ? "running" : "none");
      } else {
        std::cerr << "polyplens: cannot write the screenshot to '" << out.toStdString() << "'\n";
        exit_code = 1;
      }
      window.close();
    });
    QTimer::singleShot(static_cast<int>(delay * 1000), poll, [poll] { poll->start(200); });
  }
  const int rc = app.exec();
  return exit_code != 0 ? exit_code : rc;
}

}  // namespace pl::app
