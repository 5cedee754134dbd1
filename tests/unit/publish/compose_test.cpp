// ocipfs compose: the layer classifier (pure), packing one layer into a sink, and the command
// run as a user would (the CAR read back with the strict reader; a fake node for the API).
#include "ocipfs/publish/compose.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ocipfs/formats/car.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/image/image_document.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/publish/ipfs_api.hpp"
#include "ocipfs/publish/layer_dag.hpp"
#include "ocipfs/publish/layer_platforms.hpp"
#include "support/elf_files.hpp"
#include "support/fake_gateway.hpp"
#include "support/files.hpp"
#include "support/process.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---------------------------------------------------------------- the classifier

// A file system of a few paths, for the pure classifier.
PathProbe fake_disk(std::map<fs::path, PathKind> paths) {
  return [paths = std::move(paths)](const fs::path& path) {
    auto found = paths.find(path);
    return found == paths.end() ? PathKind::other : found->second;
  };
}

const fs::path base = "/work/app";
const std::string cidv1 = testing::manifest_cid;   // bafkrei...: base32, raw
const std::string cidv0 = testing::layer_dir_cid;  // Qm...
const std::string digest = "sha256:" + std::string(64, 'a');

ComposeLayer classified(const std::string& entry, const PathProbe& probe = fake_disk({})) {
  auto layer = classify_compose_layer(entry, base, probe);
  EXPECT_TRUE(layer.has_value()) << entry << ": " << (layer ? "" : layer.error());
  return layer ? *layer : ComposeLayer{};
}

std::string refusal(const std::string& entry, const PathProbe& probe = fake_disk({})) {
  auto layer = classify_compose_layer(entry, base, probe);
  EXPECT_FALSE(layer.has_value()) << entry;
  return layer ? std::string() : layer.error();
}

TEST(ComposeClassify, DirectoriesAndTarballsOnDisk) {
  auto disk = fake_disk({{base / "rootfs", PathKind::directory},
                         {base / "app.tar.gz", PathKind::regular_file},
                         {"/srv/base.tar.zst", PathKind::regular_file},
                         {base / "notes.txt", PathKind::regular_file}});
  ComposeLayer rootfs = classified("rootfs", disk);
  EXPECT_EQ(rootfs.kind, ComposeLayerKind::directory);
  EXPECT_EQ(rootfs.path, base / "rootfs");
  EXPECT_EQ(rootfs.entry, "rootfs");
  ComposeLayer app = classified("app.tar.gz", disk);
  EXPECT_EQ(app.kind, ComposeLayerKind::tarball);
  EXPECT_EQ(app.path, base / "app.tar.gz");
  ComposeLayer absolute = classified("/srv/base.tar.zst", disk);
  EXPECT_EQ(absolute.kind, ComposeLayerKind::tarball);
  EXPECT_EQ(absolute.path, fs::path("/srv/base.tar.zst"));
  EXPECT_THAT(refusal("notes.txt", disk),
              HasSubstr("\"notes.txt\" is a file but not a tarball: its name does not end in "
                        ".tar, .tar.gz or .tar.zst"));
}

TEST(ComposeClassify, TheFileSystemComesFirst) {
  // A directory that happens to be named like a reference is a directory.
  std::string entry = "layer/" + cidv1;
  ComposeLayer on_disk = classified(entry, fake_disk({{base / entry, PathKind::directory}}));
  EXPECT_EQ(on_disk.kind, ComposeLayerKind::directory);
  EXPECT_EQ(classified(entry).kind, ComposeLayerKind::existing);
}

TEST(ComposeClassify, LayerReferences) {
  Cid expected = *parse_cid(cidv1);
  for (const std::string& entry : {
           "ocipfs.io/layer/" + cidv1,
           "ocipfs.io/layer/" + cidv1 + ":app-1",
           "127.0.0.1:5000/layer/" + cidv1 + ":hello.tar.gz",
           "registry.example/ocipfs/layer/" + cidv1,
           "layer/" + cidv1 + "@" + digest,
           "layer/" + cidv1,
       }) {
    ComposeLayer layer = classified(entry);
    EXPECT_EQ(layer.kind, ComposeLayerKind::existing) << entry;
    EXPECT_EQ(layer.manifest_cid, expected) << entry;
    EXPECT_EQ(layer.entry, entry);
    EXPECT_TRUE(layer.path.empty()) << entry;
  }
}

TEST(ComposeClassify, BareCids) {
  ComposeLayer v1 = classified(cidv1);
  EXPECT_EQ(v1.kind, ComposeLayerKind::existing);
  EXPECT_EQ(v1.manifest_cid, *parse_cid(cidv1));
  ComposeLayer v0 = classified(cidv0);
  EXPECT_EQ(v0.kind, ComposeLayerKind::existing);
  EXPECT_EQ(v0.manifest_cid.version, 0);
  EXPECT_EQ(v0.manifest_cid.v1_bytes(), parse_cid(cidv0)->v1_bytes());
}

TEST(ComposeClassify, GarbageIsRefusedWithTheKindsAccepted) {
  const std::string kinds = " is not a directory, a tarball, HOST/layer/<CID> or a CID";
  EXPECT_EQ(refusal("foo"), "\"foo\"" + kinds);
  EXPECT_EQ(refusal("missing/rootfs"), "\"missing/rootfs\"" + kinds);
  EXPECT_EQ(refusal("ocipfs.io/image/" + cidv1), "\"ocipfs.io/image/" + cidv1 + "\"" + kinds);
  EXPECT_THAT(refusal(""), HasSubstr(kinds));
  // Entries that look like a reference or a CID also say why they were refused.
  std::string bad_ref = refusal("ocipfs.io/layer/not-a-cid:x");
  EXPECT_THAT(bad_ref,
              StartsWith("\"ocipfs.io/layer/not-a-cid:x\"" + kinds + " (as a reference: "));
  EXPECT_THAT(refusal("layer/" + cidv1 + "@sha256:12"), HasSubstr("(as a reference: "));
  std::string bad_cid = cidv1;
  bad_cid.back() = bad_cid.back() == 'a' ? 'b' : 'a';
  bad_cid += "a";
  EXPECT_THAT(refusal(bad_cid), HasSubstr(kinds + " (as a CID: "));
}

