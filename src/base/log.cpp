#include "ocipfs/base/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "ocipfs/base/text.hpp"

namespace ocipfs {

namespace {

LogFormat active_format = LogFormat::text;
std::string active_project;

bool all_hex(std::string_view text) {
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return !text.empty();
}

const char* severity(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "DEBUG";
    case spdlog::level::info:
      return "INFO";
    case spdlog::level::warn:
      return "WARNING";
    case spdlog::level::err:
      return "ERROR";
    case spdlog::level::critical:
      return "CRITICAL";
    default:
      return "DEFAULT";
  }
}

std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Every message as one JSON object: {"severity", "message", "time"}.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto seconds = std::chrono::duration<double>(msg.time.time_since_epoch()).count();
    nlohmann::json line = {
        {"severity", severity(msg.level)},
        {"message", std::string(msg.payload.data(), msg.payload.size())},
        {"timestamp",
         {{"seconds", static_cast<long long>(seconds)},
          {"nanos", static_cast<long long>((seconds - static_cast<long long>(seconds)) * 1e9)}}}};
    auto text = dump(line);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// Access lines arrive as finished JSON objects in JSON mode: written as they are.
class RawFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    dest.append(msg.payload.data(), msg.payload.data() + msg.payload.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<RawFormatter>();
  }
};

std::shared_ptr<spdlog::logger> access_logger;

}  // namespace

TraceIds parse_trace(std::string_view cloud, std::string_view traceparent) {
  if (!cloud.empty()) {
    auto slash = cloud.find('/');
    std::string_view trace = cloud.substr(0, slash);
    std::string_view span;
    if (slash != std::string_view::npos)
      span = cloud.substr(slash + 1, cloud.find(';') - slash - 1);
    if (trace.size() == 32 && all_hex(trace)) {
      bool span_ok = !span.empty() && span.size() <= 20 &&
                     span.find_first_not_of("0123456789") == std::string_view::npos;
      return {std::string(trace), span_ok ? std::string(span) : std::string()};
    }
  }
  // 00-<32 hex trace>-<16 hex span>-<2 hex flags>
  if (traceparent.size() == 55 && traceparent[2] == '-' && traceparent[35] == '-' &&
      traceparent[52] == '-') {
    auto trace = traceparent.substr(3, 32);
    auto span = traceparent.substr(36, 16);
    if (all_hex(trace) && all_hex(span)) return {std::string(trace), std::string(span)};
  }
  return {};
}

std::string access_json(const AccessRecord& record, std::string_view project) {
  char latency[32];
  std::snprintf(latency, sizeof latency, "%.6fs",
                std::chrono::duration<double>(record.latency).count());
  nlohmann::json request = {{"requestMethod", printable(record.method, 16)},
                            {"requestUrl", printable(record.url, 2048)},
                            {"status", record.status},
                            {"responseSize", std::to_string(record.response_size)},
                            {"latency", latency},
                            {"userAgent", printable(record.user_agent, 256)},
                            {"remoteIp", printable(record.remote_ip, 64)},
                            {"protocol", "HTTP/1.1"}};
  nlohmann::json line = {{"severity", record.status >= 500 ? "ERROR" : "INFO"},
                         {"message", (record.what.empty() ? printable(record.method, 16) + " " +
                                                                printable(record.url, 512) + " "
                                                          : std::string(record.what) + ": ") +
                                         std::to_string(record.status)},
                         {"httpRequest", request}};
  auto ids = parse_trace(record.cloud_trace_context, record.traceparent);
  if (!ids.trace.empty()) {
    line["logging.googleapis.com/trace"] =
        project.empty() ? ids.trace : "projects/" + std::string(project) + "/traces/" + ids.trace;
    if (!ids.span.empty()) line["logging.googleapis.com/spanId"] = ids.span;
  }
  return dump(line);
}

void setup_logging(LogFormat format, std::string_view level, std::string project) {
  active_format = format;
  active_project = std::move(project);
  // A sink each: a formatter belongs to a sink. Both write whole lines to stderr.
  auto main_logger = std::make_shared<spdlog::logger>(
      "ocipfsd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  access_logger =
      std::make_shared<spdlog::logger>("access", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == LogFormat::json) {
    main_logger->set_formatter(std::make_unique<JsonFormatter>());
    access_logger->set_formatter(std::make_unique<RawFormatter>());
  }
  auto parsed = spdlog::level::from_str(std::string(level));
  main_logger->set_level(parsed);
  access_logger->set_level(parsed);
  spdlog::set_default_logger(main_logger);
}

void log_access(const AccessRecord& record) {
  auto logger = access_logger ? access_logger : spdlog::default_logger();
  if (!logger->should_log(spdlog::level::info)) return;
  if (active_format == LogFormat::json) {
    logger->info("{}", access_json(record, active_project));
    return;
  }
  logger->info("{}", access_text(record));
}

std::string access_text(const AccessRecord& record) {
  std::string who = record.what.empty()
                        ? printable(record.method, 16) + " " + printable(record.url, 512)
                        : std::string(record.what) + ":";
  return fmt::format("{} {} {} {:.3f}ms", who, record.status, record.response_size,
                     std::chrono::duration<double, std::milli>(record.latency).count());
}

}  // namespace ocipfs
