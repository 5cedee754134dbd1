// ocipfsd: parse the configuration, install signal handling, serve.
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "ocipfs/config.hpp"
#include "ocipfs/log.hpp"
#include "ocipfs/server.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed =
      ocipfs::parse_command_line(args, [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        return value ? std::optional<std::string>(value) : std::nullopt;
      });
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
  ocipfs::setup_logging(config.log_json ? ocipfs::LogFormat::json : ocipfs::LogFormat::text,
                        config.log_level, config.project);
  auto open_file_limit = ocipfs::raise_open_file_limit();
  if (auto budget = ocipfs::connection_budget(config.max_connections, open_file_limit);
      budget < config.max_connections) {
    spdlog::warn("--max-connections lowered from {} to {}: the open-file limit is {}",
                 config.max_connections, budget, open_file_limit);
    config.max_connections = budget;
  }
  try {
    // Signals are caught before the port is bound: a SIGTERM from whoever saw it open drains.
    boost::asio::io_context signals_context;
    boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
    ocipfs::Server server(config);
    // The first SIGTERM or SIGINT drains; a second one exits at once.
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("signal {}: draining for up to {} ms (send it again to exit at once)", signal,
                   config.shutdown_grace.count());
      server.shutdown(config.shutdown_grace);
      signals.async_wait([](const boost::system::error_code& again, int) {
        if (!again) std::_Exit(1);
      });
    });
    std::thread signal_thread([&] { signals_context.run(); });
    std::string gateways;
    for (const auto& gateway : config.gateways)
      gateways += (gateways.empty() ? "" : ", ") + gateway.to_string();
    if (!config.verify)
      spdlog::warn(
          "--verify=off: layer manifests are NOT checked against their CIDs. Whoever controls "
          "the gateways ({}) decides what every image contains.",
          gateways);
    spdlog::info(
        "ocipfsd {} listening on {}:{} with {} threads, at most {} connections; gateways {}; "
        "redirects to {}",
        OCIPFS_VERSION, config.listen_host, server.port(), config.threads, config.max_connections,
        gateways, config.redirect_gateway.to_string());
    server.run();
    spdlog::info("stopped");
    signals_context.stop();
    signal_thread.join();
  } catch (const std::exception& error) {
    std::cerr << "ocipfsd: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