TEST(ComposeClassify, EveryLayerWithItsNumberAndTheFile) {
  auto disk = fake_disk({{fs::path("dir") / "rootfs", PathKind::directory}});
  auto layers = classify_compose_layers({{"rootfs"}, {cidv1}}, "dir/x.json", disk);
  ASSERT_TRUE(layers.has_value()) << layers.error();
  ASSERT_EQ(layers->size(), 2u);
  EXPECT_EQ((*layers)[0].kind, ComposeLayerKind::directory);
  EXPECT_EQ((*layers)[0].path, fs::path("dir/rootfs"));
  EXPECT_EQ(packed_layer_count(*layers), 1u);

  auto refused = classify_compose_layers({{"rootfs"}, {"foo"}}, "dir/x.json", disk);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(),
            "layer 2 of compose file \"dir/x.json\": \"foo\" is not a directory, a tarball, "
            "HOST/layer/<CID> or a CID");
  // A compose file in the current directory: its entries are relative to ".".
  auto here = classify_compose_layers({{"rootfs"}}, "x.json",
                                      fake_disk({{fs::path(".") / "rootfs", PathKind::directory}}));
  ASSERT_TRUE(here.has_value()) << here.error();
}

TEST(ComposeClassify, AtPlacesADirectoryOnly) {
  auto disk = fake_disk({{fs::path("dir") / "app", PathKind::directory},
                         {fs::path("dir") / "app.tar.gz", PathKind::regular_file}});
  auto layers = classify_compose_layers({{"app", "/app"}, {"app", "/"}, {"app.tar.gz", "/"}},
                                        "dir/x.json", disk);
  ASSERT_TRUE(layers.has_value()) << layers.error();
  EXPECT_EQ((*layers)[0].at, "/app");
  EXPECT_EQ((*layers)[1].at, "/");
  EXPECT_EQ((*layers)[2].at, "/");

  auto tarball = classify_compose_layers({{"app"}, {"app.tar.gz", "/srv/app"}}, "dir/x.json", disk);
  ASSERT_FALSE(tarball.has_value());
  EXPECT_EQ(tarball.error(),
            "layer 2 of compose file \"dir/x.json\": \"app.tar.gz\" is a tarball, and \"at\" "
            "places only a directory's contents (a tarball is stored as it is): give the "
            "directory instead, or leave out \"at\" and store the tarball's entries under "
            "\"srv/app/\"");
  auto existing = classify_compose_layers({{cidv1, "/app"}}, "dir/x.json", disk);
  ASSERT_FALSE(existing.has_value());
  EXPECT_EQ(existing.error(), "layer 1 of compose file \"dir/x.json\": \"" + cidv1 +
                                  "\" names a layer manifest already stored, and \"at\" places "
                                  "only a directory's contents: leave out \"at\"");
}

TEST(ComposeReach, OnlyUnderTheComposeFilesDirectoryUnlessAllowed) {
  const std::vector<fs::path> own{"/w/app"};
  EXPECT_EQ(reach_problem("rootfs", "/w/app/rootfs", own), "");
  EXPECT_EQ(reach_problem("sub/../rootfs", "/w/app/rootfs", own), "");
  EXPECT_EQ(reach_problem("link", "/w/app/real", own), "");  // a symlink that stays inside
  EXPECT_EQ(reach_problem(".", "/w/app", own), "");
  EXPECT_EQ(reach_problem("/etc/ssl", "/etc/ssl", own),
            "\"/etc/ssl\" is an absolute path: a compose file reaches only what is under its own "
            "directory (\"/w/app\"); move it there, or allow its directory with "
            "--allow-outside=DIR");
  // Absolute is refused even inside: the entries are relative to the file.
  EXPECT_THAT(reach_problem("/w/app/rootfs", "/w/app/rootfs", own),
              HasSubstr("is an absolute path"));
  EXPECT_EQ(reach_problem("../../etc/ssl", "/etc/ssl", own),
            "\"../../etc/ssl\" leads outside the compose file's directory (to \"/etc/ssl\"): a "
            "compose file reaches only what is under its own directory (\"/w/app\"); move it "
            "there, or allow its directory with --allow-outside=DIR");
  EXPECT_THAT(reach_problem("link", "/etc", own), HasSubstr("(to \"/etc\")"));

  const std::vector<fs::path> widened{"/w/app", "/srv/layers"};
  EXPECT_EQ(reach_problem("/srv/layers/base.tar.zst", "/srv/layers/base.tar.zst", widened), "");
  EXPECT_EQ(reach_problem("../../srv/layers/base", "/srv/layers/base", widened), "");
  EXPECT_EQ(reach_problem("link", "/srv/layers/base", widened), "");
  EXPECT_THAT(reach_problem("/etc/ssl", "/etc/ssl", widened), HasSubstr("is an absolute path"));
  EXPECT_THAT(reach_problem("../../etc/ssl", "/etc/ssl", widened), HasSubstr("leads outside"));
}

// ---------------------------------------------------------------- files, for the rest

