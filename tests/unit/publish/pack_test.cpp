// Packing layers, publishing them through the IPFS RPC API, and the `ocipfs` command. Digests are
// checked against independent tools (sha256sum, gzip, zstd, GNU tar).
#include "ocipfs/publish/pack.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "ocipfs/formats/car.hpp"
#include "ocipfs/formats/multibase.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/image/verbatim_image.hpp"
#include "ocipfs/publish/ipfs_api.hpp"
#include "ocipfs/publish/layer_dag.hpp"
#include "support/elf_files.hpp"
#include "support/fake_gateway.hpp"
#include "support/files.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/rendered_image.hpp"
#include "support/server_fixture.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using testing::Outcome;

// Runs a shell command; `output` holds its stdout (and stderr with 2>&1).
Outcome shell(const std::string& command) { return testing::run_command(command); }

std::string quote(const fs::path& path) { return "'" + path.string() + "'"; }

// "sha256:" and the hash that `sha256sum` prints for the output of `command`.
std::string sha256_of_output(const std::string& command) {
  std::string out =
      (fs::temp_directory_path() / ("ocipfs-pack-test-" + std::to_string(::getpid()))).string();
  Outcome produced = shell(command + " > '" + out + "'");
  EXPECT_EQ(produced.exit_code, 0) << command;
  Outcome run = shell("sha256sum < '" + out + "'");
  fs::remove(out);
  EXPECT_EQ(run.exit_code, 0) << command;
  return "sha256:" + run.output.substr(0, 64);
}

bool have_tool(const std::string& tool) {
  return shell("command -v " + tool + " >/dev/null 2>&1").exit_code == 0;
}

// A tree with every kind of entry that is packed: files (one executable), nested and empty
// directories, a symlink, a hard link, a long and a non-ASCII name.
void make_tree(const fs::path& root) {
  write_file(root / "hello.txt", "Hello from IPFS, delivered by ocipfs.\n");
  write_file(root / "usr/share/doc/README", "A layer.\n");
  write_file(root / "usr/bin/tool", "#!/bin/sh\necho tool\n");
  fs::permissions(root / "usr/bin/tool", fs::perms(0755));
  fs::create_directories(root / "var/empty");
  fs::create_symlink("../share/doc/README", root / "usr/bin/readme-link");
  fs::create_hard_link(root / "hello.txt", root / "usr/share/hello-again.txt");
  write_file(root / (std::string(120, 'd') + "/" + std::string(110, 'f')), "long name\n");
  write_file(root / "caf\xc3\xa9.txt", "non-ASCII name\n");
  write_file(root / "big.bin", std::string(300 * 1024, 'x') + "end\n");
}

PackedLayer packed(const fs::path& path, const PackOptions& options = {}) {
  auto layer = pack_path(path, options);
  EXPECT_TRUE(layer.has_value()) << (layer ? "" : layer.error());
  return layer ? *layer : PackedLayer{};
}

std::string pack_error(const fs::path& path, const PackOptions& options = {}) {
  auto layer = pack_path(path, options);
  EXPECT_FALSE(layer.has_value()) << path;
  return layer ? std::string() : layer.error();
}

// ---------------------------------------------------------------- packing a directory

TEST(Pack, DirectoryToGzipMatchesIndependentTools) {
  TempDir tmp;
  make_tree(tmp / "tree");
  fs::path tarball = tmp / "layer.tar.gz";
  PackedLayer layer = packed(tmp / "tree", {tarball, {}});

  EXPECT_EQ(layer.tarball, tarball);
  EXPECT_EQ(layer.file_name, "layer.tar.gz");
  EXPECT_TRUE(layer.written);
  EXPECT_EQ(layer.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(layer.size, fs::file_size(tarball));
  EXPECT_EQ(layer.digest, sha256_of_output("cat " + quote(tarball)));
  EXPECT_EQ(layer.diff_id, sha256_of_output("gzip -dc " + quote(tarball)));
  EXPECT_EQ(layer.entries, 15u);

  // GNU tar reads it back: sorted names, owner 0/0, mtime 0, normalized modes.
  Outcome listing = shell("LC_ALL=C.UTF-8 tar --numeric-owner -tvzf " + quote(tarball) + " 2>&1");
  ASSERT_EQ(listing.exit_code, 0) << listing.output;
  std::istringstream lines(listing.output);
  std::vector<std::string> names;
  for (std::string line; std::getline(lines, line);) {
    EXPECT_THAT(line, HasSubstr(" 0/0 ")) << line;
    EXPECT_THAT(line, HasSubstr(" 1970-01-01 00:00 ")) << line;
    EXPECT_THAT(line, Not(HasSubstr("Ignoring"))) << line;
    names.push_back(line.substr(line.find(" 1970-01-01 00:00 ") + 18));
  }
  std::vector<std::string> expected = {
      "big.bin",
      "caf\xc3\xa9.txt",
      std::string(120, 'd') + "/",
      std::string(120, 'd') + "/" + std::string(110, 'f'),
      "hello.txt",
      "usr/",
      "usr/bin/",
      "usr/bin/readme-link -> ../share/doc/README",
      "usr/bin/tool",
      "usr/share/",
      "usr/share/doc/",
      "usr/share/doc/README",
      "usr/share/hello-again.txt link to hello.txt",
      "var/",
      "var/empty/",
  };
  EXPECT_EQ(names, expected);
  EXPECT_THAT(listing.output, HasSubstr("-rwxr-xr-x 0/0              20 1970-01-01 00:00 "
                                        "usr/bin/tool"));
  EXPECT_THAT(listing.output, HasSubstr("-rw-r--r-- 0/0              38 1970-01-01 00:00 "
                                        "hello.txt"));

  // The gzip header has no file name and no timestamp.
  std::string bytes = read_file(tarball);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 3), "\x1f\x8b\x08");
  EXPECT_EQ(bytes[3] & 0x08, 0) << "FNAME flag set";
  EXPECT_EQ(bytes.substr(4, 4), std::string(4, '\0')) << "MTIME is not 0";

  // The files come back as they were.
  fs::create_directories(tmp / "out");
  ASSERT_EQ(shell("tar -xzf " + quote(tarball) + " -C " + quote(tmp / "out")).exit_code, 0);
  EXPECT_EQ(
      shell("diff -r --no-dereference " + quote(tmp / "tree") + " " + quote(tmp / "out")).exit_code,
      0);
}

TEST(Pack, DirectoryToZstdAndPlainTar) {
  TempDir tmp;
  make_tree(tmp / "tree");
  PackedLayer plain = packed(tmp / "tree", {tmp / "layer.tar", {}});
  EXPECT_EQ(plain.media_type, "application/vnd.oci.image.layer.v1.tar");
  EXPECT_EQ(plain.digest, sha256_of_output("cat " + quote(tmp / "layer.tar")));
  EXPECT_EQ(plain.diff_id, plain.digest);

  PackedLayer gzip = packed(tmp / "tree", {tmp / "layer.tar.gz", {}});
  EXPECT_EQ(gzip.diff_id, plain.diff_id) << "the same tar stream, whatever the compression";

  if (!have_tool("zstd")) GTEST_SKIP() << "no zstd command (tests/install-deps.sh test)";
  fs::path tarball = tmp / "layer.tar.zst";
  PackedLayer zstd = packed(tmp / "tree", {tarball, {}});
  EXPECT_EQ(zstd.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(zstd.digest, sha256_of_output("cat " + quote(tarball)));
  EXPECT_EQ(zstd.diff_id, sha256_of_output("zstd -dc " + quote(tarball)));
  EXPECT_EQ(zstd.diff_id, plain.diff_id);
  EXPECT_EQ(shell("zstd -t -q " + quote(tarball)).exit_code, 0) << "checksum or frame broken";
}

TEST(Pack, DefaultTarballIsTheDirectoryNameInTarballDir) {
  TempDir tmp;
  make_tree(tmp / "my-layer");
  fs::create_directories(tmp / "out");
  PackedLayer layer = packed(tmp / "my-layer/", {{}, tmp / "out"});
  EXPECT_EQ(layer.tarball, tmp / "out" / "my-layer.tar.gz");
  EXPECT_EQ(layer.file_name, "my-layer.tar.gz");
  EXPECT_TRUE(fs::exists(tmp / "out" / "my-layer.tar.gz"));
  EXPECT_EQ(tarball_for(tmp / "my-layer/.", {}), fs::path("my-layer.tar.gz"));
}

TEST(Pack, DirectoryPackingIsReproducible) {
  TempDir tmp;
  make_tree(tmp / "a");
  PackedLayer first = packed(tmp / "a", {tmp / "1.tar.gz", {}});
  PackedLayer again = packed(tmp / "a", {tmp / "2.tar.gz", {}});
  EXPECT_EQ(read_file(tmp / "1.tar.gz"), read_file(tmp / "2.tar.gz"));
  EXPECT_EQ(first.digest, again.digest);

  // The same content elsewhere, with other times, owners, group/other bits and creation order.
  make_tree(tmp / "b");
  ASSERT_EQ(shell("cd " + quote(tmp / "b") +
                  " && touch -h -d '2001-02-03 04:05:06' $(find . -mindepth 1) &&"
                  " chmod 0600 hello.txt && chmod 0700 usr/bin/tool && chmod 0775 usr var &&"
                  " chown -h 1234:5678 hello.txt usr/bin/readme-link usr 2>/dev/null;"
                  " touch -d '1999-01-01' .")
                .exit_code,
            0);
  PackedLayer other = packed(tmp / "b", {tmp / "3.tar.gz", {}});
  EXPECT_EQ(read_file(tmp / "1.tar.gz"), read_file(tmp / "3.tar.gz"));
  EXPECT_EQ(other.digest, first.digest);
  EXPECT_EQ(other.diff_id, first.diff_id);

  // Other content gives another digest.
  write_file(tmp / "b/hello.txt", "changed\n");
  EXPECT_NE(packed(tmp / "b", {tmp / "4.tar.gz", {}}).digest, first.digest);
}

TEST(Pack, RefusesWhatCannotBePacked) {
  TempDir tmp;
  make_tree(tmp / "tree");
  EXPECT_THAT(pack_error(tmp / "tree", {tmp / "tree/inside.tar.gz", {}}),
              HasSubstr("would be inside the directory"));
  EXPECT_THAT(pack_error(tmp / "tree", {tmp / "layer.zip", {}}),
              HasSubstr("does not end in .tar, .tar.gz or .tar.zst"));
  EXPECT_THAT(pack_error(tmp / "tree", {tmp / "no-such-dir/layer.tar.gz", {}}),
              HasSubstr("No such file or directory"));
  fs::create_directories(tmp / "my dir");
  EXPECT_THAT(pack_error(tmp / "my dir", {{}, tmp.path()}),
              HasSubstr("\"my dir.tar.gz\" is not a valid OCI tag"));
  EXPECT_THAT(pack_error(tmp / "tree", {tmp / ".hidden.tar.gz", {}}),
              HasSubstr("is not a valid OCI tag"));
  ASSERT_EQ(::mkfifo((tmp / "tree/fifo").c_str(), 0644), 0);
  EXPECT_THAT(pack_error(tmp / "tree", {tmp / "layer.tar.gz", {}}),
              HasSubstr("only regular files, directories and symbolic links"));
  EXPECT_FALSE(fs::exists(tmp / "layer.tar.gz")) << "a failed pack leaves no tarball";
  for (const auto& entry : fs::directory_iterator(tmp.path()))
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr(".tmp-")));
}

