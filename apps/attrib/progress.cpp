// Progress output of the attrib program (progress.hpp).
#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace attrib::cli {

namespace {
double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

ProgressBar::ProgressBar(std::string what, bool quiet)
    : what_(std::move(what)), quiet_(quiet), tty_(isatty(2) == 1), start_(std::chrono::steady_clock::now()), last_(start_) {}

ProgressBar::~ProgressBar() {
  if (shown_ && tty_) std::fprintf(stderr, "\n");
}

void ProgressBar::operator()(Index done, Index total) {
  if (quiet_ || total <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = seconds(now - start_);
  if (elapsed < 1.0 && !shown_) return;  // short jobs stay silent
  const bool finished = done >= total;
  if (!tty_ && !finished && seconds(now - last_) < 2.0 && shown_) return;
  last_ = now;
  shown_ = true;
  const double frac = double(done) / double(total);
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  if (tty_) {
    const int width = 28, fill = int(frac * width + 0.5);
    std::string bar(std::size_t(fill), '#');
    bar.resize(std::size_t(width), ' ');
    std::fprintf(stderr, "\r%-40.40s [%s] %3d%%  %ld/%ld  ETA %4.0f s ", what_.c_str(), bar.c_str(), int(frac * 100 + 0.5),
                 long(done), long(total), eta);
  } else {
    std::fprintf(stderr, "attrib: %s: %ld/%ld (%.0f %%, %.1f s, ETA %.0f s)\n", what_.c_str(), long(done), long(total),
                 frac * 100, elapsed, eta);
  }
  std::fflush(stderr);
}

void status(bool quiet, const std::string& line) {
  if (!quiet) std::fprintf(stderr, "attrib: %s\n", line.c_str());
}

}  // namespace attrib::cli
