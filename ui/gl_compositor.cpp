#include "ui/gl_compositor.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <QGuiApplication>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLFramebufferObject>
#include <QOpenGLFunctions>
#include <QOpenGLShaderProgram>

#include <opencv2/imgproc.hpp>

#include "core/log/log.h"

#ifndef GL_BGR
#define GL_BGR 0x80E0
#endif

namespace pl::ui {
namespace {

// GLSL 1.20 / GLSL ES 1.00. Coordinates: `px` is the frame pixel (x, y from the top-left) whose centre
// the fragment covers. Every step mirrors core/overlay/overlay.cpp (see MaskUpsampler and
// blend_weighted there); the texel fetches sample texel centres of NEAREST textures, so they are exact.
const char* kVertex = R"(
attribute vec2 a_pos;
void main() { gl_Position = vec4(a_pos, 0.0, 1.0); }
)";

const char* kFragment = R"(
uniform sampler2D u_frame;   // RGB, the frame's size, LINEAR (smooth when the view scales it)
uniform sampler2D u_mask;    // LUMINANCE 0/255, the mask's size, NEAREST
uniform sampler2D u_view;    // RGBA, frame_h x 1: x0 = r*256+g, x1 = b*256+a, NEAREST
uniform vec2 u_frame_size;   // W, H
uniform vec2 u_mask_size;    // w, h
uniform vec2 u_mask_scale;   // float(w)/float(W), float(h)/float(H), computed on the CPU
uniform vec4 u_target;       // the drawn rectangle in window coordinates: x, y (bottom), width, height
uniform float u_mode;        // 0 plain, 1 fill, 2 outline
uniform float u_use_view;
uniform float u_alpha;       // a = round(alpha * 256)
uniform float u_thickness;
uniform vec3 u_polyp;        // RGB 0..255
uniform vec3 u_bg;

float texel(float i, float j) {
  return texture2D(u_mask, vec2((i + 0.5) / u_mask_size.x, (j + 0.5) / u_mask_size.y)).r;
}

float weight(vec2 px) {
  float sx = (px.x + 0.5) * u_mask_scale.x - 0.5;
  float sy = (px.y + 0.5) * u_mask_scale.y - 0.5;
  float flx = floor(sx);
  float fly = floor(sy);
  float fx = sx - flx;
  float fy = sy - fly;
  float i0 = clamp(flx, 0.0, u_mask_size.x - 1.0);
  float i1 = clamp(flx + 1.0, 0.0, u_mask_size.x - 1.0);
  float j0 = clamp(fly, 0.0, u_mask_size.y - 1.0);
  float j1 = clamp(fly + 1.0, 0.0, u_mask_size.y - 1.0);
  float a = texel(i0, j0);
  float b = texel(i1, j0);
  float c = texel(i0, j1);
  float d = texel(i1, j1);
  float top = a + (b - a) * fx;
  float bottom = c + (d - c) * fx;
  return top + (bottom - top) * fy;
}

bool in_view(vec2 px) {
  if (u_use_view < 0.5) return true;
  vec4 s = floor(texture2D(u_view, vec2((px.y + 0.5) / u_frame_size.y, 0.5)) * 255.0 + 0.5);
  return px.x >= s.r * 256.0 + s.g && px.x < s.b * 256.0 + s.a;
}

bool polyp(vec2 px) { return in_view(px) && weight(px) >= 0.5; }

vec3 blend(vec3 src, vec3 colour) {
  return floor((src * (256.0 - u_alpha) + colour * u_alpha) / 256.0 + 0.5);
}

void main() {
  vec2 pos = vec2((gl_FragCoord.x - u_target.x) * (u_frame_size.x / u_target.z),
                  (u_target.y + u_target.w - gl_FragCoord.y) * (u_frame_size.y / u_target.w));
  vec2 px = clamp(floor(pos), vec2(0.0), u_frame_size - 1.0);
  vec3 src = floor(texture2D(u_frame, pos / u_frame_size).rgb * 255.0 + 0.5);
  vec3 out_rgb = src;
  if (u_mode > 0.5 && in_view(px)) {
    if (u_mode < 1.5) {
      float m = weight(px);
      out_rgb = blend(src, u_bg + (u_polyp - u_bg) * m);
    } else if (weight(px) >= 0.5) {
      bool edge = false;
      for (int dy = -64; dy <= 64; ++dy) {
        if (float(dy) < -u_thickness) continue;
        if (float(dy) > u_thickness) break;
        for (int dx = -64; dx <= 64; ++dx) {
          if (float(dx) < -u_thickness) continue;
          if (float(dx) > u_thickness) break;
          vec2 q = clamp(px + vec2(float(dx), float(dy)), vec2(0.0), u_frame_size - 1.0);
          if (!polyp(q)) edge = true;
        }
      }
      if (edge) out_rgb = blend(src, u_polyp);
    }
  }
  gl_FragColor = vec4(out_rgb / 255.0, 1.0);
}
)";