// ---------------------------------------------------------------- reading tarballs

TEST(Pack, TarballsAreReadAsTheyAre) {
  TempDir tmp;
  make_tree(tmp / "tree");
  ASSERT_EQ(shell("cd " + quote(tmp.path()) +
                  " && tar -cf t.tar -C tree . && gzip -9 -c t.tar > t.tar.gz")
                .exit_code,
            0);
  PackedLayer tar = packed(tmp / "t.tar");
  EXPECT_FALSE(tar.written);
  EXPECT_EQ(tar.tarball, tmp / "t.tar");
  EXPECT_EQ(tar.media_type, "application/vnd.oci.image.layer.v1.tar");
  EXPECT_EQ(tar.digest, sha256_of_output("cat " + quote(tmp / "t.tar")));
  EXPECT_EQ(tar.diff_id, tar.digest);
  EXPECT_EQ(tar.size, fs::file_size(tmp / "t.tar"));

  PackedLayer gzip = packed(tmp / "t.tar.gz");
  EXPECT_EQ(gzip.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(gzip.digest, sha256_of_output("cat " + quote(tmp / "t.tar.gz")));
  EXPECT_EQ(gzip.diff_id, sha256_of_output("gzip -dc " + quote(tmp / "t.tar.gz")));
  EXPECT_EQ(gzip.diff_id, tar.digest);

  // Several gzip members, as `gzip -dc` reads them.
  ASSERT_EQ(shell("cd " + quote(tmp.path()) +
                  " && head -c 4096 t.tar | gzip -c > multi.tar.gz &&"
                  " tail -c +4097 t.tar | gzip -c >> multi.tar.gz")
                .exit_code,
            0);
  PackedLayer multi = packed(tmp / "multi.tar.gz");
  EXPECT_EQ(multi.diff_id, tar.digest);
  EXPECT_EQ(multi.diff_id, sha256_of_output("gzip -dc " + quote(tmp / "multi.tar.gz")));

  if (!have_tool("zstd")) GTEST_SKIP() << "no zstd command (tests/install-deps.sh test)";
  ASSERT_EQ(shell("cd " + quote(tmp.path()) + " && zstd -q -19 t.tar -o t.tar.zst").exit_code, 0);
  PackedLayer zstd = packed(tmp / "t.tar.zst");
  EXPECT_EQ(zstd.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(zstd.digest, sha256_of_output("cat " + quote(tmp / "t.tar.zst")));
  EXPECT_EQ(zstd.diff_id, sha256_of_output("zstd -dc " + quote(tmp / "t.tar.zst")));
  EXPECT_EQ(zstd.diff_id, tar.digest);
}

TEST(Pack, RefusesUnreadableAndCorruptTarballs) {
  TempDir tmp;
  make_tree(tmp / "tree");
  // Our own tarball, whose bytes are the same on every run.
  packed(tmp / "tree", {tmp / "t.tar", {}});
  packed(tmp / "tree", {tmp / "t.tar.gz", {}});
  std::string gzip = read_file(tmp / "t.tar.gz");

  EXPECT_THAT(pack_error(tmp / "missing.tar.gz"),
              HasSubstr("cannot read \"" + (tmp / "missing.tar.gz").string() +
                        "\": No such file or directory"));
  EXPECT_THAT(pack_error(tmp / "t.tar/x.tar"), HasSubstr("Not a directory"));
  if (::geteuid() != 0) {
    write_file(tmp / "locked.tar", read_file(tmp / "t.tar"));
    fs::permissions(tmp / "locked.tar", fs::perms::none);
    EXPECT_THAT(pack_error(tmp / "locked.tar"), HasSubstr("Permission denied"));
  }

  std::string corrupt = gzip;
  for (std::size_t i = 40; i < 60; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  write_file(tmp / "corrupt.tar.gz", corrupt);
  EXPECT_THAT(pack_error(tmp / "corrupt.tar.gz"), HasSubstr("is not valid gzip data"));
  EXPECT_NE(shell("gzip -t " + quote(tmp / "corrupt.tar.gz") + " 2>/dev/null").exit_code, 0);

  write_file(tmp / "truncated.tar.gz", gzip.substr(0, gzip.size() / 2));
  EXPECT_THAT(pack_error(tmp / "truncated.tar.gz"),
              HasSubstr("is not valid gzip data: unexpected end of file"));
  write_file(tmp / "plain.tar.gz", read_file(tmp / "t.tar"));
  EXPECT_THAT(pack_error(tmp / "plain.tar.gz"), HasSubstr("is not valid gzip data"));
  write_file(tmp / "empty.tar.gz", "");
  EXPECT_THAT(pack_error(tmp / "empty.tar.gz"), HasSubstr("the file is empty"));
  write_file(tmp / "compressed.tar", gzip);
  EXPECT_THAT(pack_error(tmp / "compressed.tar"), HasSubstr("is compressed"));
  ASSERT_EQ(shell("echo not a tar | gzip -c > " + quote(tmp / "text.tar.gz")).exit_code, 0);
  EXPECT_THAT(pack_error(tmp / "text.tar.gz"), HasSubstr("is not a valid tar archive"));
  write_file(tmp / "notes.txt", "hello");
  EXPECT_THAT(pack_error(tmp / "notes.txt"),
              HasSubstr("is neither a directory nor a .tar, .tar.gz or .tar.zst file"));
  write_file(tmp / "bad name.tar.gz", gzip);
  EXPECT_THAT(pack_error(tmp / "bad name.tar.gz"),
              HasSubstr("\"bad name.tar.gz\" is not a valid OCI tag"));
  write_file(tmp / (std::string(130, 'a') + ".tar"), read_file(tmp / "t.tar"));
  EXPECT_THAT(pack_error(tmp / (std::string(130, 'a') + ".tar")),
              HasSubstr("is not a valid OCI tag"));
  EXPECT_THAT(pack_error(tmp / "t.tar.gz", {tmp / "other.tar.gz", {}}),
              HasSubstr("--tarball is for a directory"));

  if (!have_tool("zstd")) GTEST_SKIP() << "no zstd command (tests/install-deps.sh test)";
  packed(tmp / "tree", {tmp / "t.tar.zst", {}});
  std::string zstd = read_file(tmp / "t.tar.zst");
  write_file(tmp / "truncated.tar.zst", zstd.substr(0, zstd.size() / 2));
  EXPECT_THAT(pack_error(tmp / "truncated.tar.zst"),
              HasSubstr("is not valid zstd data: unexpected end of file"));
  write_file(tmp / "garbage.tar.zst", "definitely not zstd");
  EXPECT_THAT(pack_error(tmp / "garbage.tar.zst"), HasSubstr("is not valid zstd data"));
}

TEST(Pack, RefusesTarsWithUnsafePaths) {
  TempDir tmp;
  write_file(tmp / "in/sub/file", "x\n");
  ASSERT_EQ(shell("cd " + quote(tmp / "in/sub") +
                  " && tar -cPf ../../dotdot.tar ../sub/file"
                  " && tar -cPf ../../absolute.tar " +
                  quote(tmp / "in/sub/file") + " 2>/dev/null")
                .exit_code,
            0);
  EXPECT_THAT(pack_error(tmp / "dotdot.tar"),
              HasSubstr("entry \"../sub/file\" has a \"..\" component"));
  EXPECT_THAT(pack_error(tmp / "absolute.tar"),
              HasSubstr("entry \"" + (tmp / "in/sub/file").string() + "\" has an absolute path"));
  // A hard link whose target leaves the tree.
  write_file(tmp / "hl/a", "x\n");
  fs::create_hard_link(tmp / "hl/a", tmp / "hl/b");
  ASSERT_EQ(shell("tar -cPf " + quote(tmp / "hardlink.tar") + " -C " + quote(tmp / "hl") +
                  " --transform='s,^a$,../a,RSh' a b")
                .exit_code,
            0);
  EXPECT_THAT(pack_error(tmp / "hardlink.tar"),
              HasSubstr("entry \"b\" is a hard link to \"../a\", which has a \"..\" component"));
  // The same, compressed: the check is on the tar inside.
  ASSERT_EQ(
      shell("gzip -c " + quote(tmp / "absolute.tar") + " > " + quote(tmp / "abs.tar.gz")).exit_code,
      0);
  EXPECT_THAT(pack_error(tmp / "abs.tar.gz"), HasSubstr("has an absolute path"));
}

TEST(Pack, RefusesTarsThatWriteThroughTheirOwnSymlinksOrLinkToNothing) {
  TempDir tmp;
  // l -> ../../etc, then l/cron.d/x: extracted by a careless tool, x lands in /etc/cron.d.
  fs::create_directories(tmp / "src");
  fs::create_symlink("../../etc", tmp / "src/l");
  write_file(tmp / "src/m/cron.d/x", "* * * * * root sh\n");
  ASSERT_EQ(shell("tar -cf " + quote(tmp / "through.tar") + " -C " + quote(tmp / "src") +
                  " l m/cron.d/x --transform='s,^m/,l/,rSH'")
                .exit_code,
            0);
  ASSERT_EQ(shell("tar -tf " + quote(tmp / "through.tar")).output, "l\nl/cron.d/x\n");
  EXPECT_THAT(pack_error(tmp / "through.tar"),
              HasSubstr("entry \"l/cron.d/x\" is written through the symlink \"l\", which an "
                        "earlier entry made; a layer's paths must stay inside its root"));
  // The same names as ./l and ./l/cron.d/x.
  ASSERT_EQ(shell("tar -cf " + quote(tmp / "dot.tar") + " -C " + quote(tmp / "src") +
                  " ./l ./m/cron.d/x --transform='s,^\\./m/,./l/,rSH'")
                .exit_code,
            0);
  EXPECT_THAT(pack_error(tmp / "dot.tar"), HasSubstr("is written through the symlink \"l\""));

  // A hard link to a name that no entry made.
  write_file(tmp / "hl/a", "x\n");
  fs::create_hard_link(tmp / "hl/a", tmp / "hl/b");
  ASSERT_EQ(shell("tar -cf " + quote(tmp / "dangling.tar") + " -C " + quote(tmp / "hl") +
                  " a b --transform='s,^a$,gone,RSh'")
                .exit_code,
            0);
  EXPECT_THAT(pack_error(tmp / "dangling.tar"),
              HasSubstr("entry \"b\" is a hard link to \"gone\", which no earlier entry made"));

  // A symlink that leads out is a layer's business; nothing written through it is fine, and so
  // is a hard link to an earlier entry.
  ASSERT_EQ(shell("tar -cf " + quote(tmp / "fine.tar") + " -C " + quote(tmp / "src") + " l m -C " +
                  quote(tmp / "hl") + " a b")
                .exit_code,
            0);
  EXPECT_EQ(packed(tmp / "fine.tar").entries, 6u);

  // The command says it in one line, and exits 1.
  auto run = shell(std::string(OCIPFS_CLI_PATH) + " pack " + quote(tmp / "through.tar") + " 2>&1");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, StartsWith("ocipfs: "));
  EXPECT_THAT(run.output, HasSubstr("entry \"l/cron.d/x\" is written through the symlink"));
  EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
}

// ---------------------------------------------------------------- the layer manifest

// A tree with executables of `platforms` ("amd64", "arm"), a script and a non-executable ELF.
void write_executables(const fs::path& root, const std::vector<std::string>& platforms) {
  for (const auto& platform : platforms) {
    std::string bytes = platform == "arm"
                            ? testing::arm_executable(testing::arm_attributes("7-A", 10), 100000)
                            : testing::elf_header({62, true, true}) + std::string(5000, 'x');
    write_file(root / "bin" / platform, bytes);
    fs::permissions(root / "bin" / platform, fs::perms(0755));
  }
  write_file(root / "bin/script", "#!/bin/sh\necho hi\n");
  fs::permissions(root / "bin/script", fs::perms(0755));
  // Not executable: not counted, whatever it holds.
  write_file(root / "lib/foreign.so", testing::elf_header({183, true, true, 3}));
}

PackOptions into(const fs::path& tarball) {
  PackOptions options;
  options.tarball = tarball;
  return options;
}

std::string platforms_text(const LayerPlatforms& platforms) {
  std::string out;
  for (const auto& found : platforms.found)
    out += platform_text(found.platform) + "=" + found.file + " ";
  if (!platforms.untold_file.empty()) out += "untold=" + platforms.untold_file;
  return out;
}

TEST(Pack, ReadsThePlatformOfTheExecutablesItPacks) {
  TempDir tmp;
  write_executables(tmp / "one", {"amd64"});
  auto one = pack_path(tmp / "one", into(tmp / "one.tar.gz"));
  ASSERT_TRUE(one) << one.error();
  EXPECT_EQ(platforms_text(one->platforms), "linux/amd64=bin/amd64 ");

  write_executables(tmp / "two", {"amd64", "arm"});
  auto two = pack_path(tmp / "two", into(tmp / "two.tar.zst"));
  ASSERT_TRUE(two) << two.error();
  EXPECT_EQ(platforms_text(two->platforms), "linux/amd64=bin/amd64 linux/arm/v7=bin/arm ");

  // The same from the tarballs as they are, and from one that GNU tar wrote ("./bin/arm").
  auto again = pack_path(tmp / "two.tar.zst");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->platforms, two->platforms);
  ASSERT_EQ(
      shell("tar --sort=name -C " + quote(tmp / "two") + " -cf " + quote(tmp / "gnu.tar") + " .")
          .exit_code,
      0);
  auto gnu = pack_path(tmp / "gnu.tar");
  ASSERT_TRUE(gnu) << gnu.error();
  EXPECT_EQ(platforms_text(gnu->platforms), "linux/amd64=bin/amd64 linux/arm/v7=bin/arm ");

  write_executables(tmp / "none", {});
  auto none = pack_path(tmp / "none", into(tmp / "none.tar"));
  ASSERT_TRUE(none) << none.error();
  EXPECT_EQ(platforms_text(none->platforms), "");
}

TEST(Pack, AnExecutableOfUntoldPlatformIsReported) {
  TempDir tmp;
  write_file(tmp / "d/bin/odd", testing::elf_header({50, true, true}));  // IA-64
  fs::permissions(tmp / "d/bin/odd", fs::perms(0755));
  auto packed = pack_path(tmp / "d", into(tmp / "d.tar"));
  ASSERT_TRUE(packed) << packed.error();
  EXPECT_EQ(packed->platforms.untold_file, "bin/odd");
  EXPECT_THAT(packed->platforms.untold_problem, HasSubstr("ELF machine 50"));
}

TEST(Pack, LayerManifestJsonIsValidAndReadable) {
  PackedLayer layer;
  layer.file_name = "hello.tar.gz";
  layer.media_type = std::string(oci_layer_tar_gzip);
  layer.digest = testing::layer_digest;
  layer.size = 1234;
  layer.diff_id = testing::layer_diff_id;
  std::string json = layer_manifest_json(layer, testing::layer_dir_cid + "/hello.tar.gz");
  EXPECT_EQ(json, R"({
  "mediaType": "application/vnd.ocipfs.layer.manifest.v1+json",
  "layer": {
    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
    "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
    "size": 1234,
    "annotations": {
      "io.ocipfs.layer.ipfs.cid": "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn/hello.tar.gz",
      "io.ocipfs.layer.fs.digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222"
    }
  }
}
)");
  auto parsed = parse_layer_manifest(json);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->digest, layer.digest);
  EXPECT_EQ(parsed->diff_id, layer.diff_id);
  EXPECT_EQ(parsed->path.file_name(), "hello.tar.gz");
  EXPECT_EQ(nlohmann::json::parse(json), nlohmann::json::parse(testing::layer_manifest_json()));
}

