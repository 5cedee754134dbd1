// ocipfs: pack a layer, publish it to an IPFS node, compose an image of layers, import an
// existing image, inspect what ocipfsd would serve.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.hpp"
#include "cli/report.hpp"
#include "ocipfs/base/log.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/publish/temporary_paths.hpp"

namespace {

using namespace ocipfs::cli;

const char* const usage_text = R"(Usage:
  ocipfs pack PATH [--tarball=FILE] [-o FILE] [--car=FILE] [--registry=HOST] [--ipfs-dir-cid=CID]
  ocipfs publish PATH --ipfs-api=URL [--ipfs-api-auth=CRED] [--upload=car|files] [--registry=HOST]
                 [--tarball=FILE] [-o FILE] [--car=FILE] [--timeout=DUR]
  ocipfs compose FILE (--car=FILE | --ipfs-api=URL)... [-o FILE] [--registry=HOST] [--timeout=DUR]
                 [--ipfs-api-auth=CRED] [--allow-outside=DIR]
  ocipfs import SOURCE (--car=FILE | --ipfs-api=URL)... [--registry=HOST] [--timeout=DUR]
                 [--ipfs-api-auth=CRED]
  ocipfs inspect REF|CID [--gateway=URL]... [--registry=HOST] [--verify=strict|off] [--timeout=DUR]
  ocipfs completion bash|zsh

pack      Makes PATH a layer with no IPFS node: computes the CIDs that ipfs add --cid-version=1
          --raw-leaves --wrap-with-directory gives the tarball, writes the layer manifest and a
          CAR file holding every block (roots: the manifest and the directory), and prints the
          image reference and the COPY --from= line. PATH is a directory, or a .tar, .tar.gz or
          .tar.zst file used as it is. A directory becomes a reproducible tarball (sorted, mtime
          0, owner 0:0, normalized modes, no gzip timestamp): the same files give the same
          bytes. The tarball's file name is the image's tag. Upload the CAR to any pinning
          service, or `ipfs dag import` it.
publish   Packs PATH as pack does, then stores it on an IPFS node through its RPC API: the CAR
          through dag/import (--upload=car), or the tarball and the manifest through add
          (--upload=files, checked to give pack's CIDs). Prints the same reference as pack.
compose   Makes an image of layers: FILE is an image document (JSON: layers, config, platform,
          annotations, tag) whose layers may also be directories or tarballs (paths relative to
          FILE, which reach only what is under FILE's directory: no absolute path, no ".." or
          symlink that leads out, unless into --allow-outside=DIR) or HOST/layer/<CID>
          references. A directory's contents are the layer's root; an entry {"path": "app",
          "at": "/app"} puts them under /app instead. It packs the directories and tarballs as
          pack does (the same tarballs and CIDs), writes the image document, and then writes one CAR
          of every new block (--car=FILE, no node needed; roots: the image document, then each
          packed layer's manifest and directory), or adds them through the node's RPC API
          (--ipfs-api=URL, checked to give the same CIDs), or both. Prints the image reference,
          the FROM line and the docker run line.
import    Puts an existing image on IPFS unchanged, so that ocipfsd serves it with the same
          manifest, config and layer digests. SOURCE is an OCI image layout directory (as
          skopeo copy ... oci:DIR writes it), optionally DIR:REF to choose the index.json entry
          whose org.opencontainers.image.ref.name is REF; an oci-archive tarball of one; or a
          docker save tarball (for which an OCI manifest is written over its config and its
          uncompressed layers, keeping the image ID). Every blob is checked against its digest.
          Stores each index, manifest and config as a raw block (its CID is its digest), each
          layer as a UnixFS file, and a verbatim image document naming them: one CAR
          (--car=FILE, no node needed; roots: the document, every raw block, every layer) or
          through the node's dag/import (--ipfs-api=URL). Prints the image reference, the FROM
          line and the docker run line.
inspect   With a bare CID or a NAME (layer/<CID>[:TAG|@DIGEST], image/<CID>[...]): fetches,
          verifies and validates a layer manifest or an image document (and each of its layers)
          from the gateways as ocipfsd does, and prints the image ocipfsd would serve: every
          layer, digests, tags and platforms. Exits 0 only if ocipfsd would serve it. A bare CID
          may be in any form (Qm..., bafy...), and is read as an image when its document is one.
          With HOST/NAME: asks the registry at HOST (http:// for a loopback host, https://
          otherwise) through the distribution API: the manifest (and each of an index's), each
          config and, for each layer, HEAD and the 302 of GET; checks digests, sizes, media
          types and diff_ids. Exits 0 only if every check passes. The output says which it asked.
completion
          Prints the completion script of bash or zsh for the commands, their flags, files and
          the values of --upload and --verify: source <(ocipfs completion bash) in ~/.bashrc,
          or source <(ocipfs completion zsh) after compinit in ~/.zshrc.

Options:
  --tarball=FILE       where to write a directory's tarball; .tar, .tar.gz or .tar.zst picks the
                       compression. Default: <directory name>.tar.gz, next to -o FILE if given,
                       else in the current directory
  -o FILE              write the layer manifest to FILE ("-" for stdout). Default for pack:
                       <stem>.layer.json beside the tarball (stem: its name less .tar, .tar.gz
                       or .tar.zst); publish writes it only when asked. compose: write the image
                       document to FILE
  --car=FILE           where to write the CAR. Default: <stem>.car beside the tarball. compose
                       and import: write a CAR only when asked
  --ipfs-dir-cid=CID   pack: the tarball is already stored under this IPFS directory (added by
                       other means or with other parameters), and the manifest names it. If it is
                       the directory pack computes, the CAR is complete; else it holds only the
                       layer manifest
  --allow-outside=DIR  compose: the layers may also be directories and tarballs under DIR
                       (absolute paths, or relative ones that lead there)
  --upload=car|files   publish: send the CAR to /api/v0/dag/import (car, the default), or add
                       the tarball and the manifest as files (files)
  --ipfs-api=URL       the node's RPC API (Kubo-compatible), e.g. http://127.0.0.1:5001, or a
                       hosted node's https:// endpoint (trusting the system's CAs, or those of
                       $SSL_CERT_FILE). Default: $IPFS_API (for compose and import, only when
                       --car is not given)
  --ipfs-api-auth=CRED the node's credentials: a bearer TOKEN, or USER:PASSWORD (sent as Basic).
                       Default: $IPFS_API_AUTH. Never printed
  --registry=HOST      the ocipfsd host in printed references. Default: 127.0.0.1:5000
  --gateway=URL        inspect of a CID or NAME: the IPFS gateway to fetch the documents from;
                       repeat it to fall back on others. Default: $IPFS_GATEWAY, else
                       https://ipfs.io
  --verify=strict|off  inspect: prove each document against its CID. Default: strict
  --timeout=DUR        deadline of each network step, e.g. 30s, 500ms, 2m. Default: 60s for
                       publish, compose and import (each connect, write and read), 30s for inspect
                       (each fetch)
  --json               pack, publish, compose, import, inspect: print one JSON object on stdout
                       instead of the text lines (keys in the README), nothing there on failure
  --help, --version

Progress: pack, publish, compose and import running longer than a second show the bytes read
and the rate on one line of stderr when stderr is a terminal (also with --json), erased at the
end; nothing otherwise.

Exit status: 0 on success, 1 on failure, 2 for a usage error.
)";

struct Command {
  const char* name;
  int (*run)(const Args&);
};
constexpr Command commands[] = {{"pack", run_pack},       {"publish", run_publish},
                                {"compose", run_compose}, {"import", run_import},
                                {"inspect", run_inspect}, {"completion", run_completion}};

int run(const std::vector<std::string>& argv) {
  if (argv.empty())
    throw UsageError{"a command is needed: pack, publish, compose, import, inspect or completion"};
  const std::string& name = argv.front();
  if (name == "--version") {
    write_out(stdout, "ocipfs " OCIPFS_VERSION "\n");
    return 0;
  }
  const Command* command = nullptr;
  for (const auto& each : commands)
    if (name == each.name) command = &each;
  bool help = name == "help" || name == "--help" || name == "-h";
  if (!command && !help)
    throw UsageError{"unknown command " + ocipfs::in_quotes(name, 64) +
                     " (commands: pack, publish, compose, import, inspect, completion)"};
  for (const auto& arg : argv) help = help || arg == "--help" || arg == "-h";
  if (help) {
    write_out(stdout, usage_text);
    return 0;
  }
  return command->run(parse_args(argv));
}

// A standard descriptor closed at start would be reused by the next file opened, and the report
// written into it. Each is opened on /dev/null the wrong way round instead, so that using it
// fails (EBADF) as it would have.
void hold_standard_descriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    int held = ::open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
    if (held >= 0 && held != fd) {
      ::dup2(held, fd);
      ::close(held);
    }
  }
}

