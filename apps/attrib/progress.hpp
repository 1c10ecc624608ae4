#pragma once
// Progress of long jobs: a bar with ETA on a terminal (stderr), plain lines otherwise; nothing
// for jobs that end within a second, nothing with --quiet.
#include <chrono>
#include <string>

#include "cli.hpp"

namespace attrib::cli {

class ProgressBar {
 public:
  ProgressBar(std::string what, bool quiet);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  void operator()(Index done, Index total);

 private:
  std::string what_;
  bool quiet_, tty_, shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

/// One status line on stderr (unless quiet).
void status(bool quiet, const std::string& line);

}  // namespace attrib::cli