std::vector<std::string> names_in(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void make_rootfs(const fs::path& root) {
  write_file(root / "etc/motd", "Composed by ocipfs.\n");
  write_file(root / "usr/bin/app", "#!/bin/sh\necho app\n");
  fs::permissions(root / "usr/bin/app", fs::perms(0755));
  write_file(root / "big.bin", std::string(400 * 1024, 'z') + "end\n");  // two chunks
}

// ---------------------------------------------------------------- one layer into a sink

struct Block {
  Cid cid;
  std::string bytes;
};

TEST(ComposeLayerBlocks, TheBlocksOfPackLayerDagIntoAnySink) {
  TempDir tmp;
  fs::copy_file(fs::path(OCIPFS_SOURCE_DIR) / "example/hello.tar.gz", tmp / "hello.tar.gz");
  std::vector<Block> blocks;
  auto dag =
      pack_layer_blocks(tmp / "hello.tar.gz", {}, [&](const Cid& cid, std::string_view block) {
        blocks.push_back({cid, std::string(block)});
      });
  ASSERT_TRUE(dag.has_value()) << dag.error();
  auto reference = pack_layer_dag(tmp / "hello.tar.gz", {{}, tmp / "ref.car", {}});
  ASSERT_TRUE(reference.has_value()) << reference.error();
  EXPECT_EQ(dag->tarball_cid, reference->tarball_cid);
  EXPECT_EQ(dag->directory_cid, reference->directory_cid);
  EXPECT_EQ(dag->ipfs_path, reference->ipfs_path);
  EXPECT_EQ(dag->manifest, reference->manifest);
  EXPECT_EQ(dag->manifest_cid, reference->manifest_cid);
  EXPECT_TRUE(dag->car.empty());
  EXPECT_TRUE(dag->car_roots.empty());

  std::string bytes = read_file(tmp / "ref.car");
  auto car = parse_car(bytes);
  ASSERT_TRUE(car.has_value()) << car.error();
  ASSERT_EQ(blocks.size(), car->blocks.size());  // tarball, directory, manifest
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_EQ(blocks[i].cid, car->blocks[i].cid) << i;
    EXPECT_EQ(blocks[i].bytes, car->blocks[i].bytes) << i;
  }
  EXPECT_EQ(names_in(tmp.path()), (std::vector<std::string>{"hello.tar.gz", "ref.car"}));
}

// Bytes that gzip cannot shrink, so that the tarball is several chunks long.
std::string noise(std::size_t size) {
  std::string out(size, '\0');
  std::uint32_t state = 12345;
  for (char& c : out) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  return out;
}

TEST(ComposeLayerBlocks, ASinkThatThrowsStopsPackingAndLeavesNoTarball) {
  TempDir tmp;
  make_rootfs(tmp / "rootfs");
  write_file(tmp / "rootfs/noise.bin", noise(3 * unixfs_chunk_size));
  fs::create_directories(tmp / "out");
  PackOptions pack;
  pack.tarball_dir = tmp / "out";
  auto failed = pack_layer_blocks(tmp / "rootfs", pack, [](const Cid&, std::string_view) {
    throw std::runtime_error("the disk is full");
  });
  ASSERT_FALSE(failed.has_value());
  EXPECT_THAT(failed.error(), HasSubstr("the disk is full"));
  EXPECT_TRUE(names_in(tmp / "out").empty());

  // An empty sink computes the CIDs only, and the tarball is pack's.
  auto computed = pack_layer_blocks(tmp / "rootfs", pack, {});
  ASSERT_TRUE(computed.has_value()) << computed.error();
  EXPECT_EQ(computed->layer.tarball, tmp / "out/rootfs.tar.gz");
  EXPECT_EQ(computed->layer.file_name, "rootfs.tar.gz");
  EXPECT_TRUE(parse_layer_manifest(computed->manifest).has_value());
  EXPECT_EQ(computed->manifest_cid.to_string(), testing::raw_cid_of(computed->manifest));
}

// A small app: a script and a file in a subdirectory.
void make_app(const fs::path& root) {
  write_file(root / "hello.sh", "#!/bin/sh\necho hello\n");
  fs::permissions(root / "hello.sh", fs::perms(0755));
  write_file(root / "lib/data.txt", "data\n");
}

// GNU tar's verbose listing of a tarball, one line per entry.
std::vector<std::string> tar_listing(const fs::path& tarball) {
  auto run = testing::run_command("LC_ALL=C.UTF-8 tar --numeric-owner -tvzf '" + tarball.string() +
                                  "' 2>&1");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  std::vector<std::string> lines;
  std::istringstream in(run.output);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ComposeLayerBlocks, AtPutsTheContentsUnderItsDirectories) {
  TempDir tmp;
  make_app(tmp / "app");
  PackOptions pack;
  pack.tarball = tmp / "at.tar.gz";
  pack.at = "/usr/local/app";
  auto layer = pack_path(tmp / "app", pack);
  ASSERT_TRUE(layer.has_value()) << layer.error();
  EXPECT_EQ(layer->entries, 6u);
  std::vector<std::string> expected = {
      "drwxr-xr-x 0/0               0 1970-01-01 00:00 usr/",
      "drwxr-xr-x 0/0               0 1970-01-01 00:00 usr/local/",
      "drwxr-xr-x 0/0               0 1970-01-01 00:00 usr/local/app/",
      "-rwxr-xr-x 0/0              21 1970-01-01 00:00 usr/local/app/hello.sh",
      "drwxr-xr-x 0/0               0 1970-01-01 00:00 usr/local/app/lib/",
      "-rw-r--r-- 0/0               5 1970-01-01 00:00 usr/local/app/lib/data.txt",
  };
  EXPECT_EQ(tar_listing(tmp / "at.tar.gz"), expected);

  // The very tarball that packing a directory holding app/ at that place gives.
  make_app(tmp / "outer/usr/local/app");
  auto outer = pack_path(tmp / "outer", {tmp / "outer.tar.gz", {}});
  ASSERT_TRUE(outer.has_value()) << outer.error();
  EXPECT_EQ(read_file(tmp / "at.tar.gz"), read_file(tmp / "outer.tar.gz"));
  EXPECT_EQ(layer->diff_id, outer->diff_id);

  // "/" and "" are the root: the plain tarball.
  for (std::string root : {"/", ""}) {
    pack.at = root;
    pack.tarball = tmp / "root.tar.gz";
    ASSERT_TRUE(pack_path(tmp / "app", pack).has_value());
    EXPECT_EQ(tar_listing(tmp / "root.tar.gz").front(),
              "-rwxr-xr-x 0/0              21 1970-01-01 00:00 hello.sh");
  }

  // A tarball is stored as it is: it cannot be placed.
  PackOptions placed;
  placed.at = "/app";
  auto file = pack_path(tmp / "at.tar.gz", placed);
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error(), "\"at\" places a directory's contents; \"" +
                              (tmp / "at.tar.gz").string() + "\" is a file, and is used as it is");
}

// ---------------------------------------------------------------- the platform

