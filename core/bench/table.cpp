#include "core/bench/table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace pl::core::bench {

Table::Table(std::vector<std::string> headers) {
  for (auto& h : headers) {
    const bool right = !h.empty() && h[0] == '>';
    right_.push_back(right);
    headers_.push_back(right ? h.substr(1) : h);
  }
}

Table& Table::add(std::vector<std::string> row) {
  if (row.size() != headers_.size())
    throw std::invalid_argument("Table::add: row has " + std::to_string(row.size()) + " cells, the header " +
                                std::to_string(headers_.size()));
  rows_.push_back({std::move(row), {}});
  return *this;
}

Table& Table::section(std::string title) {
  rows_.push_back({{}, std::move(title)});
  return *this;
}

std::string Table::str(const std::string& indent) const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) width[c] = headers_[c].size();
  for (const auto& r : rows_)
    for (size_t c = 0; c < r.cells.size(); ++c) width[c] = std::max(width[c], r.cells[c].size());
  std::ostringstream o;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s = indent;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - cells[c].size(), ' ');
      s += right_[c] ? pad + cells[c] : cells[c] + pad;
      if (c + 1 < cells.size()) s += "  ";
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    o << s << "\n";
  };
  line(headers_);
  for (const auto& r : rows_) {
    if (r.cells.empty()) o << indent << r.section << "\n";
    else line(r.cells);
  }
  return o.str();
}

std::string fixed(double v, int decimals) {
  if (std::isnan(v) || v < 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace pl::core::bench