QString shader_header(const QOpenGLContext* context) {
  return context && context->isOpenGLES() ? QStringLiteral("#version 100\nprecision highp float;\n")
                                          : QStringLiteral("#version 120\n");
}

}  // namespace

struct GlCompositor::Impl {
  QOpenGLFunctions* gl = nullptr;
  std::unique_ptr<QOpenGLShaderProgram> program;
  GLuint frame_tex = 0, mask_tex = 0, view_tex = 0;
  cv::Size frame_size, mask_size;
  int view_rows = 0;
  bool has_mask = false, has_view = false, gles = false;
  core::OverlayOptions options;

  static void setup_texture(QOpenGLFunctions* f, GLuint tex, GLint filter) {
    f->glBindTexture(GL_TEXTURE_2D, tex);
    f->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
    f->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
    f->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    f->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  }
};

GlCompositor::GlCompositor() : impl_(std::make_unique<Impl>()) {}
GlCompositor::~GlCompositor() = default;

bool GlCompositor::initialized() const { return impl_->program != nullptr; }

bool GlCompositor::initialize(QString* error) {
  QOpenGLContext* context = QOpenGLContext::currentContext();
  if (!context) {
    if (error) *error = QStringLiteral("no current OpenGL context");
    return false;
  }
  auto& d = *impl_;
  d.gl = context->functions();
  d.gles = context->isOpenGLES();
  auto program = std::make_unique<QOpenGLShaderProgram>();
  const QString header = shader_header(context);
  if (!program->addShaderFromSourceCode(QOpenGLShader::Vertex, header + kVertex) ||
      !program->addShaderFromSourceCode(QOpenGLShader::Fragment, header + kFragment)) {
    if (error) *error = QStringLiteral("the overlay shader does not compile here: ") + program->log().trimmed();
    return false;
  }
  program->bindAttributeLocation("a_pos", 0);
  if (!program->link()) {
    if (error) *error = QStringLiteral("the overlay shader does not link here: ") + program->log().trimmed();
    return false;
  }
  d.program = std::move(program);
  GLuint tex[3] = {0, 0, 0};
  d.gl->glGenTextures(3, tex);
  d.frame_tex = tex[0];
  d.mask_tex = tex[1];
  d.view_tex = tex[2];
  Impl::setup_texture(d.gl, d.frame_tex, GL_LINEAR);
  Impl::setup_texture(d.gl, d.mask_tex, GL_NEAREST);
  Impl::setup_texture(d.gl, d.view_tex, GL_NEAREST);
  return true;
}

void GlCompositor::release() {
  auto& d = *impl_;
  if (!d.program) return;
  GLuint tex[3] = {d.frame_tex, d.mask_tex, d.view_tex};
  d.gl->glDeleteTextures(3, tex);
  d.program.reset();
  d.frame_size = d.mask_size = {};
  d.view_rows = 0;
}

cv::Size GlCompositor::frame_size() const { return impl_->frame_size; }

void GlCompositor::set_frame(const cv::Mat& bgr) {
  auto& d = *impl_;
  if (!d.program) return;
  if (bgr.empty()) {
    d.frame_size = {};
    return;
  }
  if (bgr.type() != CV_8UC3 || !bgr.isContinuous())
    throw std::invalid_argument("GlCompositor: the frame must be a continuous CV_8UC3 image");
  // Desktop OpenGL takes the BGR bytes as they are (drivers keep BGR(A) textures natively; measured
  // on Mesa: GL_BGR uploads in half the time of the same bytes declared GL_RGB); OpenGL ES has no BGR.
  cv::Mat rgb;
  const cv::Mat* up = &bgr;
  GLenum format = GL_BGR;
  if (d.gles) {
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    up = &rgb;
    format = GL_RGB;
  }
  d.gl->glBindTexture(GL_TEXTURE_2D, d.frame_tex);
  d.gl->glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  if (bgr.size() != d.frame_size) {
    d.gl->glTexImage2D(GL_TEXTURE_2D, 0, GL_RGB, bgr.cols, bgr.rows, 0, format, GL_UNSIGNED_BYTE, up->data);
    d.frame_size = bgr.size();
  } else {
    d.gl->glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, bgr.cols, bgr.rows, format, GL_UNSIGNED_BYTE, up->data);
  }
}

