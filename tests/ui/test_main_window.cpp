// The main window's structure (tabs, menus), overlay cycling with O, the HUD's states, the detection
// timeline and the remembered settings. Offscreen, no video or model needed.
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QMimeData>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QtTest>

#include "ui/help_dialogs.h"
#include "ui/hud.h"
#include "ui/live_tab.h"
#include "ui/main_window.h"
#include "ui/model_loader.h"
#include "ui/review_panel.h"
#include "ui/settings.h"
#include "ui/transport_bar.h"
#include "ui/video_view.h"
#include "support/isolated_settings.h"

using namespace pl::ui;

namespace {

QMenu* find_menu(QMainWindow& w, const QString& title) {
  for (QAction* a : w.menuBar()->actions()) {
    if (a->menu() && a->text().remove('&') == title) return a->menu();
  }
  return nullptr;
}

QStringList action_texts(QMenu* menu) {
  QStringList out;
  for (QAction* a : menu->actions()) {
    if (!a->isSeparator()) out << a->text();
  }
  return out;
}

}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { pl::test::isolate_settings(); }
  void init() { QSettings("PolypLens", "PolypLens").clear(); }

  void has_the_tabs_and_menus_of_the_spec() {
    MainWindow w;
    QCOMPARE(w.tabs()->count(), 2);
    QCOMPARE(w.tabs()->tabText(0), QStringLiteral("Live / Review"));
    QCOMPARE(w.tabs()->tabText(1), QStringLiteral("Training"));

    QMenu* file = find_menu(w, "File");
    QMenu* model = find_menu(w, "Model");
    QMenu* view = find_menu(w, "View");
    QMenu* help = find_menu(w, "Help");
    QVERIFY(file && model && view && help);
    QCOMPARE(action_texts(file), (QStringList{"Open video…", "Open sample clip", "Open stream URL…", "Open device…",
                                              "Open recent", "Close source", "Export snapshot", "Record",
                                              "Export frames…", "Export detection report (CSV)…", "Quit"}));
    // Recording is in the menu as the R key's action, checkable.
    QAction* record = nullptr;
    for (QAction* a : file->actions()) {
      if (a->text() == "Record") record = a;
    }
    QVERIFY(record);
    QVERIFY(record->isCheckable());
    QCOMPARE(record->shortcut(), QKeySequence(Qt::Key_R));
    // Without a sample clip the menu item says why it is off.
    QAction* sample = file->actions().at(1);
    QVERIFY(!sample->isEnabled());
    QVERIFY(sample->toolTip().contains("not found"));
    QCOMPARE(action_texts(model), (QStringList{"Load checkpoint…", "Load backbone weights…", "Device"}));
    const QStringList v = action_texts(view);
    QVERIFY2(v.contains("Overlay mode") && v.contains("Full screen") && v.contains("HUD"), qPrintable(v.join(", ")));
    QCOMPARE(action_texts(help), (QStringList{"Keyboard shortcuts", "About PolypLens"}));
    QVERIFY(!w.windowIcon().isNull());
  }

  void about_names_the_loaded_model() {
    QVERIFY(about_html().contains("No model is loaded"));
    const QString html = about_html("ann-r18-live", "ann-r18-live · default.pt · cpu");
    QVERIFY2(html.contains("Loaded now") && html.contains("ResNet-18 backbone") && html.contains("default.pt"),
             qPrintable(html));
  }

  void about_names_model_paper_data_terms_and_disclaimer() {
    const QString html = about_html();
    for (const char* needle : {"ResNet-50", "AFNB", "APNB", "Farhan", "Thulnoon", "Jasem", "JUAPS", "2025",
                               "Kvasir-SEG", "Jha et al.", "MMM 2020", "research and education only",
                               "not a certified medical device"}) {
      QVERIFY2(html.contains(QLatin1String(needle)), needle);
    }
  }

  void o_cycles_the_overlay_mode_and_it_is_remembered() {
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    LiveTab* live = w.live_tab();
    QCOMPARE(live->overlay_mode(), QStringLiteral("fill"));
    QTest::keyClick(&w, Qt::Key_O);
    QCOMPARE(live->overlay_mode(), QStringLiteral("outline"));
    QTest::keyClick(&w, Qt::Key_O);
    QCOMPARE(live->overlay_mode(), QStringLiteral("off"));
    QCOMPARE(Settings().overlay_mode(), QStringLiteral("off"));
    // The View ▸ Overlay mode radio items follow.
    QMenu* overlay = nullptr;
    for (QAction* a : find_menu(w, "View")->actions()) {
      if (a->text() == "Overlay mode") overlay = a->menu();
    }
    QVERIFY(overlay);
    for (QAction* a : overlay->actions()) {
      if (a->isCheckable()) QCOMPARE(a->isChecked(), a->data().toString() == "off");
    }
    QTest::keyClick(&w, Qt::Key_O);
    QCOMPARE(live->overlay_mode(), QStringLiteral("fill"));

    live->set_overlay_mode("outline");
    live->set_overlay_alpha(0.7);
    MainWindow again;
    QCOMPARE(again.live_tab()->overlay_mode(), QStringLiteral("outline"));
    QCOMPARE(again.live_tab()->overlay_alpha(), 0.7);
  }

  void live_keys_are_off_while_the_training_tab_is_shown() {
    MainWindow w;
    const auto live_actions = w.live_tab()->actions();
    QVERIFY(live_actions.size() >= 8);
    for (QAction* a : live_actions) QVERIFY(a->isEnabled());
    w.tabs()->setCurrentIndex(1);
    for (QAction* a : live_actions) QVERIFY2(!a->isEnabled(), qPrintable(a->text()));
    w.tabs()->setCurrentIndex(0);
    for (QAction* a : live_actions) QVERIFY(a->isEnabled());
  }

  void hud_states() {
    Hud hud;
    HudState s;
    s.device = "CPU";
    hud.set_state(s);
    QVERIFY(hud.lines().join('\n').contains("no model loaded"));
    QVERIFY(hud.warning());

    s.model = ModelStatus::kWarmingUp;
    s.capture_fps = 30;
    hud.set_state(s);
    QVERIFY(hud.lines().join('\n').contains("model warming up"));
    s.has_source = false;  // no video: the model is not warming up, it waits for one
    hud.set_state(s);
    QVERIFY2(hud.lines().join('\n').contains("model ready — open a video"), qPrintable(hud.lines().join('\n')));
    s.has_source = true;
    QVERIFY(!hud.stale());
    QVERIFY(!hud.warning());

    s.model = ModelStatus::kRunning;
    s.inference_fps = 25;
    s.mask_age_ms = 40;  // about one frame at 30 fps: fresh
    hud.set_state(s);
    QVERIFY(!hud.lines().join('\n').contains("warming"));
    QVERIFY(!hud.stale());
    QVERIFY(!hud.warning());

    s.mask_age_ms = 400;  // twelve frames old: stale, amber
    hud.set_state(s);
    QVERIFY(hud.stale());
    QVERIFY(hud.warning());
    QVERIFY(hud.lines().join('\n').contains("STALE"));

    s.model = ModelStatus::kFailed;
    s.message = "out of memory";
    hud.set_state(s);
    QVERIFY(hud.lines().join('\n').contains("out of memory"));
    QVERIFY(hud.warning());
  }

  void staleness_follows_the_capture_rate() {
    HudState s;
    s.model = ModelStatus::kRunning;
    s.mask_age_ms = 120;
    s.capture_fps = 60;  // 3 frames = 50 ms, but never under the 150 ms floor
    QVERIFY(!mask_is_stale(s));
    s.capture_fps = 5;  // 3 frames = 600 ms
    s.mask_age_ms = 500;
    QVERIFY(!mask_is_stale(s));
    s.mask_age_ms = 700;
    QVERIFY(mask_is_stale(s));
  }

  void transport_shows_time_and_frame() {
    TransportBar bar;
    bar.set_duration(300, 30);
    bar.set_position(45);
    QCOMPARE(bar.time_text(), QStringLiteral("00:01.5 / 00:10.0  frame 45"));
    QCOMPARE(format_clock(3725.25), QStringLiteral("1:02:05.2"));
  }

  void recent_lists_are_capped_and_deduplicated() {
    Settings s;
    for (int i = 0; i < Settings::kMaxRecent + 3; ++i) s.add_recent_file(QString("/v/%1.mp4").arg(i));
    s.add_recent_file("/v/5.mp4");
    const QStringList r = s.recent_files();
    QCOMPARE(r.size(), Settings::kMaxRecent);
    QCOMPARE(r.first(), QStringLiteral("/v/5.mp4"));
    QCOMPARE(r.count("/v/5.mp4"), 1);
  }

  // Full screen hides the menu bar; its keys still work.
  void shortcuts_work_in_full_screen() {
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.set_full_screen(true);
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QVERIFY(!w.menuBar()->isVisible());
    LiveTab* live = w.live_tab();
    QCOMPARE(live->overlay_mode(), QStringLiteral("fill"));
    QTest::keyClick(&w, Qt::Key_O);
    QCOMPARE(live->overlay_mode(), QStringLiteral("outline"));
    QVERIFY(!live->hud()->isHidden());
    QTest::keyClick(&w, Qt::Key_H);
    QVERIFY(live->hud()->isHidden());
    QTest::keyClick(&w, Qt::Key_H);
    QVERIFY(!live->hud()->isHidden());
    QTest::keyClick(&w, Qt::Key_R);  // no video: recording says so and stays off
    QVERIFY(!live->recording());
    QVERIFY(live->view()->toast().contains("Nothing to record"));
    QVERIFY(!live->record_action()->isChecked());
    w.set_full_screen(false);
  }

  // The HUD sits beside the picture, not on it, and below a banner, not over its end.
  void the_hud_covers_neither_picture_nor_banner() {
    VideoView v;
    v.resize(1000, 500);
    v.show();
    QVERIFY(QTest::qWaitForWindowExposed(&v));
    HudState s;
    s.model = ModelStatus::kRunning;
    v.set_hud_state(s);
    for (const QSize frame : {QSize(640, 480), QSize(1920, 1080)}) {
      QImage img(frame, QImage::Format_RGB888);
      img.fill(Qt::gray);
      v.set_frame(img);
      QVERIFY2(!v.frame_rect().intersects(v.hud()->geometry()),
               qPrintable(QString("%1x%2").arg(frame.width()).arg(frame.height())));
      QVERIFY(v.frame_rect().width() > 500);
    }
    v.set_banner("Cannot connect: Could not open resource for reading and writing. Check the address and the "
                 "network. Retrying in 8 s (attempt 4); Stop gives up.");
    QVERIFY(v.hud()->geometry().top() > v.banner_rect().bottom());
    v.set_banner({});
    QCOMPARE(v.hud()->geometry().top(), 12);
    // Hidden, the HUD gives its column back to the picture.
    const int with_hud = v.frame_rect().width();
    v.set_hud_visible(false);
    QVERIFY(v.frame_rect().width() > with_hud);
  }

  void full_screen_shows_only_the_video() {
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.tabs()->setCurrentIndex(1);
    w.set_full_screen(true);
    QVERIFY(!w.menuBar()->isVisible());
    QVERIFY(!w.statusBar()->isVisible());
    QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget*>(w.live_tab()));
    w.set_full_screen(false);
    QVERIFY(w.menuBar()->isVisible());
    QVERIFY(w.statusBar()->isVisible());
  }

  void dropping_a_checkpoint_loads_it() {
    MainWindow w;
    w.show();
    QTemporaryDir tmp;
    const QString bogus = QDir(tmp.path()).filePath("dropped.pt");
    QFile f(bogus);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("x");
    f.close();
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(bogus)});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &drop);
    // It went to the model (and, not being a checkpoint, fails with the file named).
    QVERIFY(QTest::qWaitFor([&] { return w.live_tab()->model()->status() == ModelStatus::kFailed; }, 20000));
    QVERIFY(w.live_tab()->view()->toast().contains("dropped.pt"));
  }

  void checkpoints_are_told_from_videos() {
    QVERIFY(MainWindow::is_checkpoint_path("/x/best.pt"));
    QVERIFY(MainWindow::is_checkpoint_path("resnet50-0676ba61.PTH"));
    QVERIFY(!MainWindow::is_checkpoint_path("/x/clip.mp4"));
    QVERIFY(!MainWindow::is_checkpoint_path("rtsp://cam/stream"));
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
