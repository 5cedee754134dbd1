// Writing the Prometheus text exposition format: families, samples and lock-free histograms.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace ocipfs::prometheus {

// The "# HELP" and "# TYPE" lines of a metric family.
void header(std::string& out, const char* name, const char* type, const char* help);
// One sample line; `labels` is empty or e.g. `route="blob"`. Integers are written exactly,
// seconds in the shortest form that reads back the same double.
void sample(std::string& out, const std::string& name, const std::string& labels,
            std::uint64_t value);
void sample(std::string& out, const std::string& name, const std::string& labels,
            std::int64_t value);
void sample(std::string& out, const std::string& name, const std::string& labels, double value);
// A family of one series without labels: its HELP, TYPE and sample.
void single(std::string& out, const char* name, const char* type, const char* help,
            std::uint64_t value);
void single(std::string& out, const char* name, const char* type, const char* help,
            std::int64_t value);
// The three families of a bounded resource (base/budget.hpp's gauges): <prefix>_in_flight,
// <prefix>_waiting and <prefix>_refused_total, their help naming `what` is bounded (e.g. "Gateway
// fetches") and by which `flag`.
void slot_families(std::string& out, const std::string& prefix, const std::string& what,
                   const std::string& flag, std::int64_t in_flight, std::int64_t waiting,
                   std::uint64_t refused);
// A label value: \ " and newline escaped.
std::string label_value(const std::string& text);

class Histogram {
 public:
  // Upper bounds in seconds, from 0.5 ms to 30 s.
  static constexpr std::array<double, 14> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  10,    30};
  void observe(std::chrono::nanoseconds duration);
  // Appends the _bucket, _sum and _count lines of `name` with `labels` (e.g. `route="blob"`).
  void render(std::string& out, const std::string& name, const std::string& labels) const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_nanos_{0};
};

}  // namespace ocipfs::prometheus
