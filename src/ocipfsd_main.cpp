// ocipfsd: parse the configuration, install signal handling, serve.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "ocipfs/base/log.hpp"
#include "ocipfs/server/config.hpp"
#include "ocipfs/server/server.hpp"
#include "ocipfs/server/tls.hpp"

namespace {

std::optional<std::string> from_environment(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  return value ? std::optional<std::string>(value) : std::nullopt;
}

// Warns that `flag` was lowered from `wanted` to `fit`, when it was.
void warn_lowered(std::string_view flag, std::size_t wanted, std::size_t fit,
                  std::uint64_t open_file_limit) {
  if (fit < wanted)
    spdlog::warn("{} lowered from {} to {}: the open-file limit is {}", flag, wanted, fit,
                 open_file_limit);
}

// Client connections and gateway sockets, lowered to fit the open-file limit (descriptor_budget).
void fit_descriptor_limit(ocipfs::Config& config) {
  auto open_file_limit = ocipfs::raise_open_file_limit();
  auto& gateway = config.gateway;
  const bool proxied = gateway.blobs == ocipfs::BlobMode::proxy;
  const ocipfs::DescriptorBudget wanted{config.limits.max_connections, gateway.max_fetches,
                                        proxied ? gateway.max_blob_transfers : 0};
  std::size_t idle =
      std::size_t{config.listen.threads} * gateway.urls.size() * gateway.client.max_idle_per_origin;
  auto fit = ocipfs::descriptor_budget(wanted, idle, open_file_limit);
  warn_lowered("--max-gateway-fetches", wanted.gateway_fetches, fit.gateway_fetches,
               open_file_limit);
  warn_lowered("--max-blob-transfers", wanted.blob_transfers, fit.blob_transfers, open_file_limit);
  warn_lowered("--max-connections", wanted.connections, fit.connections, open_file_limit);
  config.limits.max_connections = fit.connections;
  gateway.max_fetches = fit.gateway_fetches;
  if (proxied) gateway.max_blob_transfers = fit.blob_transfers;
}

void announce(const ocipfs::Config& config, const ocipfs::Server& server) {
  std::string gateways;
  for (std::size_t i = 0; i < config.gateway.urls.size(); ++i)
    gateways += (gateways.empty() ? "" : ", ") + config.gateway.urls[i].to_string() +
                (config.gateway.trustless[i] ? " (trustless)" : "");
  if (!config.gateway.verify)
    spdlog::warn(
        "--verify=off: layer manifests are NOT checked against their CIDs. Whoever controls "
        "the gateways ({}) decides what every image contains.",
        gateways);
  spdlog::info(
      "ocipfsd {} listening on {}:{} ({}) with {} threads, at most {} connections; gateways {}; "
      "redirects to {}",
      OCIPFS_VERSION, config.listen.host, server.port(),
      server.tls() ? "HTTPS, " + server.tls()->description() : std::string("plain HTTP"),
      config.listen.threads, config.limits.max_connections, gateways,
      config.gateway.redirect.to_string());
}

// SIGHUP reloads the TLS certificate and key (new connections take them; open ones keep theirs;
// files that cannot be served with are logged, and the ones before kept). It never stops the
// server.
void reload_on_hangup(boost::asio::signal_set& hangups, ocipfs::Server& server) {
  hangups.async_wait([&hangups, &server](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (!server.tls()) {
      spdlog::info("SIGHUP: nothing to reload without --tls-cert; still serving");
    } else if (auto reloaded = server.tls()->reload()) {
      spdlog::info("SIGHUP: new connections get the TLS certificate {}", *reloaded);
    } else {
      spdlog::error("SIGHUP: TLS certificate not reloaded, the one before is still served: {}",
                    reloaded.error());
    }
    reload_on_hangup(hangups, server);
  });
}

// Serves until a signal drains the server. Signals are caught before the port is bound: a
// SIGTERM from whoever saw it open drains. The first SIGTERM or SIGINT drains; a second one
// exits at once.
void serve(const ocipfs::Config& config) {
  boost::asio::io_context signals_context;
  boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  boost::asio::signal_set hangups(signals_context, SIGHUP);  // queued until the server is made
  ocipfs::Server server(config);
  reload_on_hangup(hangups, server);
  auto grace = config.limits.shutdown_grace;
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: draining for up to {} ms (send it again to exit at once)", signal,
                 grace.count());
    server.shutdown(grace);
    signals.async_wait([](const boost::system::error_code& again, int) {
      if (!again) std::_Exit(1);
    });
  });
  std::thread signal_thread([&] { signals_context.run(); });
  announce(config, server);
  server.run();
  spdlog::info("stopped");
  signals_context.stop();
  signal_thread.join();
}

}  // namespace

// Documents and gateway answers of up to a megabyte come and go by the thousand. glibc would
// raise its mmap threshold past them after the first is freed, and from then on carve them from
// the heap, where the small blocks of parsed JSON pin them: resident memory would then stay at
// the highest it ever was. Each of them gets its own mapping instead, given back when freed.
void keep_big_buffers_apart() {
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
}

int main(int argc, char** argv) {
  // A closed stderr (ocipfsd 2>&1 | head) fails the next log write; it must not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  keep_big_buffers_apart();
  auto parsed = ocipfs::parse_command_line({argv + 1, argv + argc}, from_environment);
  if (!parsed) {
    std::cerr << "ocipfsd: " << parsed.error() << "\n";
    return 2;
  }
  if (parsed->command == ocipfs::Command::help) {
    std::cout << ocipfs::usage();
    return 0;
  }
  if (parsed->command == ocipfs::Command::version) {
    std::cout << "ocipfsd " OCIPFS_VERSION "\n";
    return 0;
  }
  ocipfs::Config& config = parsed->config;
  const auto& log = config.log;
  ocipfs::setup_logging(log.json ? ocipfs::LogFormat::json : ocipfs::LogFormat::text, log.level,
                        log.project);
  fit_descriptor_limit(config);
  try {
    serve(config);
  } catch (const ocipfs::TlsError& error) {
    std::cerr << "ocipfsd: " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "ocipfsd: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