// example/hello.tar.gz is `ocipfs pack example/hello`, and example/layer.json describes it.
TEST(Pack, TheExampleIsPackedFromExampleHello) {
  TempDir tmp;
  fs::path example = fs::path(OCIPFS_SOURCE_DIR) / "example";
  PackedLayer layer = packed(example / "hello", {tmp / "hello.tar.gz", {}});
  EXPECT_EQ(read_file(tmp / "hello.tar.gz"), read_file(example / "hello.tar.gz"))
      << "regenerate example/hello.tar.gz with `ocipfs pack example/hello`";
  std::string manifest = read_file(example / "layer.json");
  auto parsed = parse_layer_manifest(manifest);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(layer_manifest_json(layer, parsed->ipfs_path), manifest);
  EXPECT_EQ(parsed->path.file_name(), "hello.tar.gz");
}

// ---------------------------------------------------------------- the RPC API client

TEST(IpfsApi, AddTarget) {
  EXPECT_EQ(add_target("", true),
            "/api/v0/add?cid-version=1&cid-base=base32&raw-leaves=true&wrap-with-directory=true");
  EXPECT_EQ(add_target("/", false),
            "/api/v0/add?cid-version=1&cid-base=base32&raw-leaves=true&wrap-with-directory=false");
  EXPECT_THAT(add_target("/prefix", false), StartsWith("/prefix/api/v0/add?"));
  EXPECT_THAT(add_target("/api/v0/", false), StartsWith("/api/v0/add?"));
}

TEST(IpfsApi, ParsesAddAnswers) {
  auto kubo = parse_add_answer(
      "{\"Name\":\"hello.tar.gz\",\"Hash\":\"bafkfile\",\"Size\":\"293\"}\n"
      "{\"Name\":\"\",\"Hash\":\"bafydir\",\"Size\":\"351\"}\n");
  ASSERT_TRUE(kubo.has_value()) << kubo.error();
  ASSERT_EQ(kubo->size(), 2u);
  EXPECT_EQ((*kubo)[0].name, "hello.tar.gz");
  EXPECT_EQ((*kubo)[1].hash, "bafydir");
  EXPECT_EQ((*kubo)[1].size, "351");
  auto numeric = parse_add_answer("{\"Name\":\"f\",\"Hash\":\"bafk\",\"Size\":12}\r\n");
  ASSERT_TRUE(numeric.has_value()) << numeric.error();
  EXPECT_EQ(numeric->front().size, "12");
  auto progress =
      parse_add_answer("{\"Name\":\"f\",\"Bytes\":12}\n{\"Name\":\"f\",\"Hash\":\"b\"}");
  ASSERT_TRUE(progress.has_value()) << progress.error();
  EXPECT_EQ(progress->size(), 1u);

  auto refused = parse_add_answer(R"({"Message":"no space left","Code":0,"Type":"error"})");
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error(), HasSubstr("the node refused: no space left"));
  EXPECT_FALSE(parse_add_answer("").has_value());
  EXPECT_FALSE(parse_add_answer("<html>").has_value());
  EXPECT_FALSE(parse_add_answer("{\"Name\":\"f\"}").has_value());
  EXPECT_FALSE(parse_add_answer("{\"Hash\":\"b\"}").has_value());
}

const std::string wrap_target = add_target("", true);
const std::string single_target = add_target("", false);

HttpUrl url_of(const testing::FakeGateway& node) { return *parse_http_url(node.url()); }

std::string ndjson(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out;
  for (const auto& [name, hash] : entries)
    out += nlohmann::json{{"Name", name}, {"Hash", hash}, {"Size", "1"}}.dump() + "\n";
  return out;
}

TEST(IpfsApi, AddsThroughTheRpcApi) {
  testing::FakeGateway node;
  testing::FakeReply reply;
  reply.body = ndjson({{"x.tar", "bafkfile"}, {"", "bafydir"}});
  node.set(wrap_target, reply);
  auto added = ipfs_add_bytes(url_of(node), "content", "x.tar", true);
  ASSERT_TRUE(added.has_value()) << added.error();
  EXPECT_EQ(added->back().hash, "bafydir");
  EXPECT_EQ(node.request_count(wrap_target), 1u);
  EXPECT_THAT(node.requests().front(), StartsWith("POST /api/v0/add?"));
}

TEST(IpfsApi, AddFailuresAreOneClearLine) {
  testing::FakeGateway node;
  testing::FakeReply refused;
  refused.status = 500;
  refused.body = R"({"Message":"blockstore is full","Code":0,"Type":"error"})";
  node.set(single_target, refused);
  auto error = ipfs_add_bytes(url_of(node), "content", "f", false);
  ASSERT_FALSE(error.has_value());
  EXPECT_THAT(error.error(), HasSubstr("the IPFS API at " + node.url() + " answered 500"));
  EXPECT_THAT(error.error(), HasSubstr("blockstore is full"));

  testing::FakeReply silent;
  silent.kind = testing::FakeReply::Kind::never_answer;
  node.set(wrap_target, silent);
  IpfsApiOptions quick;
  quick.timeout = std::chrono::milliseconds(300);
  auto timeout = ipfs_add_bytes(url_of(node), "content", "f", true, quick);
  ASSERT_FALSE(timeout.has_value());
  EXPECT_THAT(timeout.error(), HasSubstr("made no progress answering within 300ms"));

  auto port = testing::free_port();
  auto unreachable = ipfs_add_bytes(*parse_http_url("http://127.0.0.1:" + std::to_string(port)),
                                    "content", "f", false, quick);
  ASSERT_FALSE(unreachable.has_value());
  EXPECT_EQ(unreachable.error(), "cannot connect to the IPFS API at http://127.0.0.1:" +
                                     std::to_string(port) + ": Connection refused");

  TempDir tmp;
  auto missing = ipfs_add_file(url_of(node), tmp / "missing", "f", false);
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error(), HasSubstr("No such file or directory"));
}