// SIGINT, SIGTERM and SIGHUP (those not ignored, as nohup ignores SIGHUP) are taken by a thread
// of their own: it removes the temporary files and directories still registered, then dies of
// the signal as the process would have (the shell sees 128 + the signal's number).
void remove_temporaries_on_signals() {
  sigset_t taken;
  sigemptyset(&taken);
  for (int signo : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction current {};
    if (::sigaction(signo, nullptr, &current) == 0 && current.sa_handler != SIG_IGN)
      sigaddset(&taken, signo);
  }
  if (sigisemptyset(&taken) || ::pthread_sigmask(SIG_BLOCK, &taken, nullptr) != 0) return;
  std::thread([taken] {
    int signo = 0;
    if (::sigwait(&taken, &signo) != 0) return;
    ocipfs::remove_temporary_paths();
    std::signal(signo, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, signo);
    ::pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    std::raise(signo);
    std::_Exit(128 + signo);
  }).detach();
}

// A command succeeds only if all it wrote to stdout was written: the last flush and the close
// are checked too. A command that failed has said why; its status stands.
int finish_stdout(int status) {
  errno = 0;
  bool flushed = std::fflush(stdout) == 0 && !std::ferror(stdout);
  int error = errno;
  bool closed = std::fclose(stdout) == 0;
  if (error == 0) error = errno;
  if (status != 0 || (flushed && closed)) return status;
  std::fprintf(stderr, "ocipfs: cannot write to stdout: %s\n", std::strerror(error ? error : EIO));
  return 1;
}

int run_main(const std::vector<std::string>& argv) {
  try {
    return run(argv);
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

}  // namespace

int main(int argc, char** argv) {
  hold_standard_descriptors();
  remove_temporaries_on_signals();
  // The fetcher logs gateway failures; its final error already says what failed.
  ocipfs::setup_logging(ocipfs::LogFormat::text, "off");
  // Past `ulimit -f`, a write fails with EFBIG, reported and cleaned up, instead of killing us.
  std::signal(SIGXFSZ, SIG_IGN);
  // A reader gone away (ocipfs ... | head) makes a write fail with EPIPE, reported, and the
  // temporary files removed, instead of killing us with them left behind.
  std::signal(SIGPIPE, SIG_IGN);
  return finish_stdout(run_main(std::vector<std::string>(argv + 1, argv + argc)));
}
