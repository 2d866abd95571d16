// The desktop window: `polyplens [--video FILE|URI] [--checkpoint FILE] [PATH]`. Without a model on the
// command line it loads the last one used, else the bundled default (share/polyplens/models/default.pt).
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
      .option("screenshot", "save a PNG of the window after --screenshot-delay seconds, then exit")
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
  window.show();
  if (args.get("tab") == "training") window.tabs()->setCurrentIndex(1);
  if (args.has("checkpoint")) window.open_path(QString::fromStdString(args.get("checkpoint")));
  for (const std::string& p : args.positionals()) window.open_path(QString::fromStdString(p));
  if (args.has("video")) window.open_path(QString::fromStdString(args.get("video")));
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
    const QString out = QString::fromStdString(args.get("screenshot"));
    QTimer::singleShot(static_cast<int>(delay * 1000), &window, [&window, &exit_code, out] {
      if (window.grab().save(out)) {
        pl::log::get("ui")->info("screenshot saved to {}", out.toStdString());
      } else {
        std::cerr << "polyplens: cannot write the screenshot to '" << out.toStdString() << "'\n";
        exit_code = 1;
      }
      window.close();
    });
  }
  const int rc = app.exec();
  return exit_code != 0 ? exit_code : rc;
}

}  // namespace pl::app