// A node that refuses at once reads no more of the body and closes the connection under the
// upload (the fake node reads at most 64 KiB): its answer is the error, not the broken pipe.
TEST(IpfsApi, ARefusalBeforeTheUploadEndsIsTheError) {
  testing::FakeGateway node;
  testing::FakeReply refused;
  refused.status = 507;
  refused.body = R"({"Message":"blockstore is full","Code":0,"Type":"error"})";
  node.set(single_target, refused);
  auto error = ipfs_add_bytes(url_of(node), std::string(32 * 1024 * 1024, 'x'), "f", false);
  ASSERT_FALSE(error.has_value());
  EXPECT_THAT(error.error(), HasSubstr("the IPFS API at " + node.url() + " answered 507"));
  EXPECT_THAT(error.error(), HasSubstr("blockstore is full"));
}

// A fake node that answers the two adds of publishing `layer` correctly.
void answer_publish(testing::FakeGateway& node, const PackedLayer& layer,
                    std::string manifest_cid = {}) {
  std::string file_cid = testing::raw_cid_of(read_file(layer.tarball));
  testing::FakeReply wrapped;
  wrapped.body = ndjson({{layer.file_name, file_cid}, {"", testing::layer_dir_cid}});
  node.set(wrap_target, wrapped);
  std::string manifest = layer_manifest_json(layer, testing::layer_dir_cid + "/" + layer.file_name);
  testing::FakeReply single;
  single.body =
      ndjson({{"layer.json", manifest_cid.empty() ? testing::raw_cid_of(manifest) : manifest_cid}});
  node.set(single_target, single);
}

TEST(IpfsApi, PublishesAndProvesTheManifestCid) {
  TempDir tmp;
  make_tree(tmp / "tree");
  PackedLayer layer = packed(tmp / "tree", {tmp / "tree.tar.gz", {}});
  testing::FakeGateway node;
  answer_publish(node, layer);
  auto published = publish_layer(url_of(node), layer);
  ASSERT_TRUE(published.has_value()) << published.error();
  EXPECT_EQ(published->directory_cid, testing::layer_dir_cid);
  EXPECT_EQ(published->ipfs_path, testing::layer_dir_cid + "/tree.tar.gz");
  EXPECT_EQ(published->manifest, layer_manifest_json(layer, published->ipfs_path));
  EXPECT_EQ(published->manifest_cid.to_string(), testing::raw_cid_of(published->manifest));

  // A node that answers a CID that does not name the manifest is caught.
  answer_publish(node, layer, testing::raw_cid_of("something else"));
  auto lying = publish_layer(url_of(node), layer);
  ASSERT_FALSE(lying.has_value());
  EXPECT_THAT(lying.error(), HasSubstr("which ocipfsd cannot prove to name it"));
}

// ---------------------------------------------------------------- the ocipfs command

const std::string clean_env = "env -u IPFS_API -u IPFS_GATEWAY";

// Runs the ocipfs command; `output` holds its stdout and stderr.
Outcome ocipfs(const std::string& args, const std::string& env = clean_env) {
  return shell(env + " timeout 60 " + OCIPFS_CLI_PATH + " " + args + " 2>&1");
}

// Runs the ocipfs command; `output` holds its stderr only.
Outcome ocipfs_errors(const std::string& args) {
  return shell(clean_env + " timeout 60 " + OCIPFS_CLI_PATH + " " + args + " 2>&1 >/dev/null");
}

int line_count(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(OcipfsCli, HelpAndVersion) {
  auto help = ocipfs("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("ocipfs pack PATH"));
  EXPECT_THAT(help.output, HasSubstr("ocipfs publish PATH --ipfs-api=URL"));
  EXPECT_THAT(help.output, HasSubstr("ocipfs inspect REF|CID"));
  EXPECT_EQ(ocipfs("pack --help").exit_code, 0);
  auto version = ocipfs("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output, "ocipfs " OCIPFS_VERSION "\n");
}

TEST(OcipfsCli, UsageErrorsExitTwoWithOneLine) {
  TempDir tmp;
  make_tree(tmp / "tree");
  std::string tree = quote(tmp / "tree");
  for (std::string args :
       {std::string(""),
        std::string("frobnicate"),
        std::string("pack"),
        "pack " + tree + " " + tree,
        "pack " + tree + " --bogus=1",
        "pack " + tree + " --ipfs-api=http://127.0.0.1:1",
        "pack " + tree + " --upload=car",
        "pack " + tree + " -o",
        "pack " + tree + " --car",
        "pack " + tree + " -o a -o b",
        "pack " + tree + " --ipfs-dir-cid=nonsense -o x.json",
        "pack " + tree + " --tarball=" + quote(tmp / "t.tar") + " --car=" + quote(tmp / "t.tar"),
        "publish " + tree,
        "publish " + tree + " --ipfs-api=ftp://host",
        "publish " + tree + " --ipfs-api=http://127.0.0.1:1 --upload=ftp",
        "publish " + tree + " --ipfs-api=http://127.0.0.1:1 --timeout=soon",
        "publish " + tree + " --ipfs-api=http://127.0.0.1:1 --registry='a b'",
        std::string("inspect not-a-cid"),
        std::string("inspect"),
        "inspect " + testing::manifest_cid + " --gateway=ftp://x",
        "inspect " + testing::manifest_cid + " --verify=maybe"}) {
    auto run = ocipfs(args);
    EXPECT_EQ(run.exit_code, 2) << args << ": " << run.output;
    EXPECT_THAT(run.output, StartsWith("ocipfs: ")) << args;
    EXPECT_EQ(line_count(run.output), 1) << args << ": " << run.output;
  }
}

TEST(OcipfsCli, PackFailuresExitOneWithOneLine) {
  TempDir tmp;
  write_file(tmp / "in/sub/file", "x\n");
  ASSERT_EQ(
      shell("cd " + quote(tmp / "in/sub") +
            " && tar -cPf ../../dotdot.tar ../sub/file && tar -cPf ../../absolute.tar " +
            quote(tmp / "in/sub/file") + " && tar -cf ../../ok.tar file 2>/dev/null" +
            " && cd ../.. && gzip -c ok.tar > ok.tar.gz && head -c 40 ok.tar.gz > cut.tar.gz" +
            " && cp ok.tar.gz 'bad name.tar.gz' && mkdir 'my dir'")
          .exit_code,
      0);
  struct Case {
    std::string path;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"missing.tar", "No such file or directory"},
           {"cut.tar.gz", "is not valid gzip data: unexpected end of file"},
           {"absolute.tar", "has an absolute path"},
           {"dotdot.tar", "has a \"..\" component"},
           {"bad name.tar.gz", "is not a valid OCI tag"},
           {"my dir", "is not a valid OCI tag"},
       }) {
    auto run = ocipfs("pack " + quote(tmp / c.path));
    EXPECT_EQ(run.exit_code, 1) << c.path << ": " << run.output;
    EXPECT_THAT(run.output, StartsWith("ocipfs: ")) << c.path;
    EXPECT_THAT(run.output, HasSubstr(c.message)) << c.path;
    EXPECT_EQ(line_count(run.output), 1) << c.path << ": " << run.output;
  }
}

// The CAR that `ocipfs pack` wrote: its roots are the manifest and the directory, and every
// block is reachable from them.
void expect_complete_car(const fs::path& path, const LayerDag& dag) {
  std::string bytes = read_file(path);
  auto car = parse_car(bytes);
  ASSERT_TRUE(car.has_value()) << car.error();
  EXPECT_EQ(car->roots, (std::vector<Cid>{dag.manifest_cid, dag.directory_cid}));
  ASSERT_NE(find_block(*car, dag.manifest_cid), nullptr);
  EXPECT_EQ(find_block(*car, dag.manifest_cid)->bytes, dag.manifest);
  EXPECT_NE(find_block(*car, dag.tarball_cid), nullptr);
  EXPECT_NE(find_block(*car, dag.directory_cid), nullptr);
}

std::vector<std::string> names_in(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(OcipfsCli, PackWritesTheLayerManifestAndTheCarWithNoNode) {
  TempDir tmp;
  make_tree(tmp / "tree");
  auto run = shell("cd " + quote(tmp.path()) + " && " + OCIPFS_CLI_PATH +
                   " pack tree --registry=registry.test:5000 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  fs::create_directories(tmp / "ref");
  auto dag = pack_layer_dag(tmp / "tree", {{tmp / "ref/tree.tar.gz", {}, {}}, {}, {}});
  ASSERT_TRUE(dag.has_value()) << dag.error();
  const PackedLayer& layer = dag->layer;
  EXPECT_THAT(run.output, HasSubstr("digest          " + layer.digest + "\n"));
  EXPECT_THAT(run.output, HasSubstr("diff_id         " + layer.diff_id + "\n"));
  EXPECT_THAT(run.output, HasSubstr("media type      " + layer.media_type + "\n"));
  EXPECT_THAT(run.output, HasSubstr("size            " + std::to_string(layer.size) + "\n"));
  EXPECT_THAT(run.output, HasSubstr("ipfs path       " + dag->ipfs_path + "\n"));
  std::string reference =
      "registry.test:5000/layer/" + dag->manifest_cid.to_string() + ":tree.tar.gz";
  EXPECT_THAT(run.output, HasSubstr("reference       " + reference + "\n"));
  EXPECT_THAT(run.output, HasSubstr("\nCOPY --from=" + reference + " / /\n"));
  EXPECT_EQ(read_file(tmp / "tree.tar.gz"), read_file(tmp / "ref/tree.tar.gz"));
  EXPECT_EQ(read_file(tmp / "tree.layer.json"), dag->manifest);
  ASSERT_TRUE(parse_layer_manifest(dag->manifest).has_value());
  expect_complete_car(tmp / "tree.car", *dag);
  EXPECT_EQ(read_file(tmp / "tree.car"), read_file(tmp / "ref/tree.car"));

  // -o names the layer manifest, the tarball goes next to it, --car names the CAR.
  fs::create_directories(tmp / "out");
  run = ocipfs("pack " + quote(tmp / "tree") + " -o " + quote(tmp / "out/layer.json") + " --car " +
               quote(tmp / "out/x.car"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(names_in(tmp / "out"),
            (std::vector<std::string>{"layer.json", "tree.tar.gz", "x.car"}));
  EXPECT_EQ(read_file(tmp / "out/layer.json"), dag->manifest);

  // -o - writes it to stdout, and the rest to stderr.
  run = shell(std::string(OCIPFS_CLI_PATH) + " pack " + quote(tmp / "tree.tar.gz") +
              " -o - 2>/dev/null");
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output, dag->manifest);
}

TEST(OcipfsCli, PackWithTheDirectoryCidOfAnotherImport) {
  TempDir tmp;
  make_tree(tmp / "tree");
  auto run =
      ocipfs_errors("pack " + quote(tmp / "tree") + " --tarball=" + quote(tmp / "tree.tar.gz") +
                    " --ipfs-dir-cid=" + testing::layer_dir_cid);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("the CAR holds only the layer manifest"));
  EXPECT_EQ(line_count(run.output), 1) << run.output;
  PackedLayer layer = packed(tmp / "tree.tar.gz");
  std::string manifest = layer_manifest_json(layer, testing::layer_dir_cid + "/tree.tar.gz");
  EXPECT_EQ(read_file(tmp / "tree.layer.json"), manifest);
  std::string bytes = read_file(tmp / "tree.car");
  auto car = parse_car(bytes);
  ASSERT_TRUE(car.has_value()) << car.error();
  ASSERT_EQ(car->blocks.size(), 1u);
  EXPECT_EQ(car->blocks[0].bytes, manifest);
  EXPECT_EQ(car->roots, std::vector<Cid>{car->blocks[0].cid});
}

TEST(OcipfsCli, PackOutputsInTheWayOrAFullDiskLeaveNothingHalfWritten) {
  TempDir tmp;
  make_tree(tmp / "tree");
  fs::create_directories(tmp / "tree.car");
  auto run = ocipfs("pack " + quote(tmp / "tree") + " --tarball=" + quote(tmp / "tree.tar.gz"));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("tree.car\": it is a directory"));
  EXPECT_EQ(line_count(run.output), 1) << run.output;
  EXPECT_FALSE(fs::exists(tmp / "tree.tar.gz")) << "refused before packing";
  fs::remove(tmp / "tree.car");
  fs::create_directories(tmp / "manifest");
  run = ocipfs("pack " + quote(tmp / "tree") + " --tarball=" + quote(tmp / "tree.tar.gz") + " -o " +
               quote(tmp / "manifest"));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("manifest\": it is a directory"));
  EXPECT_EQ(line_count(run.output), 1) << run.output;
  EXPECT_EQ(names_in(tmp.path()), (std::vector<std::string>{"manifest", "tree"}));

  // A file size limit of 256 KiB: the CAR of a 1 MiB tarball cannot be written.
  fs::create_directories(tmp / "full");
  ASSERT_EQ(
      shell("head -c 1048576 /dev/urandom > " + quote(tmp / "tree/random.bin") + " && tar -cf " +
            quote(tmp / "full/big.tar") + " -C " + quote(tmp / "tree") + " random.bin")
          .exit_code,
      0);
  run = shell("bash -c \"trap '' XFSZ; ulimit -f 256; exec " + std::string(OCIPFS_CLI_PATH) +
              " pack " + quote(tmp / "full/big.tar") + "\" 2>&1");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("cannot write"));
  EXPECT_THAT(run.output, HasSubstr("big.car\": File too large"));
  EXPECT_EQ(line_count(run.output), 1) << run.output;
  EXPECT_EQ(names_in(tmp / "full"), std::vector<std::string>{"big.tar"});
}

