#include "ui/icons.h"

#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

#include "ui/theme.h"

namespace pl::ui {

namespace {

QPainterPath triangle(qreal x, qreal y, qreal w, qreal h, bool right) {
  QPainterPath p;
  if (right) {
    p.moveTo(x, y);
    p.lineTo(x + w, y + h / 2);
    p.lineTo(x, y + h);
  } else {
    p.moveTo(x + w, y);
    p.lineTo(x, y + h / 2);
    p.lineTo(x + w, y + h);
  }
  p.closeSubpath();
  return p;
}

QPixmap draw(TransportIcon kind, const QColor& color) {
  constexpr int kSize = 64;
  QPixmap pm(kSize, kSize);
  pm.fill(Qt::transparent);
  QPainter p(&pm);
  p.setRenderHint(QPainter::Antialiasing);
  p.setPen(Qt::NoPen);
  p.setBrush(color);
  switch (kind) {
    case TransportIcon::Play:
      p.drawPath(triangle(18, 12, 34, 40, true));
      break;
    case TransportIcon::Pause:
      p.drawRoundedRect(QRectF(16, 12, 11, 40), 2, 2);
      p.drawRoundedRect(QRectF(37, 12, 11, 40), 2, 2);
      break;
    case TransportIcon::StepBack:
      p.drawRect(QRectF(14, 14, 7, 36));
      p.drawPath(triangle(23, 14, 28, 36, false));
      break;
    case TransportIcon::StepForward:
      p.drawPath(triangle(13, 14, 28, 36, true));
      p.drawRect(QRectF(43, 14, 7, 36));
      break;
    case TransportIcon::PreviousDetection:
      p.drawPath(triangle(8, 16, 24, 32, false));
      p.drawPath(triangle(30, 16, 24, 32, false));
      break;
    case TransportIcon::NextDetection:
      p.drawPath(triangle(10, 16, 24, 32, true));
      p.drawPath(triangle(32, 16, 24, 32, true));
      break;
  }
  return pm;
}

}  // namespace

QIcon transport_icon(TransportIcon kind) {
  const bool detection = kind == TransportIcon::PreviousDetection || kind == TransportIcon::NextDetection;
  QIcon icon;
  icon.addPixmap(draw(kind, detection ? colors::kDanger : colors::kText), QIcon::Normal);
  icon.addPixmap(draw(kind, QColor(90, 94, 100)), QIcon::Disabled);
  return icon;
}

}  // namespace pl::ui
