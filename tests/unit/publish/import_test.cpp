// ocipfs import: the SOURCE:REF argument, and the command run as a user would on OCI layouts,
// oci-archives and docker save tarballs made here by hand (the CAR read back with the strict
// reader; a fake node for the API). The JSON readers are tested in image_source_json_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/car.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/verbatim_image.hpp"
#include "ocipfs/publish/image_import.hpp"
#include "ocipfs/publish/ipfs_api.hpp"
#include "ocipfs/publish/pack.hpp"
#include "support/fake_gateway.hpp"
#include "support/files.hpp"
#include "support/process.hpp"

namespace ocipfs {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---------------------------------------------------------------- the pure parts
// (index.json, manifests and docker save's manifest.json: image_source_json_test.cpp)

json descriptor_json(const std::string& media_type, const std::string& digest, std::size_t size) {
  return {{"mediaType", media_type}, {"digest", digest}, {"size", size}};
}

TEST(ImportPure, SplitsSourceAndRef) {
  auto exists = [](const fs::path& path) { return path == "dir" || path == "a:b"; };
  EXPECT_EQ(split_source("dir", exists).path, fs::path("dir"));
  EXPECT_EQ(split_source("dir:v1", exists).ref, "v1");
  EXPECT_EQ(split_source("dir:v1", exists).path, fs::path("dir"));
  EXPECT_EQ(split_source("a:b", exists).ref, "");
  EXPECT_EQ(split_source("missing:v1", exists).path, fs::path("missing:v1"));
}

// ---------------------------------------------------------------- sources made by hand

std::string quote(const fs::path& path) { return "'" + path.string() + "'"; }

testing::Outcome shell(const std::string& command) { return testing::run_command(command); }

// Bytes that gzip cannot shrink.
std::string noise(std::size_t size, std::uint32_t state = 12345) {
  std::string out(size, '\0');
  for (char& c : out) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  return out;
}

// A tarball of `files` (name → content), made by tar; gzip'd when asked.
std::string make_tar(const fs::path& work, const std::map<std::string, std::string>& files,
                     bool gzip) {
  fs::path tree = work / "tree";
  fs::remove_all(tree);
  for (const auto& [name, content] : files) write_file(tree / name, content);
  fs::path out = work / "layer.tar";
  auto run = shell(
      "tar -cf " + quote(out) + " -C " + quote(tree) + " . && " +
      (gzip ? "gzip -n " + quote(out) + " && mv " + quote(work / "layer.tar.gz") + " " + quote(out)
            : std::string("true")));
  if (run.exit_code != 0) throw std::runtime_error("tar failed: " + run.output);
  std::string bytes = read_file(out);
  fs::remove_all(tree);
  fs::remove(out);
  return bytes;
}

// An OCI layout being written: blobs by digest.
struct Layout {
  fs::path dir;
  std::map<std::string, std::string> blobs = {};

