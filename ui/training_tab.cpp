#include "ui/training_tab.h"

#include <QLabel>
#include <QVBoxLayout>

namespace pl::ui {

TrainingTab::TrainingTab(Settings&, QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* label = new QLabel(tr("Training is not part of this build yet."), this);
  label->setAlignment(Qt::AlignCenter);
  layout->addWidget(label);
}

TrainingTab::~TrainingTab() = default;

bool TrainingTab::stop_and_wait(int) { return true; }

}  // namespace pl::ui