TEST(OcipfsCli, AStdoutThatCannotBeWrittenIsAFailure) {
  TempDir tmp;
  make_tree(tmp / "tree");
  std::string cli = OCIPFS_CLI_PATH;
  std::string tarball = " --tarball=" + quote(tmp / "tree.tar.gz");
  struct Case {
    std::string command;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           // The layer manifest to a full disk: a pipeline must not go on with an empty one.
           {cli + " pack " + quote(tmp / "tree") + tarball + " -o - 2>&1 >/dev/full",
            "ocipfs: cannot write to stdout: No space left on device\n"},
           // The report to a full disk, and to a closed stdout.
           {cli + " pack " + quote(tmp / "tree") + tarball + " 2>&1 >/dev/full",
            "ocipfs: cannot write to stdout: No space left on device\n"},
           {cli + " pack " + quote(tmp / "tree") + tarball + " -o - 2>&1 >&-",
            "ocipfs: cannot write to stdout: Bad file descriptor\n"},
           {cli + " pack " + quote(tmp / "tree") + tarball + " 2>&1 >&-",
            "ocipfs: cannot write to stdout: Bad file descriptor\n"},
           {cli + " --version 2>&1 >/dev/full",
            "ocipfs: cannot write to stdout: No space left on device\n"},
           {cli + " --help 2>&1 >&-", "ocipfs: cannot write to stdout: Bad file descriptor\n"},
       }) {
    auto run = shell(c.command);
    EXPECT_EQ(run.exit_code, 1) << c.command << ": " << run.output;
    EXPECT_EQ(run.output, c.message) << c.command;
  }
  // With stdout closed, the files opened next did not take its descriptor: the outputs are whole.
  EXPECT_EQ(names_in(tmp.path()),
            (std::vector<std::string>{"tree", "tree.car", "tree.layer.json", "tree.tar.gz"}));
  auto car = parse_car(read_file(tmp / "tree.car"));
  EXPECT_TRUE(car.has_value()) << (car ? "" : car.error());
  EXPECT_TRUE(parse_layer_manifest(read_file(tmp / "tree.layer.json")).has_value());
}

// SIGTERM while the tarball or the CAR is written: the hidden temporary files are removed on the
// way out, and the command dies of the signal.
TEST(OcipfsCli, AnInterruptedPackLeavesNoTemporaryFiles) {
  TempDir tmp;
  fs::create_directories(tmp / "tree");
  ASSERT_EQ(shell("head -c 25165824 /dev/urandom > " + quote(tmp / "tree/noise.bin")).exit_code, 0);
  std::string dir = tmp.path().string();
  pid_t pid = testing::spawn({OCIPFS_CLI_PATH, "pack", "tree"}, dir);
  auto interrupted = testing::interrupt_when(
      pid, SIGTERM, [&] { return testing::has_temporaries(dir, ".tree.tar.gz.tmp-"); },
      std::chrono::seconds(60));
  ASSERT_TRUE(interrupted.sent) << "no temporary tarball seen while pack ran";
  EXPECT_TRUE(WIFSIGNALED(interrupted.status)) << interrupted.status;
  EXPECT_EQ(WTERMSIG(interrupted.status), SIGTERM);
  EXPECT_FALSE(testing::has_temporaries(dir));
}

TEST(OcipfsCli, PackReadsOnlyRegularFiles) {
  TempDir tmp;
  ASSERT_EQ(::mkfifo((tmp / "fifo.tar").c_str(), 0600), 0);
  auto run = ocipfs("pack " + quote(tmp / "fifo.tar"));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("fifo.tar\": not a directory or a regular file"));
  write_file(tmp / "tree/file", "x\n");
  ASSERT_EQ(::mkfifo((tmp / "tree/pipe").c_str(), 0600), 0);
  run = ocipfs("pack " + quote(tmp / "tree") + " --tarball=" + quote(tmp / "tree.tar"));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("only regular files, directories and symbolic links"));
}

// What pack computes for `tmp/tree` packed as tree.tar.gz (packing is reproducible, so the
// CLI's tarball is this one, and a fake node can answer).
LayerDag reference_dag(const TempDir& tmp) {
  fs::create_directories(tmp / "ref");
  auto dag = pack_layer_dag(tmp / "tree", {{tmp / "ref/tree.tar.gz", {}, {}}, {}, {}});
  EXPECT_TRUE(dag.has_value()) << (dag ? "" : dag.error());
  return dag ? *dag : LayerDag{};
}

std::string dag_import_answer(const std::vector<Cid>& roots) {
  std::string out;
  for (const auto& root : roots)
    out +=
        nlohmann::json{{"Root", {{"Cid", {{"/", root.to_string()}}}, {"PinErrorMsg", ""}}}}.dump() +
        "\n";
  return out;
}

TEST(OcipfsCli, PublishSendsTheCarAndPrintsTheCopyFromLine) {
  TempDir tmp;
  make_tree(tmp / "tree");
  LayerDag dag = reference_dag(tmp);
  testing::FakeGateway node;
  testing::FakeReply imported;
  imported.body = dag_import_answer(dag.car_roots);
  node.set(dag_import_target(""), imported);

  auto run = ocipfs("publish " + quote(tmp / "tree") + " --tarball=" + quote(tmp / "tree.tar.gz") +
                        " --registry=registry.test:5000 -o " + quote(tmp / "layer.json"),
                    "IPFS_API=" + node.url());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::string cid = dag.manifest_cid.to_string();
  EXPECT_THAT(run.output,
              HasSubstr("reference       registry.test:5000/layer/" + cid + ":tree.tar.gz\n"));
  EXPECT_THAT(run.output,
              HasSubstr("\nCOPY --from=registry.test:5000/layer/" + cid + ":tree.tar.gz / /\n"));
  EXPECT_EQ(read_file(tmp / "layer.json"), dag.manifest);
  EXPECT_EQ(read_file(tmp / "tree.car"), read_file(tmp / "ref/tree.car"));
  EXPECT_EQ(node.request_count(dag_import_target("")), 1u);
  EXPECT_EQ(node.request_count(wrap_target), 0u);

  // A node that does not pin the directory is caught.
  imported.body = dag_import_answer({dag.manifest_cid});
  node.set(dag_import_target(""), imported);
  run = ocipfs_errors("publish " + quote(tmp / "tree") +
                      " --tarball=" + quote(tmp / "tree.tar.gz") + " --ipfs-api=" + node.url());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("did not list the root " + dag.directory_cid.to_string()));
  EXPECT_EQ(line_count(run.output), 1) << run.output;
}

// Runs the ocipfs command; `output` holds its stdout only.
Outcome ocipfs_stdout(const std::string& args, const std::string& env = clean_env) {
  return shell(env + " timeout 60 " + OCIPFS_CLI_PATH + " " + args + " 2>/dev/null");
}

// The one JSON object that is the whole of `text`; throws if there is anything else.
nlohmann::json one_object(const std::string& text) {
  auto object = nlohmann::json::parse(text);
  if (!object.is_object()) throw std::runtime_error("not an object: " + text);
  return object;
}

