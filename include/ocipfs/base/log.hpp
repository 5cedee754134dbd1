// Logging: human-readable text, or JSON lines in Cloud Logging's structured format.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ocipfs {

enum class LogFormat { text, json };

// Configures the process-wide loggers (spdlog) once, at start. `project` names the Google Cloud
// project for trace correlation ("" when unknown).
void setup_logging(LogFormat format, std::string_view level, std::string project = {});

// Lets at most one line through per `interval`, and counts those held back: for warnings that
// a storm would repeat. Not thread-safe: each thread keeps its own.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::seconds interval) : interval_(interval) {}
  // True when it is time to log; `suppressed` is how many were skipped since the last line.
  bool ready(std::uint64_t& suppressed) {
    auto now = std::chrono::steady_clock::now();
    if (last_ && now - *last_ < interval_) {
      ++skipped_;
      return false;
    }
    last_ = now;
    suppressed = std::exchange(skipped_, 0);
    return true;
  }

 private:
  std::chrono::seconds interval_;
  // None before the first line: steady_clock counts from boot, so a machine up for less than
  // an interval would otherwise suppress the first line.
  std::optional<std::chrono::steady_clock::time_point> last_;
  std::uint64_t skipped_ = 0;
};

// One answered request.
struct AccessRecord {
  std::string_view method;
  std::string_view url;
  unsigned status = 0;
  std::uint64_t response_size = 0;
  std::chrono::nanoseconds latency{0};
  std::string_view user_agent;
  std::string_view remote_ip;
  std::string_view cloud_trace_context;  // X-Cloud-Trace-Context, as sent
  std::string_view traceparent;          // W3C traceparent, as sent
  // Bytes that were not an HTTP request: what they were, which the line shows instead of the
  // method and the URL ("-").
  std::string_view what;
};

// What a TLS ClientHello on ocipfsd's plain-HTTP port was (AccessRecord::what).
inline constexpr std::string_view tls_on_plain_port =
    "TLS handshake on the plain-HTTP port (use http:// or put TLS in front)";
// What plain HTTP on ocipfsd's TLS port was (AccessRecord::what).
inline constexpr std::string_view plain_http_on_tls_port =
    "plain HTTP on the TLS port (use https://)";

// Logs one line for a request (at info level).
void log_access(const AccessRecord& record);

// The trace and span ids in X-Cloud-Trace-Context ("TRACE/SPAN;o=1") or traceparent
// ("00-TRACE-SPAN-FLAGS"); empty when absent or malformed.
struct TraceIds {
  std::string trace;
  std::string span;
};
TraceIds parse_trace(std::string_view cloud_trace_context, std::string_view traceparent);

// The JSON line for an access record (exposed for tests).
std::string access_json(const AccessRecord& record, std::string_view project);
// The text line: "METHOD URL STATUS SIZE LATENCYms", or "WHAT: STATUS SIZE LATENCYms".
std::string access_text(const AccessRecord& record);

}  // namespace ocipfs
