// A progress line on stderr for a pack, compose or import that runs longer than a second on a
// terminal: the bytes done and the rate, redrawn on one line (private to the executable).
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "ocipfs/publish/layer_tarball.hpp"

namespace ocipfs::cli {

// "packing: 12.5 MiB, 3.1 MiB/s", or with a known total "packing: 12.5 of 40.0 MiB, 3.1 MiB/s".
inline std::string progress_text(std::string_view verb, std::uint64_t bytes,
                                 std::optional<std::uint64_t> total, double seconds) {
  constexpr double mib = 1024.0 * 1024.0;
  char text[128];
  double rate = seconds > 0 ? static_cast<double>(bytes) / mib / seconds : 0;
  if (total)
    std::snprintf(text, sizeof text, "%.*s: %.1f of %.1f MiB, %.1f MiB/s",
                  static_cast<int>(verb.size()), verb.data(), static_cast<double>(bytes) / mib,
                  static_cast<double>(*total) / mib, rate);
  else
    std::snprintf(text, sizeof text, "%.*s: %.1f MiB, %.1f MiB/s", static_cast<int>(verb.size()),
                  verb.data(), static_cast<double>(bytes) / mib, rate);
  return text;
}

// Counts the bytes of one operation. Draws nothing unless stderr is a terminal; then, once a
// second has passed, redraws its line at most four times a second, and erases it at the end
// (also when the operation fails, before its error is printed). Writes to stderr are best
// effort: progress never fails a command.
class ProgressLine {
 public:
  explicit ProgressLine(std::string verb, std::optional<std::uint64_t> total = std::nullopt)
      : verb_(std::move(verb)), total_(total), shown_(::isatty(STDERR_FILENO) == 1) {}
  ~ProgressLine() {
    if (drawn_) std::fputs("\r\033[K", stderr);
  }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // The observer that counts into this line, or none (no cost) when nothing would be shown.
  ProgressObserver observer() {
    if (!shown_) return nullptr;
    return [this](std::uint64_t bytes) { add(bytes); };
  }

  void add(std::uint64_t bytes) {
    bytes_ += bytes;
    auto now = Clock::now();
    if (now - start_ < std::chrono::seconds(1) || now - drawn_at_ < std::chrono::milliseconds(250))
      return;
    drawn_at_ = now;
    drawn_ = true;
    double seconds = std::chrono::duration<double>(now - start_).count();
    std::string line = "\r" + progress_text(verb_, bytes_, total_, seconds) + "\033[K";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::string verb_;
  std::optional<std::uint64_t> total_;
  bool shown_;
  bool drawn_ = false;
  std::uint64_t bytes_ = 0;
  Clock::time_point start_ = Clock::now();
  Clock::time_point drawn_at_{};
};

}  // namespace ocipfs::cli