const Platform amd64{"linux", "amd64", ""};
const Platform arm64{"linux", "arm64", "v8"};

LayerPlatforms found(std::vector<PlatformExample> examples) {
  return {std::move(examples), {}, {}};
}

std::string detected(const std::vector<std::optional<LayerPlatforms>>& layers) {
  auto platform = detect_image_platform(layers);
  if (!platform) return "error: " + platform.error();
  return *platform ? platform_text((*platform)->platform) + " from " + (*platform)->source : "none";
}

TEST(ComposePlatform, OnePlatformIsDeclaredWithTheFileItWasReadFrom) {
  EXPECT_EQ(detected({found({{amd64, "bin/busybox"}})}), "linux/amd64 from layer 1: bin/busybox");
  // Layers without executables, and layers by CID (nullopt), do not change it.
  EXPECT_EQ(
      detected({std::nullopt, found({}), found({{amd64, "bin/sh"}}), found({{amd64, "bin/ls"}})}),
      "linux/amd64 from layer 3: bin/sh");
}

TEST(ComposePlatform, NoExecutablesIsEveryPlatform) {
  EXPECT_EQ(detected({}), "none");
  EXPECT_EQ(detected({found({}), std::nullopt}), "none");
}

TEST(ComposePlatform, SeveralPlatformsAreAnErrorNamingAFileOfEach) {
  EXPECT_EQ(detected({found({}), found({{amd64, "bin/busybox"}, {arm64, "lib/x"}})}),
            "error: layer 2 has linux/amd64 executables (bin/busybox) and linux/arm64/v8 ones "
            "(lib/x): say which platform the image is for with \"platform\" in the compose file");
  EXPECT_EQ(detected({found({{amd64, "bin/busybox"}}), found({{arm64, "lib/x"}})}),
            "error: layer 1 has linux/amd64 executables (bin/busybox) and layer 2 has "
            "linux/arm64/v8 ones (lib/x): say which platform the image is for with \"platform\" "
            "in the compose file");
}

TEST(ComposePlatform, AnExecutableOfUntoldPlatformIsAnError) {
  LayerPlatforms layer = found({{amd64, "bin/busybox"}});
  layer.untold_file = "bin/odd";
  layer.untold_problem =
      "it is an ELF file, but ELF machine 50 (64-bit, little-endian) is not "
      "a platform ocipfs knows";
  EXPECT_EQ(detected({found({}), layer}),
            "error: layer 2: bin/odd: it is an ELF file, but ELF machine 50 (64-bit, "
            "little-endian) is not a platform ocipfs knows: say which platform the image is for "
            "with \"platform\" in the compose file");
}

// ---------------------------------------------------------------- the command

using testing::Outcome;

std::string quote(const fs::path& path) { return "'" + path.string() + "'"; }

const std::string clean_env = "env -u IPFS_API -u IPFS_GATEWAY";

// Runs `ocipfs ARGS` in `directory`; `output` holds its stdout and stderr.
Outcome ocipfs_in(const fs::path& directory, const std::string& args,
                  const std::string& env = clean_env) {
  return testing::run_command("cd " + quote(directory) + " && " + env + " timeout 60 " +
                              OCIPFS_CLI_PATH + " " + args + " 2>&1");
}

int line_count(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

const std::string config_json = R"({"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/usr/bin/app"]})";

// tmp/compose.json over a directory, a tarball and an existing layer manifest.
void make_project(const TempDir& tmp) {
  make_rootfs(tmp / "rootfs");
  fs::copy_file(fs::path(OCIPFS_SOURCE_DIR) / "example/hello.tar.gz", tmp / "app.tar.gz");
  write_file(tmp / "compose.json", R"({"layers": ["rootfs", "app.tar.gz", "ocipfs.io/layer/)" +
                                       testing::manifest_cid + R"(:hello.tar.gz"], "config": )" +
                                       config_json + R"(, "tag": "app-1"})");
}

const CarBlock& block_of(const Car& car, const Cid& cid) {
  const CarBlock* block = find_block(car, cid);
  if (!block) throw std::runtime_error("no block " + cid.to_string() + " in the CAR");
  return *block;
}

TEST(ComposeCli, OneCarOfEveryNewBlockAndTheImageDocument) {
  TempDir tmp;
  make_project(tmp);
  auto run = ocipfs_in(tmp.path(),
                       "compose compose.json --car=app.car -o image.json "
                       "--registry=registry.test:5000");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(names_in(tmp.path()), (std::vector<std::string>{"app.car", "app.tar.gz", "compose.json",
                                                            "image.json", "rootfs"}))
      << "no tarball or temporary directory is left";

  std::string bytes = read_file(tmp / "app.car");
  auto car = parse_car(bytes);  // strict: every block's CID is verified
  ASSERT_TRUE(car.has_value()) << car.error();
  ASSERT_EQ(car->roots.size(), 5u);
  const CarBlock& document_block = block_of(*car, car->roots[0]);
  EXPECT_EQ(std::string(document_block.bytes), read_file(tmp / "image.json"));
  EXPECT_EQ(car->blocks.back().cid, car->roots[0]) << "the image document comes last";
  auto document = parse_image_document(document_block.bytes);
  ASSERT_TRUE(document.has_value()) << document.error();
  ASSERT_EQ(document->layers.size(), 3u);
  EXPECT_EQ(document->layers[0], car->roots[1]);
  EXPECT_EQ(document->layers[1], car->roots[3]);
  EXPECT_EQ(document->layers[2], *parse_cid(testing::manifest_cid));
  EXPECT_EQ(document->tag, "app-1");
  EXPECT_EQ(document->config.env, std::vector<std::string>{"PATH=/usr/bin:/bin"});

  // Each packed layer: its manifest names its directory, which is in the CAR with the tarball.
  for (std::size_t root : {1u, 3u}) {
    auto manifest = parse_layer_manifest(block_of(*car, car->roots[root]).bytes);
    ASSERT_TRUE(manifest.has_value()) << manifest.error();
    EXPECT_THAT(manifest->ipfs_path, StartsWith(car->roots[root + 1].to_string() + "/"));
    EXPECT_EQ(car->roots[root + 1].codec, multicodec::dag_pb);
    block_of(*car, car->roots[root + 1]);
  }
  std::string image = "registry.test:5000/image/" + car->roots[0].to_string();
  EXPECT_THAT(run.output, HasSubstr("reference       " + image + ":app-1\n"));
  EXPECT_THAT(run.output, HasSubstr("\nFROM " + image + "\n"));
  EXPECT_THAT(run.output, HasSubstr("\ndocker run " + image + "\n"));
  EXPECT_THAT(run.output, HasSubstr("layer 3         " + testing::manifest_cid +
                                    " (existing layer manifest)\n"));
  EXPECT_THAT(run.output, HasSubstr("rootfs: tarred as rootfs.tar.gz into the CAR (no tarball "
                                    "file is kept), sha256:"));
  EXPECT_THAT(run.output, HasSubstr("app.tar.gz: stored as it is into the CAR, sha256:"));
  EXPECT_THAT(run.output, ::testing::Not(HasSubstr("packed as")));
  EXPECT_THAT(run.output,
              HasSubstr("car             app.car (" + std::to_string(car->blocks.size()) +
                        " blocks, " + std::to_string(bytes.size()) + " bytes)\n"));
}