  json add(const std::string& media_type, const std::string& bytes) {
    std::string digest = sha256_digest(bytes);
    write_file(dir / "blobs/sha256" / digest.substr(7), bytes);
    blobs[digest] = bytes;
    return descriptor_json(media_type, digest, bytes.size());
  }
  void write_index(const std::vector<std::pair<json, std::string>>& entries) {
    json index = {{"schemaVersion", 2}, {"manifests", json::array()}};
    for (auto [descriptor, ref] : entries) {
      if (!ref.empty()) descriptor["annotations"] = {{std::string(oci_ref_name_annotation), ref}};
      index["manifests"].push_back(descriptor);
    }
    write_file(dir / "index.json", index.dump());
    write_file(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }
};

std::string config_text(const std::string& arch, const std::string& variant = "") {
  json config = {{"architecture", arch}, {"os", "linux"}, {"rootfs", {{"type", "layers"}}}};
  if (!variant.empty()) config["variant"] = variant;
  config["config"] = {{"Cmd", {"/bin/sh"}}};
  return config.dump(2);
}

json manifest_descriptor(Layout& layout, const json& config, const std::vector<json>& layers,
                         const json& extra = json::object()) {
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", oci_manifest_media_type},
                   {"config", config},
                   {"layers", layers}};
  manifest.update(extra);
  return layout.add(std::string(oci_manifest_media_type), manifest.dump(3));
}

struct Layers {
  json big;    // gzip'd, over 1 MiB: several chunks, streamed from tarballs
  json small;  // plain tar
  json other;  // gzip'd, small
};

Layers add_layers(Layout& layout, const fs::path& work) {
  Layers layers;
  layers.big = layout.add(std::string(oci_layer_tar_gzip),
                          make_tar(work, {{"big.bin", noise(1300 * 1024)}}, true));
  layers.small =
      layout.add(std::string(oci_layer_tar), make_tar(work, {{"etc/motd", "hello\n"}}, false));
  layers.other = layout.add(std::string(oci_layer_tar_gzip),
                            make_tar(work, {{"arm.bin", noise(1000, 7)}}, true));
  return layers;
}

// A single-platform layout, tagged "latest".
json make_single(Layout& layout, const fs::path& work) {
  Layers layers = add_layers(layout, work);
  json config = layout.add(std::string(oci_config_media_type), config_text("amd64"));
  json manifest = manifest_descriptor(layout, config, {layers.big, layers.small});
  layout.write_index({{manifest, "latest"}});
  layout.blobs.erase(layers.other["digest"]);  // in the layout, but not in the image
  return manifest;
}

// A layout small enough for the fake node, which reads no request body: one small layer.
void make_small(Layout& layout, const fs::path& work) {
  json layer =
      layout.add(std::string(oci_layer_tar), make_tar(work, {{"etc/motd", "hi\n"}}, false));
  json config = layout.add(std::string(oci_config_media_type), config_text("amd64"));
  layout.write_index({{manifest_descriptor(layout, config, {layer}), "v1"}});
}

// A two-platform layout whose platforms share the big layer; its index is tagged "v1".
json make_multi(Layout& layout, const fs::path& work) {
  Layers layers = add_layers(layout, work);
  json amd64 = manifest_descriptor(
      layout, layout.add(std::string(oci_config_media_type), config_text("amd64")),
      {layers.big, layers.small});
  json arm64 = manifest_descriptor(
      layout, layout.add(std::string(oci_config_media_type), config_text("arm64", "v8")),
      {layers.big, layers.other});
  amd64["platform"] = {{"os", "linux"}, {"architecture", "amd64"}};
  arm64["platform"] = {{"os", "linux"}, {"architecture", "arm64"}, {"variant", "v8"}};
  json index = {
      {"schemaVersion", 2}, {"mediaType", oci_index_media_type}, {"manifests", {amd64, arm64}}};
  json top = layout.add(std::string(oci_index_media_type), index.dump());
  layout.write_index({{top, "v1"}});
  return top;
}

// ---------------------------------------------------------------- the command

using testing::Outcome;

const std::string clean_env = "env -u IPFS_API";

Outcome ocipfs_in(const fs::path& directory, const std::string& args,
                  const std::string& env = clean_env) {
  return testing::run_command("cd " + quote(directory) + " && " + env + " timeout 120 " +
                              OCIPFS_CLI_PATH + " " + args + " 2>&1");
}

int line_count(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

const CarBlock& block_of(const Car& car, const Cid& cid) {
  const CarBlock* block = find_block(car, cid);
  if (!block) throw std::runtime_error("no block " + cid.to_string() + " in the CAR");
  return *block;
}

// A CAR that import wrote, parsed strictly, and its verbatim document.
struct ImportedCar {
  std::string bytes;
  Car car;
  VerbatimDocument document;
};

ImportedCar read_import(const fs::path& file) {
  ImportedCar out;
  out.bytes = read_file(file);
  CarLimits limits;
  limits.max_total_size = 256 * 1024 * 1024;
  auto car = parse_car(out.bytes, limits);
  if (!car) throw std::runtime_error("bad CAR: " + car.error());
  out.car = std::move(*car);
  auto document = parse_verbatim_document(block_of(out.car, out.car.roots.at(0)).bytes);
  if (!document) throw std::runtime_error("bad document: " + document.error());
  out.document = std::move(*document);
  return out;
}

// Every blob of the layout that the image uses is in the CAR as import should store it.
void expect_blobs(const ImportedCar& imported, const Layout& layout) {
  for (const auto& [digest, bytes] : layout.blobs) {
    auto layer = imported.document.layers.find(digest);
    if (layer == imported.document.layers.end()) {
      // An index, manifest or config: one raw block named by its digest, byte for byte.
      const CarBlock& block = block_of(imported.car, digest_cid(digest));
      EXPECT_EQ(std::string(block.bytes), bytes) << digest;
      continue;
    }
    Cid file = import_file(bytes, {}).cid;
    EXPECT_EQ(layer->second, file.to_string()) << digest;
    block_of(imported.car, file);
    EXPECT_NE(std::find(imported.car.roots.begin(), imported.car.roots.end(), file),
              imported.car.roots.end());
  }
}

TEST(ImportCli, ASinglePlatformLayoutIntoOneCar) {
  TempDir tmp;
  Layout layout{tmp / "layout"};
  json manifest = make_single(layout, tmp.path());
  auto run = ocipfs_in(tmp.path(), "import layout --car=image.car --registry=registry.test");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ImportedCar imported = read_import(tmp / "image.car");
  EXPECT_EQ(imported.document.manifest.digest, manifest["digest"]);
  EXPECT_EQ(imported.document.manifest.media_type, oci_manifest_media_type);
  EXPECT_EQ(imported.document.manifest.size, manifest["size"]);
  EXPECT_EQ(imported.document.tag, "latest");
  EXPECT_EQ(imported.document.layers.size(), 2u);
  expect_blobs(imported, layout);
  EXPECT_EQ(imported.car.roots.size(), 1u + 2u + 2u);  // document, manifest + config, layers
  EXPECT_EQ(imported.car.blocks.back().cid, imported.car.roots[0]);

  std::string image = "registry.test/image/" + imported.car.roots[0].to_string();
  EXPECT_THAT(run.output, HasSubstr("source          layout (OCI layout)\n"));
  EXPECT_THAT(run.output, HasSubstr("manifest        " + manifest["digest"].get<std::string>() +
                                    " (linux/amd64, 2 layers)\n"));
  EXPECT_THAT(run.output, HasSubstr("reference       " + image + ":latest\n"));
  EXPECT_THAT(run.output, HasSubstr("\nFROM " + image + "\ndocker run " + image + "\n"));
  EXPECT_THAT(run.output,
              HasSubstr("car             image.car (" + std::to_string(imported.car.blocks.size()) +
                        " blocks, " + std::to_string(imported.bytes.size()) + " bytes)\n"));
  // Again: the same bytes.
  run = ocipfs_in(tmp.path(), "import layout --car=again.car");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(read_file(tmp / "again.car") == imported.bytes) << "the CARs differ";
}

TEST(ImportCli, JsonIsOneObjectOnStdout) {
  TempDir tmp;
  Layout layout{tmp / "layout"};
  json manifest = make_single(layout, tmp.path());
  auto run =
      testing::run_command("cd " + quote(tmp.path()) + " && " + clean_env + " " + OCIPFS_CLI_PATH +
                           " import layout --car=image.car --json 2>/dev/null");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  json out = json::parse(run.output);  // throws on anything but one JSON value
  ImportedCar imported = read_import(tmp / "image.car");
  std::string image = "127.0.0.1:5000/image/" + imported.car.roots[0].to_string();
  EXPECT_EQ(out["reference"], image + ":latest");
  EXPECT_EQ(out["from"], "FROM " + image);
  EXPECT_EQ(out["docker_run"], "docker run " + image);
  EXPECT_EQ(out["image_document_cid"], imported.car.roots[0].to_string());
  EXPECT_EQ(out["source"], "layout");
  EXPECT_EQ(out["source_kind"], "OCI layout");
  ASSERT_EQ(out["manifests"].size(), 1u);
  EXPECT_EQ(out["manifests"][0]["digest"], manifest["digest"]);
  EXPECT_EQ(out["manifests"][0]["platform"], "linux/amd64");
  EXPECT_EQ(out["manifests"][0]["layers"], 2);
  EXPECT_EQ(out["layers"], 2);
  EXPECT_EQ(out["distinct_layers"], 2);
  EXPECT_EQ(out["car"], "image.car");
  EXPECT_EQ(out["car_size"], imported.bytes.size());
  EXPECT_EQ(out["car_roots"].size(), imported.car.roots.size());
  EXPECT_FALSE(out.contains("indexes"));
}

TEST(ImportCli, AMultiPlatformIndexKeepsTheIndexAndASharedLayerOnce) {
  TempDir tmp;
  Layout layout{tmp / "layout"};
  json top = make_multi(layout, tmp.path());
  auto run = ocipfs_in(tmp.path(), "import layout:v1 --car=image.car");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ImportedCar imported = read_import(tmp / "image.car");
  EXPECT_EQ(imported.document.manifest.digest, top["digest"]);
  EXPECT_EQ(imported.document.manifest.media_type, oci_index_media_type);
  EXPECT_EQ(imported.document.tag, "v1");
  EXPECT_EQ(imported.document.layers.size(), 3u);
  expect_blobs(imported, layout);
  EXPECT_EQ(imported.car.roots.size(), 1u + 5u + 3u);
  EXPECT_THAT(run.output, HasSubstr("index           " + top["digest"].get<std::string>()));
  EXPECT_THAT(run.output, HasSubstr("(linux/arm64/v8, 2 layers)\n"));
  EXPECT_THAT(run.output, HasSubstr("layers          4 ("));
  EXPECT_THAT(run.output, HasSubstr(" bytes, 3 distinct)\n"));
}

TEST(ImportCli, AnOciArchiveGivesTheSameImageAsItsDirectory) {
  TempDir tmp;
  for (bool multi : {false, true}) {
    Layout layout{tmp / (multi ? "multi" : "single")};
    multi ? make_multi(layout, tmp.path()) : make_single(layout, tmp.path());
    std::string name = layout.dir.filename().string();
    ASSERT_EQ(shell("tar -cf " + quote(tmp / (name + ".tar")) + " -C " + quote(layout.dir) + " .")
                  .exit_code,
              0);
    auto dir = ocipfs_in(tmp.path(), "import " + name + " --car=" + name + "-dir.car");
    ASSERT_EQ(dir.exit_code, 0) << dir.output;
    auto archive = ocipfs_in(tmp.path(), "import " + name + ".tar --car=" + name + "-tar.car");
    ASSERT_EQ(archive.exit_code, 0) << archive.output;
    EXPECT_THAT(archive.output, HasSubstr("(oci-archive)\n"));
    // The same image and roots; the blocks may come in another order (the archive's).
    ImportedCar from_dir = read_import(tmp / (name + "-dir.car"));
    ImportedCar imported = read_import(tmp / (name + "-tar.car"));
    EXPECT_EQ(imported.car.roots, from_dir.car.roots) << name;
    EXPECT_EQ(imported.car.blocks.size(), from_dir.car.blocks.size()) << name;
    EXPECT_EQ(imported.bytes.size(), from_dir.bytes.size()) << name;
    expect_blobs(imported, layout);
  }
}

// A legacy docker save tarball: manifest.json, <config hex>.json, <id>/layer.tar; the third
// layer is a symlink to the first, as docker writes a repeated layer.
struct DockerSave {
  std::string config;
  std::vector<std::string> layers;  // the layer.tar of each
};

DockerSave make_docker_save(const fs::path& dir, const fs::path& tarball) {
  DockerSave save;
  save.layers = {make_tar(dir.parent_path(), {{"big.bin", noise(1200 * 1024)}}, false),
                 make_tar(dir.parent_path(), {{"etc/motd", "hi\n"}}, false)};
  save.layers.push_back(save.layers[0]);
  json config = json::parse(config_text("amd64"));
  config["rootfs"]["diff_ids"] = json::array();
  for (const auto& layer : save.layers)
    config["rootfs"]["diff_ids"].push_back(sha256_digest(layer));
  save.config = config.dump();
  std::string hex = sha256_digest(save.config).substr(7);
  write_file(dir / (hex + ".json"), save.config);
  write_file(dir / "aaa/layer.tar", save.layers[0]);
  write_file(dir / "bbb/layer.tar", save.layers[1]);
  fs::create_directories(dir / "ccc");
  fs::create_symlink("../aaa/layer.tar", dir / "ccc/layer.tar");
  json manifest = json::array({{{"Config", hex + ".json"},
                                {"RepoTags", {"hello:1.0"}},
                                {"Layers", {"aaa/layer.tar", "bbb/layer.tar", "ccc/layer.tar"}}}});
  write_file(dir / "manifest.json", manifest.dump());
  write_file(dir / "repositories", R"({"hello":{"1.0":"ccc"}})");
  auto run = shell("tar -cf " + quote(tarball) + " -C " + quote(dir) + " .");
  if (run.exit_code != 0) throw std::runtime_error("tar failed: " + run.output);
  return save;
}

TEST(ImportCli, ADockerSaveTarballKeepsItsImageIdAndDiffIds) {
  TempDir tmp;
  DockerSave save = make_docker_save(tmp / "save", tmp / "save.tar");
  auto run = ocipfs_in(tmp.path(), "import save.tar --car=image.car");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ImportedCar imported = read_import(tmp / "image.car");
  EXPECT_EQ(imported.document.tag, "1.0");
  EXPECT_EQ(imported.document.manifest.media_type, oci_manifest_media_type);
  std::string manifest(block_of(imported.car, digest_cid(imported.document.manifest.digest)).bytes);
  EXPECT_EQ(sha256_digest(manifest), imported.document.manifest.digest);
  auto blobs = parse_manifest_blobs(manifest);
  ASSERT_TRUE(blobs.has_value()) << blobs.error();
  std::string image_id = sha256_digest(save.config);
  EXPECT_EQ(blobs->config.digest, image_id);
  EXPECT_EQ(std::string(block_of(imported.car, digest_cid(image_id)).bytes), save.config);
  ASSERT_EQ(blobs->layers.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(blobs->layers[i].digest, sha256_digest(save.layers[i])) << i;
    EXPECT_EQ(blobs->layers[i].size, save.layers[i].size()) << i;
    EXPECT_EQ(blobs->layers[i].media_type, oci_layer_tar) << i;
  }
  std::vector<BlobDescriptor> layers = blobs->layers;
  EXPECT_EQ(manifest, docker_save_manifest(blobs->config, layers));
  EXPECT_EQ(imported.document.layers.size(), 2u);
  for (const auto& layer : save.layers)
    EXPECT_EQ(imported.document.layers.at(sha256_digest(layer)),
              import_file(layer, {}).cid.to_string());
  EXPECT_THAT(run.output, HasSubstr("source          save.tar (docker save)\n"));
  EXPECT_THAT(run.output, HasSubstr("config          " + image_id + "\n"));
  EXPECT_THAT(run.output, HasSubstr("layers          3 ("));
  EXPECT_THAT(run.output, HasSubstr(" bytes, 2 distinct)\n"));
}

// ---------------------------------------------------------------- failures

std::vector<std::string> names_in(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void expect_failure(const fs::path& dir, const std::string& source, const std::string& message) {
  auto run = ocipfs_in(dir, "import " + source + " --car=" + dir.string() + "/out/out.car");
  EXPECT_EQ(run.exit_code, 1) << source << ": " << run.output;
  EXPECT_THAT(run.output, StartsWith("ocipfs: ")) << source;
  EXPECT_THAT(run.output, HasSubstr(message)) << source;
  EXPECT_EQ(line_count(run.output), 1) << source << ": " << run.output;
  EXPECT_TRUE(names_in(dir / "out").empty()) << source << ": no CAR is left";
}

std::string blob_file(const Layout& layout, const json& descriptor) {
  return (layout.dir / "blobs/sha256" / descriptor["digest"].get<std::string>().substr(7)).string();
}

TEST(ImportCli, BadBlobsFailWithOneLineAndNoCar) {
  TempDir tmp;
  fs::create_directories(tmp / "out");
  Layout layout{tmp / "corrupt"};
  Layers layers = add_layers(layout, tmp.path());
  json config = layout.add(std::string(oci_config_media_type), config_text("amd64"));
  layout.write_index({{manifest_descriptor(layout, config, {layers.big, layers.small}), ""}});
  fs::copy(layout.dir, tmp / "missing", fs::copy_options::recursive);
  fs::copy(layout.dir, tmp / "bad-config", fs::copy_options::recursive);
  std::string big = read_file(blob_file(layout, layers.big));
  big[big.size() / 2] ^= 1;
  write_file(blob_file(layout, layers.big), big);
  expect_failure(tmp.path(), "corrupt",
                 "layer " + layers.big["digest"].get<std::string>() + ": its bytes hash to");
  fs::remove(blob_file(Layout{tmp / "missing"}, layers.small));
  expect_failure(
      tmp.path(), "missing",
      "layer " + layers.small["digest"].get<std::string>() + ": the source has no such blob");
  write_file(blob_file(Layout{tmp / "bad-config"}, config), config_text("arm64") + "   ");
  expect_failure(tmp.path(), "bad-config", "config of manifest sha256:");
  expect_failure(
      tmp.path(), "bad-config",
      "has " + std::to_string(config_text("arm64").size() + 3) + " bytes, but its descriptor says");
  write_file(tmp / "empty/oci-layout", "{}");
  expect_failure(tmp.path(), "empty", "\"empty\": it is not an OCI layout: it has no index.json");
}

// A blob that is a FIFO would block import's read for ever: every file import reads is refused
// unless it is a regular file, at once (`timeout 20` stops the command that would hang).
TEST(ImportCli, BlobsThatAreNotRegularFilesAreRefused) {
  TempDir tmp;
  fs::create_directories(tmp / "out");
  Layout layout{tmp / "layout"};
  json manifest = make_single(layout, tmp.path());
  Layout config_fifo{tmp / "config-fifo"};
  fs::copy(layout.dir, config_fifo.dir, fs::copy_options::recursive);
  Layout layer_fifo{tmp / "layer-fifo"};
  fs::copy(layout.dir, layer_fifo.dir, fs::copy_options::recursive);
  json document = json::parse(layout.blobs.at(manifest["digest"].get<std::string>()));
  struct Case {
    fs::path source;
    std::string blob;
  };
  for (const Case& c :
       std::vector<Case>{{config_fifo.dir, blob_file(config_fifo, document["config"])},
                         {layer_fifo.dir, blob_file(layer_fifo, document["layers"][1])},
                         {tmp / "index-fifo", (tmp / "index-fifo/index.json").string()}}) {
    if (c.source == tmp / "index-fifo") fs::copy(layout.dir, c.source, fs::copy_options::recursive);
    fs::remove(c.blob);
    ASSERT_EQ(::mkfifo(c.blob.c_str(), 0600), 0);
    auto run = testing::run_command("cd " + quote(tmp.path()) + " && " + clean_env +
                                    " timeout 20 " + OCIPFS_CLI_PATH + " import " +
                                    quote(c.source) + " --car=out/out.car 2>&1");
    EXPECT_EQ(run.exit_code, 1) << c.blob << ": " << run.output;
    EXPECT_THAT(run.output,
                HasSubstr("cannot read \"" + c.blob + "\": it is a FIFO, not a regular file"));
    EXPECT_EQ(line_count(run.output), 1) << run.output;
    EXPECT_TRUE(names_in(tmp / "out").empty()) << c.blob;
  }
}

// SIGHUP while the CAR is written: its hidden temporary file is removed on the way out, and the
// command dies of the signal.
TEST(ImportCli, AnInterruptedImportLeavesNoTemporaryFiles) {
  TempDir tmp;
  fs::create_directories(tmp / "out");
  Layout layout{tmp / "layout"};
  json layer = layout.add(std::string(oci_layer_tar_gzip),
                          make_tar(tmp.path(), {{"noise.bin", noise(16 * 1024 * 1024)}}, true));
  json config = layout.add(std::string(oci_config_media_type), config_text("amd64"));
  layout.write_index({{manifest_descriptor(layout, config, {layer}), "v1"}});
  std::string out = (tmp / "out").string();
  pid_t pid = testing::spawn({OCIPFS_CLI_PATH, "import", "layout", "--car=out/image.car"},
                             tmp.path().string());
  auto interrupted = testing::interrupt_when(
      pid, SIGHUP, [&] { return testing::has_temporaries(out); }, std::chrono::seconds(60));
  ASSERT_TRUE(interrupted.sent) << "no temporary file seen while import ran";
  EXPECT_TRUE(WIFSIGNALED(interrupted.status)) << interrupted.status;
  EXPECT_EQ(WTERMSIG(interrupted.status), SIGHUP);
  EXPECT_TRUE(names_in(tmp / "out").empty());
}

// The report to a full disk or a closed stdout: the command fails, whatever it wrote.
TEST(ImportCli, AStdoutThatCannotBeWrittenIsAFailure) {
  TempDir tmp;
  Layout layout{tmp / "layout"};
  make_small(layout, tmp.path());
  for (std::string redirect : {">/dev/full", ">&-"}) {
    auto run =
        testing::run_command("cd " + quote(tmp.path()) + " && " + clean_env + " " +
                             OCIPFS_CLI_PATH + " import layout --car=out.car 2>&1 " + redirect);
    EXPECT_EQ(run.exit_code, 1) << redirect << ": " << run.output;
    EXPECT_THAT(run.output, StartsWith("ocipfs: cannot write to stdout: ")) << redirect;
    EXPECT_EQ(line_count(run.output), 1) << run.output;
  }
}

TEST(ImportCli, ATruncatedArchiveFails) {
  TempDir tmp;
  fs::create_directories(tmp / "out");
  Layout layout{tmp / "layout"};
  make_single(layout, tmp.path());
  ASSERT_EQ(
      shell("tar -cf " + quote(tmp / "full.tar") + " -C " + quote(layout.dir) + " .").exit_code, 0);
  std::string full = read_file(tmp / "full.tar");
  // Cut inside the big layer, and inside the first entry (the end-of-archive padding aside).
  for (std::size_t cut : {full.size() / 2, std::size_t{700}}) {
    write_file(tmp / "cut.tar", full.substr(0, cut));
    auto run = ocipfs_in(tmp.path(), "import cut.tar --car=out/out.car");
    EXPECT_EQ(run.exit_code, 1) << cut << ": " << run.output;
    EXPECT_THAT(run.output, StartsWith("ocipfs: \"cut.tar\": ")) << cut;
    EXPECT_EQ(line_count(run.output), 1) << run.output;
    EXPECT_TRUE(names_in(tmp / "out").empty());
  }
  DockerSave save = make_docker_save(tmp / "save", tmp / "save.tar");
  std::string saved = read_file(tmp / "save.tar");
  write_file(tmp / "save-cut.tar", saved.substr(0, saved.size() / 2));
  expect_failure(tmp.path(), "save-cut.tar", "\"save-cut.tar\": ");

  // A config whose bytes are not the image ID its name says.
  std::string hex = sha256_digest(save.config).substr(7);
  write_file(tmp / "save" / (hex + ".json"), save.config + " ");
  ASSERT_EQ(
      shell("tar -cf " + quote(tmp / "bad-id.tar") + " -C " + quote(tmp / "save") + " .").exit_code,
      0);
  expect_failure(tmp.path(), "bad-id.tar", "not the digest its name says");
  // A layer.tar that is not its diff_id.
  write_file(tmp / "save" / (hex + ".json"), save.config);
  write_file(tmp / "save/bbb/layer.tar",
             save.layers[1].substr(0, 512) + std::string(512, 'x') + save.layers[1].substr(1024));
  ASSERT_EQ(shell("tar -cf " + quote(tmp / "bad-layer.tar") + " -C " + quote(tmp / "save") + " .")
                .exit_code,
            0);
  expect_failure(tmp.path(), "bad-layer.tar",
                 "layer " + sha256_digest(save.layers[1]) + ": its bytes hash to");
}

TEST(ImportCli, BadShapesFailWithOneLineAndNoCar) {
  TempDir tmp;
  fs::create_directories(tmp / "out");
  // An index nested three deep.
  Layout deep{tmp / "deep"};
  Layers layers = add_layers(deep, tmp.path());
  json config = deep.add(std::string(oci_config_media_type), config_text("amd64"));
  json node = manifest_descriptor(deep, config, {layers.small});
  for (int level = 0; level < 3; ++level)
    node = deep.add(std::string(oci_index_media_type),
                    json{{"schemaVersion", 2}, {"manifests", {node}}}.dump());
  deep.write_index({{node, ""}});
  expect_failure(tmp.path(), "deep", "nests indexes deeper than 2 levels");

  // Two levels are fine.
  Layout two{tmp / "two"};
  json inner = manifest_descriptor(
      two, two.add(std::string(oci_config_media_type), config_text("amd64")), {});
  for (int level = 0; level < 2; ++level)
    inner = two.add(std::string(oci_index_media_type),
                    json{{"schemaVersion", 2}, {"manifests", {inner}}}.dump());
  two.write_index({{inner, ""}});
  auto run = ocipfs_in(tmp.path(), "import two --car=two.car");
  EXPECT_EQ(run.exit_code, 0) << run.output;

  Layout many{tmp / "many"};
  json layer = many.add(std::string(oci_layer_tar), make_tar(tmp.path(), {{"x", "x"}}, false));
  json manifest =
      manifest_descriptor(many, many.add(std::string(oci_config_media_type), config_text("amd64")),
                          std::vector<json>(128, layer));
  many.write_index({{manifest, "a"}, {manifest, "b"}});
  expect_failure(tmp.path(), "many", "refs: \"a\", \"b\"");
  expect_failure(tmp.path(), "many:b", "128 layers; at most 127");

  Layout big{tmp / "big"};
  json huge =
      manifest_descriptor(big, big.add(std::string(oci_config_media_type), config_text("amd64")),
                          {}, {{"annotations", {{"x", std::string(max_verbatim_blob_size, 'x')}}}});
  big.write_index({{huge, ""}});
  expect_failure(tmp.path(), "big",
                 "is " + std::to_string(huge["size"].get<std::size_t>()) +
                     " bytes; at most 1048576 are allowed");
  Layout big_config{tmp / "big-config"};
  big_config.write_index(
      {{manifest_descriptor(
            big_config,
            big_config.add(std::string(oci_config_media_type), std::string(2 << 20, ' ')), {}),
        ""}});
  expect_failure(tmp.path(), "big-config", "config of manifest sha256:");
  write_file(tmp / "junk.tar", "not a tarball at all");
  expect_failure(tmp.path(), "junk.tar", "\"junk.tar\": ");
}

TEST(ImportCli, ArchiveEntriesOutsideTheArchiveAreRefused) {
  TempDir tmp;
  fs::create_directories(tmp / "out");
  write_file(tmp / "in/index.json", "{}");
  ASSERT_EQ(
      shell("cd " + quote(tmp / "in") + " && tar -cPf ../dotdot.tar ../in/index.json").exit_code,
      0);
  expect_failure(tmp.path(), "dotdot.tar", "has a \"..\" component");
}

TEST(ImportCli, UsageErrorsExitTwoWithOneLine) {
  TempDir tmp;
  Layout layout{tmp / "layout"};
  make_single(layout, tmp.path());
  struct Case {
    std::string args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"import layout", "import needs --car=FILE or --ipfs-api=URL (or $IPFS_API)"},
           {"import --car=x.car", "import takes one SOURCE, not 0"},
           {"import a b --car=x.car", "import takes one SOURCE, not 2"},
           {"import layout --car=x.car -o y", "--output is not an option of import"},
           {"import layout --car=x.car --timeout=5s", "--timeout is for --ipfs-api"},
           {"import layout --ipfs-api=ftp://node", "--ipfs-api"},
           {"import layout --car=layout/x.car", "inside it"},
       }) {
    auto run = ocipfs_in(tmp.path(), c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args << ": " << run.output;
    EXPECT_THAT(run.output, StartsWith("ocipfs: ")) << c.args;
    EXPECT_THAT(run.output, HasSubstr(c.message)) << c.args;
    EXPECT_EQ(line_count(run.output), 1) << c.args << ": " << run.output;
  }
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"layout"});
}

