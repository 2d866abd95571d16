#pragma once
// The live view's overlay on the GPU (docs/architecture.md, "Overlay"): the frame and the mask are
// textures, and a fragment shader blends them into the picture as it is drawn, so the CPU never
// composites a 4K frame for the screen. The shader repeats core/overlay's arithmetic step by step
// (core::MaskUpsampler's bilinear polyp weight, the fixed-point blend rounded half up, the outline as
// polyp pixels within the thickness of background, the field of view as one span per row), so a
// composite read back at the frame's size agrees with compose_overlay() within one grey level.
//
// Threading model: GUI thread, with the OpenGL context the compositor was initialised in current for
// every call (QOpenGLWidget's initializeGL/paintGL, or OffscreenCompositor). No state is shared.
#include <memory>

#include <QRect>
#include <QSize>
#include <QString>

#include <opencv2/core.hpp>

#include "core/overlay/fov.h"
#include "core/overlay/overlay.h"

class QOpenGLContext;
class QOpenGLFramebufferObject;
class QOffscreenSurface;

namespace pl::ui {

// Whether this process composites on the GPU: an OpenGL (ES) context can be created and made current
// on an offscreen surface, the compositor's shader compiles there, and the renderer is hardware (a
// software renderer such as Mesa's llvmpipe would run the shader on the CPU, dearer than core/overlay).
// Decided once per process; POLYPLENS_GL=0 forces the CPU path, POLYPLENS_GL=1 accepts a software
// renderer. `why` says what is missing (or names the renderer).
bool gpu_compositing_available(QString* why = nullptr);
// llvmpipe, softpipe, swrast and friends.
bool is_software_renderer(const QString& renderer);

class GlCompositor {
 public:
  GlCompositor();
  ~GlCompositor();  // frees nothing on the GPU: call release() with the context current first
  GlCompositor(const GlCompositor&) = delete;
  GlCompositor& operator=(const GlCompositor&) = delete;

  // Compiles the shader. False, with the reason, when the context cannot run it.
  bool initialize(QString* error = nullptr);
  void release();
  bool initialized() const;

  // The frame (CV_8UC3 BGR, continuous) to draw; uploaded at once (the texture is reused while the
  // size stays). An empty frame clears.
  void set_frame(const cv::Mat& bgr);
  // The mask (CV_8U, non-zero = polyp, any size; empty = no mask: the plain frame) and the field of
  // view at the frame's size (null = everywhere).
  void set_mask(const cv::Mat& mask, std::shared_ptr<const core::FieldOfView> view);
  void set_options(const core::OverlayOptions& options);  // validated; throws std::invalid_argument
  cv::Size frame_size() const;

  // Draws the picture into `target` (device pixels, origin top-left) of the bound framebuffer, which
  // is `framebuffer` big. The caller sets nothing else; the GL state it changes is restored to
  // QPainter's expectations by the caller's endNativePainting().
  void draw(const QRect& target, const QSize& framebuffer);
  // The composite at the frame's own size, read back (BGR): what the screen shows at 100 %.
  cv::Mat render();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A compositor with its own offscreen context, for tests and `polyplens bench pipeline` (needs a
// QGuiApplication whose platform has OpenGL, e.g. xcb under Xvfb with Mesa).
class OffscreenCompositor {
 public:
  OffscreenCompositor();
  ~OffscreenCompositor();
  bool ok() const { return ok_; }
  QString error() const { return error_; }
  QString renderer() const { return renderer_; }  // GL_RENDERER, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
  GlCompositor& compositor() { return compositor_; }
  // Draws the picture scaled into a `size` framebuffer of its own (a window's picture area), without
  // reading it back: what the view does per frame (for timings).
  void draw_offscreen(const QSize& size);
  // Blocks until the GPU has done everything asked of it (for timings).
  void finish();

 private:
  std::unique_ptr<QOpenGLFramebufferObject> fbo_;
  std::unique_ptr<QOpenGLContext> context_;
  std::unique_ptr<QOffscreenSurface> surface_;
  GlCompositor compositor_;
  bool ok_ = false;
  QString error_, renderer_;
};

}  // namespace pl::ui