TEST(ComposeCli, TheLayersAreTheOnesPackMakes) {
  TempDir tmp;
  make_project(tmp);
  auto run = ocipfs_in(tmp.path(), "compose compose.json --car=app.car");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::string bytes = read_file(tmp / "app.car");
  auto car = parse_car(bytes);
  ASSERT_TRUE(car.has_value()) << car.error();
  auto document = parse_image_document(block_of(*car, car->roots[0]).bytes);
  ASSERT_TRUE(document.has_value()) << document.error();

  // `ocipfs pack rootfs` elsewhere: the same tarball name, hence the same layer manifest.
  fs::create_directories(tmp / "packed");
  run = ocipfs_in(tmp / "packed", "pack ../rootfs");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::string manifest = read_file(tmp / "packed/rootfs.layer.json");
  EXPECT_EQ(document->layers[0].to_string(), testing::raw_cid_of(manifest));
  EXPECT_EQ(std::string(block_of(*car, document->layers[0]).bytes), manifest);
  auto tarball = pack_layer_dag(tmp / "app.tar.gz", {{}, tmp / "packed/app.car", {}});
  ASSERT_TRUE(tarball.has_value()) << tarball.error();
  EXPECT_EQ(document->layers[1], tarball->manifest_cid);

  // Composing again gives the same bytes.
  run = ocipfs_in(tmp.path(), "compose compose.json --car=again.car -o -");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(read_file(tmp / "again.car"), bytes);
}

TEST(ComposeCli, AnAtEntryIsTheLayerOfADirectoryHoldingItThere) {
  TempDir tmp;
  make_app(tmp / "at/app");
  write_file(
      tmp / "at/compose.json",
      R"({"layers": [{"path": "app", "at": "/app"}], "config": {"Cmd": ["/app/hello.sh"]}})");
  auto run = ocipfs_in(tmp / "at", "compose compose.json --car=app.car -o image.json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("layer 1         app at /app: tarred as app.tar.gz into the "
                                    "CAR (no tarball file is kept), sha256:"));

  // A directory named app that holds app/: the same tarball, name and all, hence the same layer
  // manifest, image document and CAR.
  make_app(tmp / "plain/app/app");
  write_file(tmp / "plain/compose.json",
             R"({"layers": ["app"], "config": {"Cmd": ["/app/hello.sh"]}})");
  run = ocipfs_in(tmp / "plain", "compose compose.json --car=app.car -o image.json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(read_file(tmp / "at/image.json"), read_file(tmp / "plain/image.json"));
  EXPECT_EQ(read_file(tmp / "at/app.car"), read_file(tmp / "plain/app.car"));

  // And again: reproducible.
  run = ocipfs_in(tmp / "at", "compose compose.json --car=again.car");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(read_file(tmp / "at/again.car"), read_file(tmp / "at/app.car"));

  // A mistake names the entry and says what to write.
  write_file(tmp / "at/bad.json", R"({"layers": [{"path": "app", "at": "app/"}]})");
  run = ocipfs_in(tmp / "at", "compose bad.json --car=bad.car");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(run.output,
            "ocipfs: compose file \"bad.json\": layers[0].at must be an absolute path, not "
            "\"app/\": write \"/app\"\n");
}

TEST(ComposeCli, TheDocumentOnStdoutAndTheReportOnStderr) {
  TempDir tmp;
  make_project(tmp);
  auto run = testing::run_command("cd " + quote(tmp.path()) + " && " + OCIPFS_CLI_PATH +
                                  " compose compose.json --car app.car -o - 2>/dev/null");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto document = parse_image_document(run.output);
  ASSERT_TRUE(document.has_value()) << document.error() << run.output;
  EXPECT_EQ(run.output, image_document_json(*document));
}

TEST(ComposeCli, JsonIsOneObjectOnStdout) {
  TempDir tmp;
  make_project(tmp);
  auto run =
      testing::run_command("cd " + quote(tmp.path()) + " && " + clean_env + " " + OCIPFS_CLI_PATH +
                           " compose compose.json --car=app.car -o image.json --json "
                           "--registry=registry.test 2>/dev/null");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto out = nlohmann::json::parse(run.output);  // throws on anything but one JSON value
  auto car = parse_car(read_file(tmp / "app.car"));
  ASSERT_TRUE(car.has_value()) << car.error();
  std::string image = "registry.test/image/" + car->roots[0].to_string();
  EXPECT_EQ(out["reference"], image + ":app-1");
  EXPECT_EQ(out["tag"], "app-1");
  EXPECT_EQ(out["from"], "FROM " + image);
  EXPECT_EQ(out["docker_run"], "docker run " + image);
  EXPECT_EQ(out["image_document_cid"], car->roots[0].to_string());
  EXPECT_EQ(out["image_document_size"], fs::file_size(tmp / "image.json"));
  EXPECT_EQ(out["image_document_file"], "image.json");
  EXPECT_EQ(out["car"], "app.car");
  EXPECT_EQ(out["car_blocks"], car->blocks.size());
  EXPECT_EQ(out["car_roots"].size(), 5u);
  ASSERT_EQ(out["layers"].size(), 3u);
  EXPECT_EQ(out["layers"][0]["entry"], "rootfs");
  EXPECT_EQ(out["layers"][0]["packed"], true);
  EXPECT_EQ(out["layers"][0]["manifest_cid"], car->roots[1].to_string());
  EXPECT_EQ(out["layers"][0]["directory_cid"], car->roots[2].to_string());
  EXPECT_EQ(out["layers"][1]["tag"], "app.tar.gz");
  EXPECT_EQ(out["layers"][2]["packed"], false);
  EXPECT_EQ(out["layers"][2]["manifest_cid"], testing::manifest_cid);
  EXPECT_TRUE(out.contains("platform"));
  EXPECT_FALSE(out.contains("ipfs_node"));
}