// ---------------------------------------------------------------- through a node

std::string dag_import_answer(const std::vector<Cid>& roots) {
  std::string body;
  for (const auto& root : roots)
    body += json{{"Root", {{"Cid", {{"/", root.to_string()}}}, {"PinErrorMsg", ""}}}}.dump() + "\n";
  return body;
}

TEST(ImportCli, SendsTheCarToTheNodeAndChecksEveryRootIsPinned) {
  TempDir tmp;
  Layout layout{tmp / "layout"};
  make_small(layout, tmp.path());
  auto run = ocipfs_in(tmp.path(), "import layout --car=image.car");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ImportedCar imported = read_import(tmp / "image.car");

  testing::FakeGateway node;
  const std::string target = dag_import_target("");
  testing::FakeReply reply;
  reply.body = dag_import_answer(imported.car.roots);
  node.set(target, reply);
  fs::create_directories(tmp / "tmp");
  std::string env = clean_env + " TMPDIR=" + quote(tmp / "tmp");
  run = ocipfs_in(tmp.path(), "import layout --ipfs-api=" + node.url(), env);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(node.request_count(target), 1u);
  EXPECT_THAT(run.output, HasSubstr("reference       127.0.0.1:5000/image/" +
                                    imported.car.roots[0].to_string() + ":v1\n"));
  EXPECT_TRUE(names_in(tmp / "tmp").empty()) << "the temporary CAR is removed";

  // A root the node does not pin fails; bad input sends nothing.
  std::vector<Cid> fewer(imported.car.roots.begin(), imported.car.roots.end() - 1);
  reply.body = dag_import_answer(fewer);
  node.set(target, reply);
  run = ocipfs_in(tmp.path(), "import layout --ipfs-api=" + node.url(), env);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("did not list the root " + imported.car.roots.back().to_string()));
  fs::remove(tmp / "layout/index.json");
  run = ocipfs_in(tmp.path(), "import layout --ipfs-api=" + node.url(), env);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(node.request_count(target), 2u);
  EXPECT_TRUE(names_in(tmp / "tmp").empty());
}

}  // namespace
}  // namespace ocipfs