TEST(OcipfsCli, PackJsonIsOneObjectOnStdoutWithTheFactsOfTheText) {
  TempDir tmp;
  make_tree(tmp / "tree");
  LayerDag dag = reference_dag(tmp);
  auto run = ocipfs_stdout("pack " + quote(tmp / "tree") + " --json --tarball=" +
                           quote(tmp / "tree.tar.gz") + " --registry=registry.test:5000");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  nlohmann::json out = one_object(run.output);
  std::string cid = dag.manifest_cid.to_string();
  std::string reference = "registry.test:5000/layer/" + cid + ":tree.tar.gz";
  EXPECT_EQ(out["reference"], reference);
  EXPECT_EQ(out["copy_from"], "COPY --from=" + reference + " / /");
  EXPECT_EQ(out["manifest_cid"], cid);
  EXPECT_EQ(out["directory_cid"], dag.directory_cid.to_string());
  EXPECT_EQ(out["tarball_cid"], dag.tarball_cid.to_string());
  EXPECT_EQ(out["ipfs_path"], dag.ipfs_path);
  EXPECT_EQ(out["tag"], "tree.tar.gz");
  EXPECT_EQ(out["digest"], dag.layer.digest);
  EXPECT_EQ(out["diff_id"], dag.layer.diff_id);
  EXPECT_EQ(out["size"], dag.layer.size);
  EXPECT_EQ(out["entries"], dag.layer.entries);
  EXPECT_EQ(out["media_type"], std::string(oci_layer_tar_gzip));
  EXPECT_EQ(out["tarball"], (tmp / "tree.tar.gz").string());
  EXPECT_EQ(out["tarball_written"], true);
  EXPECT_EQ(out["manifest_file"], (tmp / "tree.layer.json").string());
  EXPECT_EQ(out["car"], (tmp / "tree.car").string());
  EXPECT_EQ(out["car_size"], fs::file_size(tmp / "tree.car"));
  EXPECT_EQ(out["car_roots"], nlohmann::json::array({cid, dag.directory_cid.to_string()}));
  EXPECT_EQ(read_file(tmp / "tree.layer.json"), dag.manifest);
  // The text report says the same, line for line.
  run = ocipfs("pack " + quote(tmp / "tree") + " --tarball=" + quote(tmp / "tree.tar.gz"));
  EXPECT_THAT(run.output, HasSubstr("layer manifest  " + cid + "\n"));
  EXPECT_THAT(run.output, ::testing::Not(HasSubstr("{")));
}

TEST(OcipfsCli, JsonFailuresWriteNothingOnStdout) {
  TempDir tmp;
  make_tree(tmp / "tree");
  struct Case {
    std::string args;
    int exit_code;
  };
  for (const auto& c : std::vector<Case>{
           {"pack " + quote(tmp / "missing") + " --json", 1},
           {"pack " + quote(tmp / "tree") + " --json -o -", 2},
           {"pack " + quote(tmp / "tree") + " --json --json", 2},
           {"pack " + quote(tmp / "tree") + " --json=yes", 2},
           {"publish " + quote(tmp / "tree") + " --json --tarball=" + quote(tmp / "t.tar.gz") +
                " --ipfs-api=http://127.0.0.1:1",
            1},
           {"inspect not-a-cid --json", 2}}) {
    auto run = ocipfs_stdout(c.args);
    EXPECT_EQ(run.exit_code, c.exit_code) << c.args;
    EXPECT_EQ(run.output, "") << c.args;
    auto errors = ocipfs_errors(c.args);
    EXPECT_EQ(line_count(errors.output), 1) << c.args << ": " << errors.output;
    EXPECT_THAT(errors.output, StartsWith("ocipfs: ")) << c.args;
  }
}

TEST(OcipfsCli, PublishJsonNamesTheNodeAndTheManifestFile) {
  TempDir tmp;
  make_tree(tmp / "tree");
  LayerDag dag = reference_dag(tmp);
  testing::FakeGateway node;
  testing::FakeReply imported;
  imported.body = dag_import_answer(dag.car_roots);
  node.set(dag_import_target(""), imported);
  auto run = ocipfs_stdout("publish " + quote(tmp / "tree") + " --json --tarball=" +
                               quote(tmp / "tree.tar.gz") + " -o " + quote(tmp / "layer.json"),
                           "IPFS_API=" + node.url());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  nlohmann::json out = one_object(run.output);
  std::string reference = "127.0.0.1:5000/layer/" + dag.manifest_cid.to_string() + ":tree.tar.gz";
  EXPECT_EQ(out["reference"], reference);
  EXPECT_EQ(out["copy_from"], "COPY --from=" + reference + " / /");
  EXPECT_EQ(out["ipfs_node"], node.url());
  EXPECT_EQ(out["upload"], "car");
  EXPECT_EQ(out["manifest_file"], (tmp / "layer.json").string());
  EXPECT_EQ(out["directory_cid"], dag.directory_cid.to_string());
  EXPECT_EQ(read_file(tmp / "layer.json"), dag.manifest);
}

TEST(IpfsApi, CredentialsBecomeAnAuthorizationField) {
  EXPECT_EQ(ipfs_api_authorization("pub:s3cret-pass"), "Basic cHViOnMzY3JldC1wYXNz");
  EXPECT_EQ(ipfs_api_authorization("a:"), "Basic YTo=");
  EXPECT_EQ(ipfs_api_authorization("tok3n"), "Bearer tok3n");
  EXPECT_EQ(redacted_url("https://pub:s3cret@node.example:5001/x"),
            "https://***@node.example:5001/x");
  EXPECT_EQ(redacted_url("https://node.example/a@b"), "https://node.example/a@b");
}

// A hosted node: its RPC API over https with a certificate of its own, behind credentials.
TEST(OcipfsCli, PublishesToAnHttpsNodeWithCredentialsItNeverPrints) {
  TempDir tmp;
  make_tree(tmp / "tree");
  LayerDag dag = reference_dag(tmp);
  testing::FakeGateway node(testing::FakeGateway::Transport::https_self_signed);
  testing::FakeReply imported;
  imported.body = dag_import_answer(dag.car_roots);
  node.set(dag_import_target(""), imported);
  node.require_authorization("Basic cHViOnMzY3JldC1wYXNz");
  write_file(tmp / "ca.pem", node.certificate_pem());
  const std::string trust = clean_env + " SSL_CERT_FILE=" + quote(tmp / "ca.pem");
  const std::string publish = "publish " + quote(tmp / "tree") +
                              " --tarball=" + quote(tmp / "tree.tar.gz") +
                              " --ipfs-api=" + node.url();

  std::string all;  // every output, to find no secret in
  auto run = ocipfs(publish, trust + " IPFS_API_AUTH=pub:s3cret-pass");
  all += run.output;
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("COPY --from=127.0.0.1:5000/layer/" +
                                    dag.manifest_cid.to_string() + ":tree.tar.gz / /\n"));
  // (The fake node reads the request's body as one more request: the first is the request.)
  ASSERT_FALSE(node.authorization_headers().empty());
  EXPECT_EQ(node.authorization_headers().front(), "Basic cHViOnMzY3JldC1wYXNz");
  const std::size_t first = node.authorization_headers().size();

  // The flag wins over the environment; a value without ':' is a bearer token. A refusal says
  // where to look, and no message shows a secret, not even one given in the URL.
  run = ocipfs(publish + " --ipfs-api-auth=tok3n-secret", trust + " IPFS_API_AUTH=pub:s3cret-pass");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  all += run.output;
  ASSERT_GT(node.authorization_headers().size(), first);
  EXPECT_EQ(node.authorization_headers()[first], "Bearer tok3n-secret");
  EXPECT_THAT(run.output, HasSubstr("answered 401"));
  EXPECT_THAT(run.output, HasSubstr("--ipfs-api-auth"));
  run = ocipfs("publish " + quote(tmp / "tree") + " --ipfs-api=https://pub:s3cret-pass@" +
                   node.url().substr(8),
               trust);
  all += run.output;
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--ipfs-api-auth"));
  run = ocipfs(publish, clean_env + " IPFS_API_AUTH=pub:s3cret-pass");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("certificate verify failed"));
  all += run.output + ocipfs("publish --help").output;
  for (const char* secret : {"s3cret", "tok3n", "cHViOnMzY3JldC1wYXNz"})
    EXPECT_THAT(all, Not(HasSubstr(secret)));
  EXPECT_EQ(node.request_count(dag_import_target("")), 2u);
}

TEST(OcipfsCli, PublishAddsFilesAndChecksTheNodeGivesPacksCids) {
  TempDir tmp;
  make_tree(tmp / "tree");
  LayerDag dag = reference_dag(tmp);
  testing::FakeGateway node;
  testing::FakeReply wrapped;
  wrapped.body =
      ndjson({{"tree.tar.gz", dag.tarball_cid.to_string()}, {"", dag.directory_cid.to_string()}});
  node.set(wrap_target, wrapped);
  testing::FakeReply single;
  single.body = ndjson({{"layer.json", dag.manifest_cid.to_string()}});
  node.set(single_target, single);

  std::string args = "publish " + quote(tmp / "tree") + " --tarball=" + quote(tmp / "tree.tar.gz") +
                     " --upload=files --ipfs-api=" + node.url();
  auto run = ocipfs(args);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("layer manifest  " + dag.manifest_cid.to_string() + "\n"));
  EXPECT_EQ(node.request_count(wrap_target), 1u);
  EXPECT_EQ(node.request_count(single_target), 1u);
  EXPECT_EQ(node.request_count(dag_import_target("")), 0u);

  // A node that imports with other parameters (here: CIDv0 directories) is caught.
  wrapped.body =
      ndjson({{"tree.tar.gz", dag.tarball_cid.to_string()}, {"", testing::layer_dir_cid}});
  node.set(wrap_target, wrapped);
  PackedLayer layer = dag.layer;
  single.body = ndjson({{"layer.json", testing::raw_cid_of(layer_manifest_json(
                                           layer, testing::layer_dir_cid + "/tree.tar.gz"))}});
  node.set(single_target, single);
  run = ocipfs_errors(args);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output,
              HasSubstr("the IPFS node stored the directory as " + testing::layer_dir_cid +
                        ", but ocipfs computes " + dag.directory_cid.to_string()));
  EXPECT_THAT(run.output, HasSubstr("other parameters"));
  EXPECT_EQ(line_count(run.output), 1) << run.output;
}

TEST(IpfsApi, ParsesDagImportAnswers) {
  EXPECT_EQ(dag_import_target(""), "/api/v0/dag/import?pin-roots=true");
  EXPECT_EQ(dag_import_target("/x/api/v0/"), "/x/api/v0/dag/import?pin-roots=true");
  auto two = parse_dag_import_answer(
      "{\"Root\":{\"Cid\":{\"/\":\"bafkmanifest\"},\"PinErrorMsg\":\"\"}}\n"
      "{\"Root\":{\"Cid\":{\"/\":\"bafydir\"},\"PinErrorMsg\":\"\"}}\r\n"
      "{\"Stats\":{\"BlockCount\":3,\"BlockBytes\":1000}}\n");
  ASSERT_TRUE(two.has_value()) << two.error();
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].cid, "bafkmanifest");
  EXPECT_EQ((*two)[1].cid, "bafydir");
  EXPECT_EQ((*two)[1].pin_error, "");
  auto unpinned = parse_dag_import_answer(R"({"Root":{"Cid":{"/":"b"},"PinErrorMsg":"no"}})");
  ASSERT_TRUE(unpinned.has_value());
  EXPECT_EQ(unpinned->front().pin_error, "no");

  auto refused =
      parse_dag_import_answer(R"({"Message":"Failed to import DAG: bad","Type":"error"})");
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error(), HasSubstr("the node refused: Failed to import DAG: bad"));
  for (const char* bad :
       {"", "<html>", "{\"Root\":{}}", "{\"Root\":{\"Cid\":\"b\"}}", "{}", "{\"Stats\":{}}"})
    EXPECT_FALSE(parse_dag_import_answer(bad).has_value()) << bad;
}