TEST(ComposeCli, UsageErrorsExitTwoWithOneLine) {
  TempDir tmp;
  make_project(tmp);
  struct Case {
    std::string args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"compose compose.json", "compose needs --car=FILE or --ipfs-api=URL (or $IPFS_API)"},
           {"compose", "compose takes one FILE, not 0"},
           {"compose a.json b.json --car=x.car", "compose takes one FILE, not 2"},
           {"compose compose.json --car=x.car --tarball=t.tar", "--tarball is not an option"},
           {"compose compose.json --ipfs-api=ftp://node", "--ipfs-api"},
           {"compose compose.json --car=x.car --timeout=5s", "--timeout is for --ipfs-api"},
           {"compose compose.json --car=app.tar.gz", "would overwrite the tarball of layer 2"},
           {"compose compose.json --car=compose.json", "would overwrite the compose file"},
           {"compose compose.json --car=rootfs/x.car", "inside the directory of layer 1"},
           {"compose compose.json --car=x.car -o x.car", "must be two different files"},
       }) {
    auto run = ocipfs_in(tmp.path(), c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args << ": " << run.output;
    EXPECT_THAT(run.output, StartsWith("ocipfs: ")) << c.args;
    EXPECT_THAT(run.output, HasSubstr(c.message)) << c.args;
    EXPECT_EQ(line_count(run.output), 1) << c.args << ": " << run.output;
  }
  EXPECT_EQ(names_in(tmp.path()),
            (std::vector<std::string>{"app.tar.gz", "compose.json", "rootfs"}));
}

TEST(ComposeCli, FailuresExitOneWithOneLineAndLeaveNothing) {
  TempDir tmp;
  make_project(tmp);
  fs::create_directories(tmp / "in-the-way.car");
  write_file(tmp / "bad-entry.json", R"({"layers": ["rootfs", "foo"]})");
  write_file(tmp / "bad-config.json", R"({"layers": ["rootfs"], "config": {"Env": ["PATH"]}})");
  write_file(tmp / "big.json", std::string(2 * 1024 * 1024, ' '));
  write_file(tmp / "bad-tag.json", R"({"layers": ["bad name.tar.gz"]})");
  fs::copy_file(tmp / "app.tar.gz", tmp / "bad name.tar.gz");
  fs::create_directories(tmp / "my dir");
  write_file(tmp / "bad-dir.json", R"({"layers": ["rootfs", "my dir"]})");
  struct Case {
    std::string args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"compose bad-entry.json --car=out.car",
            "ocipfs: layer 2 of compose file \"bad-entry.json\": \"foo\" is not a directory, a "
            "tarball, HOST/layer/<CID> or a CID\n"},
           {"compose bad-config.json --car=out.car", "compose file \"bad-config.json\": "},
           {"compose bad-config.json --car=out.car", "config.Env[0]"},
           {"compose missing.json --car=out.car",
            "compose file \"missing.json\": cannot read it: No such file or directory"},
           {"compose big.json --car=out.car", "larger than 1048576 bytes"},
           {"compose rootfs --car=out.car", "compose file \"rootfs\": cannot read it"},
           {"compose compose.json --car=in-the-way.car", "in-the-way.car\": it is a directory"},
           {"compose bad-tag.json --car=out.car", "layer 1 of compose file \"bad-tag.json\": "},
           {"compose bad-tag.json --car=out.car", "is not a valid OCI tag"},
           {"compose bad-dir.json --car=out.car",
            "layer 2 of compose file \"bad-dir.json\": the tarball's file name \"my "
            "dir.tar.gz\" (the directory's name) is not a valid OCI tag"},
       }) {
    auto run = ocipfs_in(tmp.path(), c.args);
    EXPECT_EQ(run.exit_code, 1) << c.args << ": " << run.output;
    EXPECT_THAT(run.output, StartsWith("ocipfs: ")) << c.args;
    EXPECT_THAT(run.output, HasSubstr(c.message)) << c.args;
    EXPECT_EQ(line_count(run.output), 1) << c.args << ": " << run.output;
  }
  EXPECT_EQ(names_in(tmp.path()),
            (std::vector<std::string>{"app.tar.gz", "bad name.tar.gz", "bad-config.json",
                                      "bad-dir.json", "bad-entry.json", "bad-tag.json", "big.json",
                                      "compose.json", "in-the-way.car", "my dir", "rootfs"}));
  EXPECT_TRUE(names_in(tmp / "in-the-way.car").empty());
}