void GlCompositor::set_mask(const cv::Mat& mask, std::shared_ptr<const core::FieldOfView> view) {
  auto& d = *impl_;
  if (!d.program) return;
  d.has_mask = !mask.empty();
  if (d.has_mask) {
    if (mask.type() != CV_8UC1) throw std::invalid_argument("GlCompositor: the mask must be CV_8UC1");
    const cv::Mat m = mask != 0;  // 0/255, continuous
    d.gl->glBindTexture(GL_TEXTURE_2D, d.mask_tex);
    d.gl->glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    if (m.size() != d.mask_size) {
      d.gl->glTexImage2D(GL_TEXTURE_2D, 0, GL_LUMINANCE, m.cols, m.rows, 0, GL_LUMINANCE, GL_UNSIGNED_BYTE, m.data);
      d.mask_size = m.size();
    } else {
      d.gl->glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, m.cols, m.rows, GL_LUMINANCE, GL_UNSIGNED_BYTE, m.data);
    }
  }
  // The view at the frame's size (one found on the model's scaled copy is scaled; set_frame first).
  if (view && !d.frame_size.empty()) view = core::view_for_frame(view, d.frame_size);
  d.has_view = view && !view->is_full();
  if (d.has_view) {
    const int rows = view->size().height;
    std::vector<uint8_t> spans(static_cast<size_t>(rows) * 4);
    for (int y = 0; y < rows; ++y) {
      const auto s = view->span(y);
      uint8_t* p = spans.data() + static_cast<size_t>(y) * 4;
      p[0] = static_cast<uint8_t>(s[0] >> 8);
      p[1] = static_cast<uint8_t>(s[0] & 255);
      p[2] = static_cast<uint8_t>(s[1] >> 8);
      p[3] = static_cast<uint8_t>(s[1] & 255);
    }
    d.gl->glBindTexture(GL_TEXTURE_2D, d.view_tex);
    d.gl->glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    if (rows != d.view_rows) {
      d.gl->glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, rows, 1, 0, GL_RGBA, GL_UNSIGNED_BYTE, spans.data());
      d.view_rows = rows;
    } else {
      d.gl->glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, rows, 1, GL_RGBA, GL_UNSIGNED_BYTE, spans.data());
    }
  }
}

void GlCompositor::set_options(const core::OverlayOptions& options) {
  options.validate();
  impl_->options = options;
}

void GlCompositor::draw(const QRect& target, const QSize& framebuffer) {
  auto& d = *impl_;
  if (!d.program || d.frame_size.empty() || target.isEmpty()) return;
  auto* f = d.gl;
  const auto& o = d.options;
  // The view's spans are for the frame's size; a view of another size says nothing about this frame.
  const bool view = d.has_view && o.limit_to_view && d.view_rows == d.frame_size.height;
  float mode = 0.0f;
  if (d.has_mask && o.alpha > 0.0 && o.mode != core::OverlayMode::Off)
    mode = o.mode == core::OverlayMode::Fill ? 1.0f : 2.0f;

  f->glViewport(target.x(), framebuffer.height() - target.y() - target.height(), target.width(), target.height());
  f->glDisable(GL_BLEND);
  f->glDisable(GL_DEPTH_TEST);
  f->glDisable(GL_SCISSOR_TEST);
  d.program->bind();
  f->glActiveTexture(GL_TEXTURE0);
  f->glBindTexture(GL_TEXTURE_2D, d.frame_tex);
  f->glActiveTexture(GL_TEXTURE1);
  f->glBindTexture(GL_TEXTURE_2D, d.mask_tex);
  f->glActiveTexture(GL_TEXTURE2);
  f->glBindTexture(GL_TEXTURE_2D, d.view_tex);
  f->glActiveTexture(GL_TEXTURE0);
  auto& p = *d.program;
  p.setUniformValue("u_frame", 0);
  p.setUniformValue("u_mask", 1);
  p.setUniformValue("u_view", 2);
  p.setUniformValue("u_frame_size", float(d.frame_size.width), float(d.frame_size.height));
  const cv::Size ms = d.has_mask ? d.mask_size : cv::Size(1, 1);
  p.setUniformValue("u_mask_size", float(ms.width), float(ms.height));
  p.setUniformValue("u_mask_scale", static_cast<float>(ms.width) / static_cast<float>(d.frame_size.width),
                    static_cast<float>(ms.height) / static_cast<float>(d.frame_size.height));
  p.setUniformValue("u_target", float(target.x()), float(framebuffer.height() - target.y() - target.height()),
                    float(target.width()), float(target.height()));
  p.setUniformValue("u_mode", mode);
  p.setUniformValue("u_use_view", view ? 1.0f : 0.0f);
  p.setUniformValue("u_alpha", static_cast<float>(std::lround(o.alpha * 256.0)));
  p.setUniformValue("u_thickness", static_cast<float>(o.outline_thickness));
  p.setUniformValue("u_polyp", float(o.polyp_bgr[2]), float(o.polyp_bgr[1]), float(o.polyp_bgr[0]));
  p.setUniformValue("u_bg", float(o.background_bgr[2]), float(o.background_bgr[1]), float(o.background_bgr[0]));
  static const GLfloat quad[] = {-1.f, -1.f, 1.f, -1.f, -1.f, 1.f, 1.f, 1.f};
  p.enableAttributeArray(0);
  p.setAttributeArray(0, GL_FLOAT, quad, 2);
  f->glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  p.disableAttributeArray(0);
  p.release();
}

