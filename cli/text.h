#pragma once
// Small text and file helpers shared by the moesim commands: number formatting, aligned tables,
// JSON string escaping, and atomic file writes (write a temporary file, then rename over the
// target, so a reader never sees a half-written result).
#include <string>
#include <string_view>
#include <vector>

namespace moesim::cli {

// 891813888 -> "891,813,888"; 1783.63 with 1 decimal -> "1,783.6".
std::string with_commas(double value, int decimals = 0);
// The shortest text that reads back as exactly `value` (fmt's "{}"), for JSON and CSV: 1783.63 ->
// "1783.63", 6.86e-6 -> "6.86e-06"; "null" for NaN and infinity.
std::string exact_number(double value);
std::string json_escape(std::string_view text);
// Quotes a CSV field if it contains a comma, a quote or a newline.
std::string csv_field(std::string_view text);
std::vector<std::string> split_csv_line(std::string_view line);

// A text table with aligned columns; the first column is left-aligned, the others right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void add_row(std::vector<std::string> cells);
  void add_rule();  // a blank separator line
  std::string render(std::string_view indent = "") const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;  // an empty row is a separator
};

// Writes `content` to `path` atomically (temporary file in the same directory + rename). Throws
// InputError.
void write_file_atomically(const std::string& path, std::string_view content);
// Throws InputError if the file cannot be read or is a directory.
std::string read_file(const std::string& path);
// Refuses (UsageError) an output path that is one of the command's input files, by any name
// (symbolic and hard links included): moesim never writes over what it reads. `what` names the
// output in the message ("--trace").
void check_output_path(std::string_view what, const std::string& output,
                       const std::vector<std::string>& inputs);

}  // namespace moesim::cli