TEST(OcipfsCli, PublishToAnUnreachableApiFailsClearly) {
  TempDir tmp;
  make_tree(tmp / "tree");
  auto port = std::to_string(testing::free_port());
  auto run =
      ocipfs_errors("publish " + quote(tmp / "tree") + " --tarball=" + quote(tmp / "t.tar.gz") +
                    " --ipfs-api=http://127.0.0.1:" + port);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.output, "ocipfs: cannot connect to the IPFS API at http://127.0.0.1:" + port +
                            ": Connection refused\n");

  testing::FakeGateway silent;
  testing::FakeReply never;
  never.kind = testing::FakeReply::Kind::never_answer;
  silent.set_default(never);
  run = ocipfs_errors("publish " + quote(tmp / "t.tar.gz") + " --ipfs-api=" + silent.url() +
                      " --timeout=500ms");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("made no progress answering within 500ms"));
  EXPECT_EQ(line_count(run.output), 1) << run.output;
}

TEST(OcipfsCli, InspectShowsWhatOcipfsdWouldServe) {
  testing::FakeGateway gateway;
  gateway.serve_cid(testing::manifest_cid, testing::layer_manifest_json());
  testing::RenderedImage image{synthesize_image(
      testing::manifest_cid, *parse_layer_manifest(testing::layer_manifest_json()))};
  std::string flags = " --gateway=" + gateway.url();

  auto run = ocipfs("inspect layer/" + testing::manifest_cid + ":hello.tar.gz" + flags);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("asked           gateway " + gateway.url()));
  EXPECT_THAT(run.output, HasSubstr("reference       127.0.0.1:5000/layer/" +
                                    testing::manifest_cid + ":hello.tar.gz\n"));
  EXPECT_THAT(run.output, HasSubstr("index           " + image.index.digest + "\n"));
  EXPECT_THAT(run.output, HasSubstr("diff_id         " + image.layers[0].diff_id + "\n"));
  EXPECT_THAT(run.output, HasSubstr("manifest        " + image.platforms[0].manifest.digest +
                                    " (linux/amd64)\n"));
  EXPECT_THAT(run.output, HasSubstr("config          " + image.platforms[0].config.digest +
                                    " (linux/amd64)\n"));
  EXPECT_THAT(run.output, HasSubstr("layer digest    " + testing::layer_digest));
  EXPECT_THAT(run.output, HasSubstr("diff_id         " + testing::layer_diff_id));
  EXPECT_THAT(run.output, HasSubstr("tags            hello.tar.gz, latest\n"));
  EXPECT_THAT(run.output, HasSubstr("platforms       linux/amd64, linux/arm64/v8, linux/arm/v7"));
  EXPECT_THAT(run.output,
              HasSubstr("platform        none declared: every default platform is offered\n"));
  EXPECT_THAT(run.output, HasSubstr("verified against the CID"));
  EXPECT_THAT(run.output, HasSubstr("COPY --from=127.0.0.1:5000/layer/" + testing::manifest_cid +
                                    ":hello.tar.gz / /\n"));

  // A bare CID, in any form, with the default registry; tags and digests of the image.
  auto cid = *parse_cid(testing::manifest_cid);
  std::string base36 = "k" + base36_lower_encode(cid.v1_bytes());
  run = ocipfs("inspect " + base36 + flags);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("127.0.0.1:5000/layer/" + testing::manifest_cid + ":hello.tar.gz\n"));
  run = ocipfs("inspect " + base36 + flags + " --registry=ocipfs.example");
  EXPECT_THAT(run.output, HasSubstr("COPY --from=ocipfs.example/layer/"));
  EXPECT_EQ(ocipfs("inspect layer/" + testing::manifest_cid + ":latest" + flags).exit_code, 0);
  EXPECT_EQ(
      ocipfs("inspect layer/" + testing::manifest_cid + "@" + image.index.digest + flags).exit_code,
      0);
}

TEST(OcipfsCli, InspectJsonHasTheFactsOfTheText) {
  testing::FakeGateway gateway;
  gateway.serve_cid(testing::manifest_cid, testing::layer_manifest_json());
  testing::RenderedImage image{synthesize_image(
      testing::manifest_cid, *parse_layer_manifest(testing::layer_manifest_json()))};
  auto run =
      ocipfs_stdout("inspect layer/" + testing::manifest_cid +
                    ":hello.tar.gz --registry=reg.example --json --gateway=" + gateway.url());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  nlohmann::json out = one_object(run.output);
  std::string reference = "reg.example/layer/" + testing::manifest_cid + ":hello.tar.gz";
  EXPECT_EQ(out["reference"], reference);
  EXPECT_EQ(out["copy_from"], "COPY --from=" + reference + " / /");
  EXPECT_EQ(out["kind"], "layer");
  EXPECT_EQ(out["asked"], "gateway");
  EXPECT_EQ(out["gateways"].size(), 1u);
  EXPECT_EQ(out["cid"], testing::manifest_cid);
  EXPECT_EQ(out["verified"], true);
  EXPECT_EQ(out["gateway"], gateway.url() + "/");
  EXPECT_EQ(out["tag"], "hello.tar.gz");
  EXPECT_EQ(out["tags"], nlohmann::json::array({"hello.tar.gz", "latest"}));
  EXPECT_EQ(out["index"], image.index.digest);
  EXPECT_EQ(out["manifest"], image.platforms[0].manifest.digest);
  EXPECT_EQ(out["config"], image.platforms[0].config.digest);
  EXPECT_EQ(out["platform"], nullptr);
  EXPECT_EQ(out["platforms"].size(), image.platforms.size());
  EXPECT_EQ(out["manifests"].size(), image.platforms.size());
  ASSERT_EQ(out["layers"].size(), 1u);
  EXPECT_EQ(out["layers"][0]["digest"], testing::layer_digest);
  EXPECT_EQ(out["layers"][0]["diff_id"], testing::layer_diff_id);
  EXPECT_EQ(out["layers"][0]["layer_manifest"], testing::manifest_cid);
  EXPECT_THAT(out["layers"][0]["url"].get<std::string>(), StartsWith(gateway.url()));
  EXPECT_FALSE(out.contains("from"));
}

TEST(OcipfsCli, InspectShowsEveryLayerOfAnImage) {
  testing::FakeGateway gateway;
  std::string base = testing::manifest_cid;
  std::string app_manifest = testing::layer_manifest_json("app.tar.gz");
  std::string app = testing::raw_cid_of(app_manifest);
  std::string document = R"({"mediaType":"application/vnd.ocipfs.image.manifest.v1+json",)"
                         R"("layers":[")" +
                         base + R"(",")" + app + R"("],"tag":"app-1"})";
  std::string image = testing::raw_cid_of(document);
  gateway.serve_cid(base, testing::layer_manifest_json());
  gateway.serve_cid(app, app_manifest);
  gateway.serve_cid(image, document);
  std::string flags = " --gateway=" + gateway.url();

  for (std::string ref : {"image/" + image, image}) {
    auto run = ocipfs("inspect " + ref + flags + " --registry=reg.example");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("reference       reg.example/image/" + image + ":app-1\n"));
    EXPECT_THAT(run.output, HasSubstr("image document  " + image));
    EXPECT_THAT(run.output, HasSubstr("layer 1         " + base + "\n"));
    EXPECT_THAT(run.output, HasSubstr("layer 2         " + app + "\n"));
    EXPECT_THAT(run.output, HasSubstr("/app.tar.gz (the 302 for the layer blob)"));
    EXPECT_THAT(run.output, HasSubstr("tags            app-1, latest\n"));
    EXPECT_THAT(run.output, HasSubstr("FROM reg.example/image/" + image + ":app-1\n"));
    EXPECT_THAT(run.output, HasSubstr("docker run reg.example/image/" + image + ":app-1\n"));
  }
  // A composed image's platform, and the file it was read from.
  std::string composed = R"({"mediaType":"application/vnd.ocipfs.image.manifest.v1+json",)"
                         R"("layers":[")" +
                         base +
                         R"("],"platform":{"os":"linux","architecture":"amd64"},)"
                         R"("annotations":{"io.ocipfs.platform.source":"layer 1: bin/busybox"}})";
  gateway.serve_cid(testing::raw_cid_of(composed), composed);
  auto one = ocipfs("inspect image/" + testing::raw_cid_of(composed) + flags);
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_THAT(one.output, HasSubstr("platforms       linux/amd64\n"));
  EXPECT_THAT(one.output,
              HasSubstr("platform        linux/amd64 (read from layer 1: bin/busybox)\n"));
  auto json = ocipfs_stdout("inspect image/" + testing::raw_cid_of(composed) + flags +
                            " --registry=reg --json");
  ASSERT_EQ(json.exit_code, 0) << json.output;
  nlohmann::json out = one_object(json.output);
  EXPECT_EQ(out["kind"], "image");
  EXPECT_EQ(out["platform"], "linux/amd64");
  EXPECT_EQ(out["platforms"], nlohmann::json::array({"linux/amd64"}));
  EXPECT_EQ(out["from"], "FROM " + out["reference"].get<std::string>());
  EXPECT_EQ(out["docker_run"], "docker run " + out["reference"].get<std::string>());
  EXPECT_FALSE(out.contains("copy_from"));

  // A layer that is no layer manifest: ocipfsd's answer, naming the layer.
  std::string stray = testing::raw_cid_of("{}");
  gateway.serve_cid(stray, "{}");
  std::string bad_document = R"({"mediaType":"application/vnd.ocipfs.image.manifest.v1+json",)"
                             R"("layers":[")" +
                             stray + R"("]})";
  std::string bad = testing::raw_cid_of(bad_document);
  gateway.serve_cid(bad, bad_document);
  auto run = ocipfs("inspect image/" + bad + flags);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("ocipfsd would answer 404 MANIFEST_INVALID: layer 1 of image " +
                                    bad + " (" + stray + ")"));
}