// A compose file from someone else's repository may not publish the builder's files: its layers
// reach only what is under its directory, unless --allow-outside=DIR widens it.
TEST(ComposeCli, LayersReachOnlyWhatIsUnderTheComposeFilesDirectory) {
  TempDir tmp;
  make_project(tmp);
  write_file(tmp / "outside/secret/key", "the builder's key\n");
  fs::copy_file(tmp / "app.tar.gz", tmp / "outside/app.tar.gz");
  fs::create_directories(tmp / "project");
  fs::create_symlink("../outside/secret", tmp / "project/secret");
  fs::create_symlink("../outside/app.tar.gz", tmp / "project/app.tar.gz");
  fs::copy(tmp / "rootfs", tmp / "project/real", fs::copy_options::recursive);
  fs::create_symlink("real", tmp / "project/rootfs");  // a symlink that stays inside
  std::string outside = (tmp / "outside").string();
  struct Case {
    std::string entry;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {outside + "/secret", "is an absolute path"},
           {"../outside/secret",
            "leads outside the compose file's directory (to \"" + outside + "/secret\")"},
           {"secret", "leads outside the compose file's directory (to \"" + outside + "/secret\")"},
           {"app.tar.gz", "leads outside"},
           {"rootfs/../../outside/secret", "leads outside"},
       }) {
    write_file(tmp / "project/c.json", R"({"layers": ["rootfs", ")" + c.entry + R"("]})");
    auto run = ocipfs_in(tmp / "project", "compose c.json --car=out.car");
    EXPECT_EQ(run.exit_code, 1) << c.entry << ": " << run.output;
    EXPECT_EQ(
        run.output.rfind("ocipfs: layer 2 of compose file \"c.json\": \"" + c.entry + "\" ", 0), 0u)
        << run.output;
    EXPECT_THAT(run.output, HasSubstr(c.message)) << c.entry;
    EXPECT_THAT(run.output, HasSubstr("--allow-outside=DIR")) << c.entry;
    EXPECT_EQ(line_count(run.output), 1) << run.output;
    EXPECT_FALSE(fs::exists(tmp / "project/out.car")) << c.entry;

    // Allowed explicitly, it is packed.
    run = ocipfs_in(tmp / "project", "compose c.json --car=out.car --allow-outside=../outside");
    EXPECT_EQ(run.exit_code, 0) << c.entry << ": " << run.output;
    EXPECT_TRUE(fs::exists(tmp / "project/out.car")) << c.entry;
    fs::remove(tmp / "project/out.car");
  }
  // --allow-outside is compose's, and names a directory.
  auto run = ocipfs_in(tmp / "project", "compose c.json --car=out.car --allow-outside=nowhere");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--allow-outside=nowhere is not a directory"));
  run = ocipfs_in(tmp.path(), "pack rootfs --allow-outside=/");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--allow-outside is not an option of pack"));
}

TEST(ComposeCli, AComposeFileThatIsAFifoIsRefused) {
  TempDir tmp;
  ASSERT_EQ(::mkfifo((tmp / "fifo.json").c_str(), 0600), 0);
  auto run = testing::run_command("cd " + quote(tmp.path()) + " && " + clean_env + " timeout 20 " +
                                  OCIPFS_CLI_PATH + " compose fifo.json --car=out.car 2>&1");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(run.output,
            "ocipfs: compose file \"fifo.json\": cannot read it: it is a FIFO, not a regular file "
            "(only regular files are read)\n");
}

TEST(ComposeCli, AStdoutThatCannotBeWrittenIsAFailure) {
  TempDir tmp;
  make_project(tmp);
  for (std::string args : {"-o - 2>&1 >/dev/full", "2>&1 >/dev/full", "-o - 2>&1 >&-"}) {
    auto run =
        testing::run_command("cd " + quote(tmp.path()) + " && " + clean_env + " " +
                             OCIPFS_CLI_PATH + " compose compose.json --car=app.car " + args);
    EXPECT_EQ(run.exit_code, 1) << args << ": " << run.output;
    EXPECT_THAT(run.output, HasSubstr("ocipfs: cannot write to stdout: ")) << args;
  }
}

// SIGINT (Ctrl-C) while compose packs: its scratch directory and hidden temporary files are
// removed on the way out, and the command dies of the signal.
TEST(ComposeCli, AnInterruptedComposeLeavesNoTemporaryFiles) {
  TempDir tmp;
  make_project(tmp);
  write_file(tmp / "rootfs/noise.bin", noise(24 * 1024 * 1024));
  std::string dir = tmp.path().string();
  pid_t pid = testing::spawn({OCIPFS_CLI_PATH, "compose", "compose.json", "--car=app.car"}, dir);
  auto interrupted = testing::interrupt_when(
      pid, SIGINT, [&] { return testing::has_temporaries(dir, ".ocipfs-compose-"); },
      std::chrono::seconds(60));
  ASSERT_TRUE(interrupted.sent) << "no temporary file seen while compose ran";
  EXPECT_TRUE(WIFSIGNALED(interrupted.status)) << interrupted.status;
  EXPECT_EQ(WTERMSIG(interrupted.status), SIGINT);
  EXPECT_FALSE(testing::has_temporaries(dir));
  EXPECT_FALSE(fs::exists(tmp / "app.car"));
}

