#include "ocipfs/base/prometheus.hpp"

#include <charconv>

namespace ocipfs::prometheus {

namespace {

std::string number(double value) {
  char buffer[32];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

void sample_text(std::string& out, const std::string& name, const std::string& labels,
                 const std::string& value) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name, const std::string& labels,
            std::uint64_t value) {
  sample_text(out, name, labels, std::to_string(value));
}

void sample(std::string& out, const std::string& name, const std::string& labels,
            std::int64_t value) {
  sample_text(out, name, labels, std::to_string(value));
}

void sample(std::string& out, const std::string& name, const std::string& labels, double value) {
  sample_text(out, name, labels, number(value));
}

void slot_families(std::string& out, const std::string& prefix, const std::string& what,
                   const std::string& flag, std::int64_t in_flight, std::int64_t waiting,
                   std::uint64_t refused) {
  const std::string in_flight_help = what + " under way (at most " + flag + ").";
  const std::string waiting_help = what + " waiting for one of the " + flag + " slots.";
  const std::string refused_help = what + " answered 503: no slot was free before their deadline.";
  single(out, (prefix + "_in_flight").c_str(), "gauge", in_flight_help.c_str(), in_flight);
  single(out, (prefix + "_waiting").c_str(), "gauge", waiting_help.c_str(), waiting);
  single(out, (prefix + "_refused_total").c_str(), "counter", refused_help.c_str(), refused);
}

void single(std::string& out, const char* name, const char* type, const char* help,
            std::uint64_t value) {
  header(out, name, type, help);
  sample(out, name, "", value);
}

void single(std::string& out, const char* name, const char* type, const char* help,
            std::int64_t value) {
  header(out, name, type, help);
  sample(out, name, "", value);
}

std::string label_value(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Histogram::observe(std::chrono::nanoseconds duration) {
  double seconds = std::chrono::duration<double>(duration).count();
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<std::uint64_t>(duration.count()), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  std::uint64_t cumulative = 0;
  std::string prefix = labels.empty() ? "" : labels + ",";
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
    sample(out, name + "_bucket", prefix + "le=\"" + le + "\"", cumulative);
  }
  sample(out, name + "_sum", labels,
         static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9);
  sample(out, name + "_count", labels, count_.load(std::memory_order_relaxed));
}

}  // namespace ocipfs::prometheus
