#pragma once
// A plain-text table for terminal reports: a header row, left-aligned text columns and
// right-aligned number columns, two spaces between columns.
#include <string>
#include <vector>

namespace pl::core::bench {

class Table {
 public:
  // One entry per column; a leading '>' right-aligns the column (the '>' is not printed).
  explicit Table(std::vector<std::string> headers);

  // Throws std::invalid_argument when the row's size differs from the header's.
  Table& add(std::vector<std::string> row);
  // A full-width line of text between rows (a group title).
  Table& section(std::string title);

  std::string str(const std::string& indent = "  ") const;

 private:
  struct Row {
    std::vector<std::string> cells;
    std::string section;
  };
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<Row> rows_;
};

// Number formatting for tables: fixed decimals, "-" for values that do not apply (NaN or < 0).
std::string fixed(double v, int decimals);

}  // namespace pl::core::bench
