// ocipfs: pack a layer, publish it to an IPFS node, inspect what ocipfsd would serve for it.
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "ocipfs/log.hpp"
#include "ocipfs/text.hpp"

namespace {

using namespace ocipfs::cli;

const char* const usage_text = R"(Usage:
  ocipfs pack PATH [--tarball=FILE] [--ipfs-dir-cid=CID [-o FILE]]
  ocipfs publish PATH --ipfs-api=URL [--registry=HOST] [--tarball=FILE] [-o FILE] [--timeout=DUR]
  ocipfs inspect REF|CID [--gateway=URL]... [--registry=HOST] [--verify=strict|off] [--timeout=DUR]

pack      Makes PATH a layer and prints its media type, digest, size and diff_id. PATH is a
          directory, or a .tar, .tar.gz or .tar.zst file used as it is. A directory becomes a
          reproducible tarball (sorted, mtime 0, owner 0:0, normalized modes, no gzip timestamp):
          the same files give the same bytes. The tarball's file name is the image's tag.
publish   Packs PATH, adds the tarball (wrapped in a directory) and its layer manifest to an IPFS
          node through its RPC API, and prints the image reference and the COPY --from= line.
inspect   Fetches, verifies and validates a layer manifest as ocipfsd does, and prints the image
          ocipfsd would serve: digests, tags and platforms. Exits 0 only if ocipfsd would serve it.
          REF is HOST/layer/<CID>[:TAG|@DIGEST]; a bare CID may be in any form (Qm..., bafy...).

Options:
  --tarball=FILE       where to write a directory's tarball; .tar, .tar.gz or .tar.zst picks the
                       compression. Default: <directory name>.tar.gz, next to -o FILE if given,
                       else in the current directory
  --ipfs-dir-cid=CID   pack: the CID of the IPFS directory that holds the tarball under its file
                       name. Only with it can pack write the layer manifest (publish learns it
                       from the node)
  -o FILE              write the layer manifest to FILE ("-" for stdout).
                       Default for pack --ipfs-dir-cid: layer.json
  --ipfs-api=URL       the node's RPC API (Kubo-compatible), e.g. http://127.0.0.1:5001.
                       Default: $IPFS_API
  --registry=HOST      the ocipfsd host in printed references. Default: 127.0.0.1:5000
  --gateway=URL        inspect: the IPFS gateway to fetch the layer manifest from; repeat it to
                       fall back on others. Default: $IPFS_GATEWAY, else https://ipfs.io
  --verify=strict|off  inspect: prove the layer manifest against its CID. Default: strict
  --timeout=DUR        deadline of each network step, e.g. 30s, 500ms, 2m. Default: 60s for
                       publish (each connect, write and read), 30s for inspect (each fetch)
  --help, --version

Exit status: 0 on success, 1 on failure, 2 for a usage error.
)";

struct Command {
  const char* name;
  int (*run)(const Args&);
};
constexpr Command commands[] = {
    {"pack", run_pack}, {"publish", run_publish}, {"inspect", run_inspect}};

int run(const std::vector<std::string>& argv) {
  if (argv.empty()) throw UsageError{"a command is needed: pack, publish or inspect"};
  const std::string& name = argv.front();
  if (name == "--version") {
    std::puts("ocipfs " OCIPFS_VERSION);
    return 0;
  }
  const Command* command = nullptr;
  for (const auto& each : commands)
    if (name == each.name) command = &each;
  bool help = name == "help" || name == "--help" || name == "-h";
  if (!command && !help)
    throw UsageError{"unknown command " + ocipfs::in_quotes(name, 64) +
                     " (commands: pack, publish, inspect)"};
  for (const auto& arg : argv) help = help || arg == "--help" || arg == "-h";
  if (help) {
    std::fputs(usage_text, stdout);
    return 0;
  }
  return command->run(parse_args(argv));
}

}  // namespace

int main(int argc, char** argv) {
  // The fetcher logs gateway failures; its final error already says what failed.
  ocipfs::setup_logging(ocipfs::LogFormat::text, "off");
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& error) {
    std::fprintf(stderr, "ocipfs: %s (see ocipfs --help)\n", error.message.c_str());
    return 2;
  } catch (const Failure& error) {
    std::fprintf(stderr, "ocipfs: %s\n", error.message.c_str());
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ocipfs: %s\n", error.what());
    return 1;
  }
}