cv::Mat GlCompositor::render() {
  auto& d = *impl_;
  if (!d.program || d.frame_size.empty()) return {};
  const QSize size(d.frame_size.width, d.frame_size.height);
  QOpenGLFramebufferObject fbo(size);
  if (!fbo.bind()) throw std::runtime_error("GlCompositor: cannot bind a framebuffer of the frame's size");
  draw(QRect(QPoint(0, 0), size), size);
  cv::Mat rgba(d.frame_size, CV_8UC4);
  d.gl->glPixelStorei(GL_PACK_ALIGNMENT, 1);
  d.gl->glReadPixels(0, 0, size.width(), size.height(), GL_RGBA, GL_UNSIGNED_BYTE, rgba.data);
  fbo.release();
  cv::Mat bgr;
  cv::cvtColor(rgba, bgr, cv::COLOR_RGBA2BGR);
  cv::flip(bgr, bgr, 0);  // GL's rows run bottom-up
  return bgr;
}

OffscreenCompositor::OffscreenCompositor() {
  if (!QGuiApplication::instance()) {
    error_ = QStringLiteral("no QGuiApplication");
    return;
  }
  context_ = std::make_unique<QOpenGLContext>();
  if (!context_->create()) {
    error_ = QStringLiteral("no OpenGL context on platform '%1'").arg(QGuiApplication::platformName());
    return;
  }
  surface_ = std::make_unique<QOffscreenSurface>();
  surface_->setFormat(context_->format());
  surface_->create();
  if (!context_->makeCurrent(surface_.get())) {
    error_ = QStringLiteral("cannot make an OpenGL context current on platform '%1'").arg(QGuiApplication::platformName());
    return;
  }
  const auto* r = reinterpret_cast<const char*>(context_->functions()->glGetString(GL_RENDERER));
  renderer_ = r ? QString::fromLatin1(r) : QString();
  ok_ = compositor_.initialize(&error_);
}

OffscreenCompositor::~OffscreenCompositor() {
  if (context_ && surface_ && context_->makeCurrent(surface_.get())) {
    fbo_.reset();
    compositor_.release();
    context_->doneCurrent();
  }
}

void OffscreenCompositor::draw_offscreen(const QSize& size) {
  if (!ok_) return;
  if (!fbo_ || fbo_->size() != size) fbo_ = std::make_unique<QOpenGLFramebufferObject>(size);
  fbo_->bind();
  // Aspect-fit like the view's frame_rect(), centred.
  const cv::Size f = compositor_.frame_size();
  QSize fit = f.empty() ? size : QSize(f.width, f.height).scaled(size, Qt::KeepAspectRatio);
  compositor_.draw(QRect(QPoint((size.width() - fit.width()) / 2, (size.height() - fit.height()) / 2), fit), size);
  fbo_->release();
}

void OffscreenCompositor::finish() {
  if (ok_) context_->functions()->glFinish();
}

bool is_software_renderer(const QString& renderer) {
  for (const char* s : {"llvmpipe", "softpipe", "swrast", "Software Rasterizer", "SWR", "lavapipe"})
    if (renderer.contains(QLatin1String(s), Qt::CaseInsensitive)) return true;
  return false;
}

bool gpu_compositing_available(QString* why) {
  static std::once_flag once;
  static bool available = false;
  static QString reason;
  std::call_once(once, [] {
    const QString env = qEnvironmentVariable("POLYPLENS_GL");
    if (env == QLatin1String("0")) {
      reason = QStringLiteral("POLYPLENS_GL=0");
      return;
    }
    OffscreenCompositor probe;
    if (!probe.ok()) {
      reason = probe.error();
    } else if (is_software_renderer(probe.renderer()) && env != QLatin1String("1")) {
      // The shader would run on the CPU, at the window's size, on top of the upload: dearer than
      // core/overlay's composite (docs/architecture.md "Overlay"). POLYPLENS_GL=1 uses it anyway.
      reason = QStringLiteral("software OpenGL, %1").arg(probe.renderer());
    } else {
      available = true;
      reason = probe.renderer();
    }
    pl::log::get("ui")->info("view compositing: {} ({})", available ? "GPU" : "CPU", reason.toStdString());
  });
  if (why) *why = reason;
  return available;
}

}  // namespace pl::ui