// The report to a pipe whose reader is gone, while the image document (-o FILE) is still a
// temporary file: the command says so, exits 1, and leaves no temporary (not killed by SIGPIPE).
TEST(ComposeCli, AReaderGoneAwayIsAFailureThatLeavesNoTemporaries) {
  TempDir tmp;
  make_project(tmp);
  int ends[2];
  ASSERT_EQ(::pipe(ends), 0);
  ::close(ends[0]);
  std::string errors = (tmp / "errors.txt").string();
  pid_t pid = fork();
  if (pid == 0) {
    std::signal(SIGPIPE, SIG_DFL);
    int err = ::open(errors.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(ends[1], 1);
    ::dup2(err, 2);
    if (::chdir(tmp.path().c_str()) != 0) _exit(127);
    ::execl(OCIPFS_CLI_PATH, OCIPFS_CLI_PATH, "compose", "compose.json", "--car=app.car", "-o",
            "doc.json", static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(ends[1]);
  int status = testing::wait_status(pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_EQ(read_file(errors), "ocipfs: cannot write to stdout: Broken pipe\n");
  EXPECT_FALSE(testing::has_temporaries(tmp.path().string()));
  EXPECT_FALSE(fs::exists(tmp / "doc.json"));
}

TEST(ComposeCli, AnUnreachableNodeFailsClearlyAndTheTarballsAreRemoved) {
  TempDir tmp;
  make_project(tmp);
  fs::create_directories(tmp / "tmp");
  auto run = ocipfs_in(tmp.path(), "compose compose.json --ipfs-api=http://127.0.0.1:1",
                       clean_env + " TMPDIR=" + quote(tmp / "tmp"));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("ocipfs: layer 1 of compose file \"compose.json\": cannot "
                                    "connect to the IPFS API at http://127.0.0.1:1"));
  EXPECT_TRUE(names_in(tmp / "tmp").empty()) << "the temporary directory is removed";
}

TEST(ComposeCli, ACarNeedsNoNodeEvenWithIpfsApiSet) {
  TempDir tmp;
  make_project(tmp);
  auto run =
      ocipfs_in(tmp.path(), "compose compose.json --car=app.car", "IPFS_API=http://127.0.0.1:1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(fs::exists(tmp / "app.car"));
}

std::string add_answer(const std::string& cid) {
  return nlohmann::json{{"Name", "image.json"}, {"Hash", cid}, {"Size", "1"}}.dump() + "\n";
}

// Existing layers only: the node receives the image document alone, and its CID is checked.
TEST(ComposeCli, AddsTheImageDocumentThroughTheApiAndChecksItsCid) {
  TempDir tmp;
  write_file(tmp / "compose.json", R"({"layers": [")" + testing::manifest_cid + R"(", ")" +
                                       testing::layer_dir_cid + R"("], "tag": "v2"})");
  ImageDocument expected;
  expected.layers = {*parse_cid(testing::manifest_cid), *parse_cid(testing::layer_dir_cid)};
  expected.tag = "v2";
  std::string text = image_document_json(expected);
  std::string cid = testing::raw_cid_of(text);

  testing::FakeGateway node;
  testing::FakeReply reply;
  reply.body = add_answer(cid);
  const std::string target = add_target("", false);
  node.set(target, reply);
  auto run = ocipfs_in(tmp.path(), "compose compose.json -o image.json", "IPFS_API=" + node.url());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(node.request_count(target), 1u);
  EXPECT_EQ(read_file(tmp / "image.json"), text);
  EXPECT_THAT(run.output, HasSubstr("reference       127.0.0.1:5000/image/" + cid + ":v2\n"));
  EXPECT_THAT(run.output, HasSubstr("image document  " + cid + " (" + std::to_string(text.size()) +
                                    " bytes)\n"));

  // A node that stores it under another CID is caught, and -o is not written.
  reply.body = add_answer(testing::raw_cid_of("something else"));
  node.set(target, reply);
  run = ocipfs_in(tmp.path(), "compose compose.json -o other.json --ipfs-api=" + node.url());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("the IPFS node stored the image document as " +
                        testing::raw_cid_of("something else") + ", but ocipfs computes " + cid));
  EXPECT_FALSE(fs::exists(tmp / "other.json"));
}

// A compose directory with one layer, "app", holding executables for `machines`.
void make_executables_project(const TempDir& tmp, const std::vector<unsigned>& machines,
                              const std::string& more = "") {
  for (unsigned machine : machines) {
    fs::path file = tmp / ("app/bin/m" + std::to_string(machine));
    write_file(file, testing::elf_header({machine, true, true}) + std::string(1000, 'x'));
    fs::permissions(file, fs::perms(0755));
  }
  write_file(tmp / "app/bin/script", "#!/bin/sh\necho hi\n");
  fs::permissions(tmp / "app/bin/script", fs::perms(0755));
  write_file(tmp / "compose.json", R"({"layers": ["app"])" + more + "}");
}

TEST(ComposeCli, TheImageIsForThePlatformOfItsExecutables) {
  TempDir tmp;
  make_executables_project(tmp, {62});
  auto run = ocipfs_in(tmp.path(), "compose compose.json --car=app.car -o image.json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto document = parse_image_document(read_file(tmp / "image.json"));
  ASSERT_TRUE(document.has_value()) << document.error();
  ASSERT_TRUE(document->platform);
  EXPECT_EQ(platform_text(*document->platform), "linux/amd64");
  EXPECT_EQ(document->annotations["io.ocipfs.platform.source"], "layer 1: bin/m62");
  EXPECT_THAT(run.output, HasSubstr("platform        linux/amd64 (read from layer 1: bin/m62)\n"));

  // Composing again gives the same document (the CID is reproducible).
  run = ocipfs_in(tmp.path(), "compose compose.json --car=again.car -o again.json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(read_file(tmp / "again.json"), read_file(tmp / "image.json"));

  // No executable (a script only): every platform, as before.
  TempDir scripts;
  make_executables_project(scripts, {});
  run = ocipfs_in(scripts.path(), "compose compose.json --car=app.car -o image.json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  document = parse_image_document(read_file(scripts / "image.json"));
  ASSERT_TRUE(document.has_value()) << document.error();
  EXPECT_FALSE(document->platform);
  EXPECT_TRUE(document->annotations.empty());
  EXPECT_THAT(run.output, HasSubstr("platform        every default platform"));
}

TEST(ComposeCli, ExecutablesOfTwoPlatformsNeedTheComposeFilesPlatform) {
  TempDir tmp;
  make_executables_project(tmp, {62, 183});
  auto run = ocipfs_in(tmp.path(), "compose compose.json --car=app.car -o image.json");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(run.output,
            "ocipfs: compose file \"compose.json\": layer 1 has linux/arm64/v8 executables "
            "(bin/m183) and linux/amd64 ones (bin/m62): say which platform the image is for "
            "with \"platform\" in the compose file\n");
  EXPECT_FALSE(fs::exists(tmp / "image.json"));

  // The compose file's platform wins, and no source is annotated.
  write_file(tmp / "compose.json",
             R"({"layers": ["app"], "platform": {"os": "linux", "architecture": "arm64"}})");
  run = ocipfs_in(tmp.path(), "compose compose.json --car=app.car -o image.json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto document = parse_image_document(read_file(tmp / "image.json"));
  ASSERT_TRUE(document.has_value()) << document.error();
  EXPECT_EQ(platform_text(*document->platform), "linux/arm64");
  EXPECT_TRUE(document->annotations.empty());
  EXPECT_THAT(run.output, HasSubstr("platform        linux/arm64 (declared in the compose file)"));
}

}  // namespace
}  // namespace ocipfs
