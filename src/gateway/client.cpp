#include "ocipfs/gateway/client.hpp"

#include <chrono>
#include <stdexcept>
#include <utility>

#include "ocipfs/base/cancel_signal.hpp"
#include "ocipfs/base/text.hpp"

namespace ocipfs {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Step = HttpError::Step;

namespace {

FetchFailure failure(FetchFault fault, std::string message, unsigned status = 0) {
  return {fault, std::move(message), status, std::chrono::seconds{0}};
}

// What the HTTP client's failure means for a fetch from `url`.
FetchFailure http_failure(const HttpError& error, const HttpUrl& url,
                          std::chrono::milliseconds timeout) {
  const std::string origin = url.origin();
  switch (error.step) {
    case Step::resolve:
      if (error.timed_out())
        return failure(FetchFault::timeout,
                       origin + " could not be resolved within " + duration_text(timeout));
      return failure(FetchFault::unreachable,
                     "cannot resolve " + origin + ": " + error.code.message());
    case Step::local_address:
      return failure(FetchFault::bad_redirect, origin + " is a loopback or link-local address");
    case Step::cancelled:
      return failure(FetchFault::unreachable, origin + ": the fetch was cancelled");
    case Step::body:
      return failure(FetchFault::unreachable, origin + ": " + error.detail);
    default:
      break;
  }
  if (!error.code) return failure(FetchFault::unreachable, origin + ": " + error.detail);
  if (is_local_resource_error(error.code))
    return failure(FetchFault::local_resources, "ocipfsd is short of resources to reach " + origin +
                                                    " (" + error.code.message() + ")");
  if (error.timed_out())
    return failure(FetchFault::timeout,
                   origin + " did not answer within " + duration_text(timeout));
  if (error.too_large())
    return failure(FetchFault::too_large, origin + " sent a response over the size limit");
  if (error.malformed())
    return failure(FetchFault::garbage,
                   origin + " sent an invalid HTTP response (" + error.code.message() + ")");
  std::string_view step = error.step == Step::connect ? "connect"
                          : error.step == Step::tls   ? "the TLS handshake"
                                                      : "the exchange";
  return failure(FetchFault::unreachable,
                 origin + " failed during " + std::string(step) + ": " + error.code.message());
}

std::chrono::seconds parse_retry_after(std::string_view value) {
  unsigned long seconds = 0;
  if (value.empty() || value.size() > 9) return std::chrono::seconds{0};
  for (char c : value) {
    if (c < '0' || c > '9') return std::chrono::seconds{0};
    seconds = seconds * 10 + static_cast<unsigned long>(c - '0');
  }
  return std::chrono::seconds{seconds};
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Where a redirect leads, or why it may not be followed.
Expected<HttpUrl, FetchFailure> redirect_target(const HttpUrl& url, const HttpResponse& response,
                                                unsigned redirects, unsigned max_redirects) {
  unsigned status = response.status;
  auto location = response.field("Location");
  if (location.empty())
    return Unexpected{
        failure(FetchFault::garbage, url.origin() + " sent a redirect without a Location", status)};
  if (redirects >= max_redirects)
    return Unexpected{
        failure(FetchFault::bad_redirect,
                url.origin() + " redirected more than " + std::to_string(max_redirects) + " times",
                status)};
  auto next = resolve_location(url, location);
  if (!next)
    return Unexpected{failure(FetchFault::bad_redirect,
                              url.origin() + " redirected to an unusable location: " + next.error(),
                              status)};
  return std::move(*next);
}

// `only_if_cached`: the request asked for Cache-Control: only-if-cached, to which 412 means
// that the gateway holds no copy.
FetchFailure status_failure(const HttpUrl& url, const HttpResponse& response, bool only_if_cached) {
  unsigned status = response.status;
  std::string what = url.origin() + " answered " + std::to_string(status);
  if (status == 404 || status == 410) return failure(FetchFault::not_found, what, status);
  if (status == 412 && only_if_cached)
    return failure(FetchFault::not_found, what + " (it holds no copy: asked only-if-cached)",
                   status);
  if (status != 429) return failure(FetchFault::bad_status, what, status);
  auto limited = failure(FetchFault::rate_limited, what + " (rate limited)", status);
  limited.retry_after = parse_retry_after(response.field("Retry-After"));
  return limited;
}

// After a redirect, a failure names the gateway and how the fetch failed, never where it was
// redirected to nor what connecting there said: a gateway must not probe ports through
// ocipfsd. The log keeps the detail.
FetchFailure redirected_failure(const HttpUrl& gateway, FetchFailure failure) {
  failure.detail = std::move(failure.message);
  failure.message = gateway.origin() + " redirected to a location that failed (" +
                    std::string(fault_label(failure.fault)) + ")";
  return failure;
}

HttpClientOptions http_options(const GatewayClientOptions& options) {
  HttpClientOptions http;
  http.max_header_size = options.max_header_size;
  http.max_body_size = options.max_body_size;
  http.max_idle_per_origin = options.max_idle_per_origin;
  http.max_idle_age = options.max_idle_age;
  http.user_agent = options.user_agent;
  http.ca_file = options.ca_file;
  return http;
}

// The HTTP client, or a start-up error that names the flag of an unusable CA file.
HttpClient make_http_client(asio::any_io_executor executor, const GatewayClientOptions& options) {
  try {
    return HttpClient(std::move(executor), http_options(options));
  } catch (const std::runtime_error& error) {
    throw std::runtime_error("--gateway-ca-file=" + std::string(error.what()));
  }
}

const HttpResponse& head_of(const HttpResponse& answer) { return answer; }
const HttpResponse& head_of(const HttpBodyReader& answer) { return answer.head(); }

// The answer to `request` at `url` through `ask` (an HttpClient call), redirects followed: a 2xx
// answer, or the failure it was.
template <class Answer, class Ask>
asio::awaitable<Expected<Answer, FetchFailure>> follow_redirects(
    HttpUrl url, HttpRequest request, const GatewayClientOptions& options, Ask ask) {
  const HttpUrl gateway = url;
  const bool gateway_is_local = is_local_host(gateway.host);
  for (unsigned redirects = 0;; ++redirects) {
    auto failed = [&](FetchFailure failure) {
      return Unexpected{redirects == 0 ? std::move(failure)
                                       : redirected_failure(gateway, std::move(failure))};
    };
    request.target = url.path;
    request.allow_local = redirects == 0 || gateway_is_local;
    Expected<Answer, HttpError> answer = co_await ask(url, request);
    if (!answer) co_return failed(http_failure(answer.error(), url, options.timeout));
    const HttpResponse& head = head_of(*answer);
    if (head.status >= 200 && head.status < 300) co_return std::move(*answer);
    if (!is_redirect(head.status))
      co_return failed(status_failure(url, head, options.only_if_cached));
    auto next = redirect_target(url, head, redirects, options.max_redirects);
    if (!next) co_return Unexpected{std::move(next).error()};  // about the gateway's own answer
    url = std::move(*next);
  }
}

HttpRequest gateway_request(const GatewayClientOptions& options, CancelSignal* cancel) {
  HttpRequest request;
  if (options.only_if_cached) request.cache_control = "only-if-cached";
  request.deadline = Clock::now() + options.timeout;
  request.cancel = cancel;
  return request;
}

}  // namespace

GatewayClient::GatewayClient(asio::any_io_executor executor, GatewayClientOptions options)
    : options_(std::move(options)), http_(make_http_client(std::move(executor), options_)) {}

asio::awaitable<Expected<FetchResponse, FetchFailure>> GatewayClient::get(HttpUrl url,
                                                                          std::string accept,
                                                                          CancelSignal* cancel) {
  HttpRequest request = gateway_request(options_, cancel);
  request.accept = accept;
  auto answer = co_await follow_redirects<HttpResponse>(
      std::move(url), request, options_,
      [this](const HttpUrl& at, const HttpRequest& asked) { return http_.request(at, asked); });
  if (!answer) co_return Unexpected{std::move(answer).error()};
  co_return FetchResponse{answer->status, std::move(answer->body),
                          std::string(answer->field("Content-Type"))};
}

asio::awaitable<Expected<HttpBodyReader, FetchFailure>> GatewayClient::open(HttpUrl url,
                                                                            std::string range,
                                                                            std::string accept,
                                                                            CancelSignal* cancel) {
  HttpRequest request = gateway_request(options_, cancel);
  request.range = range;
  request.accept = accept;
  request.step_timeout = options_.timeout;
  co_return co_await follow_redirects<HttpBodyReader>(
      std::move(url), request, options_,
      [this](const HttpUrl& at, const HttpRequest& asked) { return http_.open(at, asked); });
}

}  // namespace ocipfs