TEST(OcipfsCli, InspectShowsAKeptImage) {
  testing::FakeGateway gateway;
  std::string config = R"({"architecture":"arm64","os":"linux","rootfs":{"diff_ids":[]}})";
  std::string layer = "sha256:" + std::string(64, 'e');
  std::string manifest = R"({"schemaVersion":2,"mediaType":")" +
                         std::string(oci_manifest_media_type) + R"(","config":{"mediaType":")" +
                         std::string(oci_config_media_type) + R"(","digest":")" +
                         sha256_digest(config) + R"(","size":)" + std::to_string(config.size()) +
                         R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",)"
                         R"("digest":")" +
                         layer + R"(","size":5}]})";
  VerbatimDocument kept;
  kept.manifest = {std::string(oci_manifest_media_type), sha256_digest(manifest), manifest.size()};
  kept.layers = {{layer, testing::layer_dir_cid}};
  std::string document = verbatim_document_json(kept);
  std::string image = testing::raw_cid_of(document);
  for (const auto* bytes : {&config, &manifest, &document})
    gateway.serve_cid(testing::raw_cid_of(*bytes), *bytes);

  auto run = ocipfs("inspect " + image + " --registry=reg.example --gateway=" + gateway.url());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("reference       reg.example/image/" + image + ":latest\n"));
  EXPECT_THAT(run.output, HasSubstr("layer digest    " + layer + " (5 bytes)\n"));
  EXPECT_THAT(run.output, Not(HasSubstr("diff_id"))) << "a kept image's diff_ids are its config's";
  EXPECT_THAT(run.output,
              HasSubstr("manifest        " + sha256_digest(manifest) + " (linux/arm64)"));
  EXPECT_THAT(run.output, HasSubstr("config          " + sha256_digest(config)));
  EXPECT_THAT(run.output, Not(HasSubstr("index ")));
  EXPECT_THAT(run.output, HasSubstr("FROM reg.example/image/" + image + ":latest\n"));
}

TEST(OcipfsCli, InspectSaysWhichGatewayItAsksWhenNotTold) {
  // No --gateway and no $IPFS_GATEWAY: a line on stderr names the default before it is asked.
  // In a network namespace of its own (loopback only), so that not even the DNS query for the
  // default leaves the machine.
  if (shell("unshare --net -- true").exit_code != 0)
    GTEST_SKIP() << "unshare --net is not permitted here (it needs root)";
  auto run = shell(clean_env + " timeout 60 unshare --net -- " + OCIPFS_CLI_PATH + " inspect " +
                   testing::manifest_cid + " --timeout=1s 2>&1 >/dev/null");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, StartsWith("ocipfs inspect: asking https://ipfs.io (no --gateway=URL or "
                                     "$IPFS_GATEWAY)\n"));
  // Told, through the flag or the environment, it says nothing of the kind.
  testing::FakeGateway gateway;
  gateway.serve_cid(testing::manifest_cid, testing::layer_manifest_json());
  run = ocipfs("inspect " + testing::manifest_cid, clean_env + " IPFS_GATEWAY=" + gateway.url());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, Not(HasSubstr("asking")));
  run = ocipfs("inspect " + testing::manifest_cid + " --gateway=" + gateway.url());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, Not(HasSubstr("asking")));
}

TEST(OcipfsCli, InspectFailsWhenOcipfsdWouldNotServe) {
  testing::FakeGateway gateway;
  std::string broken = testing::layer_manifest_json("hello.tar.gz", "\"platform\":7,");
  std::string broken_cid = testing::raw_cid_of(broken);
  gateway.serve_cid(broken_cid, broken);
  gateway.serve_cid(testing::manifest_cid, testing::layer_manifest_json());
  std::string lie_cid = testing::raw_cid_of("the real content");
  gateway.serve_cid(lie_cid, testing::layer_manifest_json());
  std::string flags = " --gateway=" + gateway.url() + " --timeout=5s";
  struct Case {
    std::string ref;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"layer/" + broken_cid, "404 MANIFEST_INVALID"},
           {"layer/" + testing::manifest_cid + ":other", "404 MANIFEST_UNKNOWN"},
           {"reg/layer/" + testing::layer_dir_cid, "400 NAME_INVALID"},
           {"reg/other/" + testing::manifest_cid, "404 NAME_UNKNOWN"},
           {"layer/" + testing::raw_cid_of("missing"), "404 MANIFEST_UNKNOWN"},
           {"layer/" + lie_cid, "502 UNAVAILABLE"},
       }) {
    auto run = ocipfs("inspect " + c.ref + flags);
    EXPECT_EQ(run.exit_code, 1) << c.ref << ": " << run.output;
    EXPECT_THAT(run.output, HasSubstr("ocipfs: ocipfsd would answer " + c.message)) << c.ref;
  }
  auto port = std::to_string(testing::free_port());
  auto run = ocipfs("inspect " + testing::manifest_cid + " --gateway=http://127.0.0.1:" + port);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("502 UNAVAILABLE"));
  EXPECT_THAT(run.output, HasSubstr("Connection refused"));
  EXPECT_EQ(line_count(run.output), 1) << run.output;
}

// ocipfs inspect HOST/...: the registry at HOST is asked, here the real ocipfsd on a port of its
// own, over a fake gateway.
class InspectRegistry : public ServerTest {
 protected:
  std::string host() const { return "127.0.0.1:" + std::to_string(server->port()); }
};

TEST_F(InspectRegistry, AsksTheRegistryOfTheHostAndChecksWhatItAnswers) {
  auto run = ocipfs("inspect " + host() + "/layer/" + cid + ":hello.tar.gz --timeout=10s");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("reference       " + host() + "/layer/" + cid + ":hello.tar.gz\n"));
  EXPECT_THAT(run.output, HasSubstr("asked           registry http://" + host() + "\n"));
  EXPECT_THAT(run.output, HasSubstr("index           " + image.index.digest + "\n"));
  EXPECT_THAT(run.output, HasSubstr("manifest        " + image.platforms[0].manifest.digest +
                                    " (linux/amd64)\n"));
  EXPECT_THAT(run.output, HasSubstr("config          " + image.platforms[0].config.digest +
                                    " (linux/amd64)\n"));
  EXPECT_THAT(run.output, HasSubstr("layer 1         " + testing::layer_digest));
  EXPECT_THAT(run.output, HasSubstr("layer URL       https://public.example/base/ipfs/"));
  EXPECT_THAT(run.output, HasSubstr("platforms       linux/amd64, linux/arm64/v8, linux/arm/v7"));
  EXPECT_THAT(run.output, HasSubstr("checks          every answer is what a client expects\n"));
  EXPECT_THAT(run.output, Not(HasSubstr("gateway")));

  // The same facts as one JSON object.
  auto json = ocipfs_stdout("inspect " + host() + "/layer/" + cid + ":hello.tar.gz --json");
  ASSERT_EQ(json.exit_code, 0) << json.output;
  nlohmann::json out = one_object(json.output);
  EXPECT_EQ(out["asked"], "registry");
  EXPECT_EQ(out["registry"], "http://" + host());
  EXPECT_EQ(out["index"], image.index.digest);
  EXPECT_EQ(out["manifests"][0]["digest"], image.platforms[0].manifest.digest);
  EXPECT_EQ(out["configs"][0]["digest"], image.platforms[0].config.digest);
  EXPECT_EQ(out["layers"][0]["digest"], testing::layer_digest);
  EXPECT_EQ(out["platforms"].size(), image.platforms.size());
  EXPECT_EQ(out["problems"], nlohmann::json::array());

  // By digest: one platform's manifest, no index.
  const std::string& arm = image.platforms[1].manifest.digest;
  run = ocipfs("inspect " + host() + "/layer/" + cid + "@" + arm);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("manifest        " + arm + " (no index)\n"));
  EXPECT_THAT(run.output, Not(HasSubstr("index ")));

  // What ocipfsd answers for a CID no gateway has: its 404, and exit 1.
  std::string missing = testing::raw_cid_of("missing");
  run = ocipfs("inspect " + host() + "/layer/" + missing);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("ocipfs: registry http://" + host() + " answered 404 MANIFEST_UNKNOWN: "));
  EXPECT_THAT(run.output, HasSubstr(" to GET /v2/layer/" + missing + "/manifests/latest\n"));

  // The gateways' flags are not for a registry.
  run = ocipfs("inspect " + host() + "/layer/" + cid + " --gateway=" + gateway.url());
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("HOST/NAME asks the registry at HOST"));
}

TEST_F(InspectRegistry, AnImageOfTwoLayers) {
  // A second layer of another digest.
  std::string app_digest = "sha256:" + std::string(64, '2');
  std::string app_manifest = testing::layer_manifest_json("app.tar.gz");
  app_manifest.replace(app_manifest.find(testing::layer_digest), testing::layer_digest.size(),
                       app_digest);
  std::string app = testing::raw_cid_of(app_manifest);
  std::string document = R"({"mediaType":"application/vnd.ocipfs.image.manifest.v1+json",)"
                         R"("layers":[")" +
                         cid + R"(",")" + app + R"("],"tag":"app-1"})";
  std::string image_cid = testing::raw_cid_of(document);
  gateway.serve_cid(app, app_manifest);
  gateway.serve_cid(image_cid, document);
  auto run = ocipfs("inspect " + host() + "/image/" + image_cid + ":app-1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("layer 1         " + testing::layer_digest));
  EXPECT_THAT(run.output, HasSubstr("layer 2         " + app_digest + " (1234 bytes)\n"));
  EXPECT_THAT(run.output, HasSubstr("/app.tar.gz (the 302 for the layer blob)\n"));
  EXPECT_THAT(run.output, HasSubstr("checks          every answer is what a client expects\n"));
}

TEST(OcipfsCli, InspectFindsARegistryThatLies) {
  // A registry (a fake one: ocipfsd does not lie) whose Docker-Content-Digest is not its body's.
  testing::FakeGateway registry;
  testing::RenderedImage image{synthesize_image(
      testing::manifest_cid, *parse_layer_manifest(testing::layer_manifest_json()))};
  const testing::RenderedBlob& manifest = image.platforms[0].manifest;
  registry.set("/v2/", {testing::FakeReply::Kind::respond, 200, "{}", {}, {}});
  registry.set("/v2/layer/" + testing::manifest_cid + "/manifests/latest",
               {testing::FakeReply::Kind::respond,
                200,
                manifest.bytes,
                {{"Content-Type", std::string(oci_manifest_media_type)},
                 {"Docker-Content-Digest", "sha256:" + std::string(64, '0')}},
                {}});
  std::string host = registry.url().substr(std::string("http://").size());
  auto run = ocipfs("inspect " + host + "/layer/" + testing::manifest_cid + " --timeout=5s");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("PROBLEM         the manifest latest: Docker-Content-Digest is "
                                    "\"sha256:" +
                                    std::string(64, '0') + "\", but the body's sha256 is " +
                                    manifest.digest + "\n"));
  EXPECT_THAT(run.output, HasSubstr("GET /v2/layer/" + testing::manifest_cid + "/blobs/" +
                                    image.platforms[0].config.digest + ": 404"));
  EXPECT_THAT(run.output, HasSubstr("checks          "));

  // A body nested a million deep is no manifest, and no crash.
  std::string deep(1000 * 1000, '[');
  registry.set("/v2/layer/" + testing::manifest_cid + "/manifests/deep",
               {testing::FakeReply::Kind::respond,
                200,
                deep,
                {{"Content-Type", std::string(oci_manifest_media_type)},
                 {"Docker-Content-Digest", sha256_digest(deep)}},
                {}});
  run = ocipfs("inspect " + host + "/layer/" + testing::manifest_cid + ":deep --timeout=5s");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("PROBLEM         the manifest deep: the body is not a JSON "
                                    "object: "));
}

}  // namespace
}  // namespace ocipfs
