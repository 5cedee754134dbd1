#include "layout_source.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "ocipfs/base/text.hpp"
#include "ocipfs/image/verbatim_image.hpp"
#include "ocipfs/publish/regular_file.hpp"
#include "step_failure.hpp"

namespace ocipfs::publish_detail {

namespace fs = std::filesystem;

namespace {

using File = InputFile;

File open_for_reading(const fs::path& path, const std::string& prefix = "") {
  auto file = open_regular_file(path);
  if (!file) fail(prefix + "cannot read " + path_in_quotes(path) + ": " + file.error());
  return std::move(*file);
}

fs::path blob_path(const fs::path& layout, std::string_view digest) {
  return layout / "blobs" / "sha256" / std::string(digest.substr(7));
}

// Reads `path` whole, at most `limit` bytes; nullopt when it does not exist.
std::optional<std::string> read_small_file(const fs::path& path, std::size_t limit) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  File in = open_for_reading(path);
  std::string bytes(limit + 1, '\0');
  std::size_t size = std::fread(bytes.data(), 1, bytes.size(), in.get());
  if (std::ferror(in.get()))
    fail("cannot read " + path_in_quotes(path) + ": " + std::strerror(errno));
  if (size > limit)
    fail(path_in_quotes(path) + " is larger than " + std::to_string(limit) + " bytes, the limit");
  bytes.resize(size);
  return bytes;
}

BlobLookup layout_lookup(const fs::path& layout) {
  return [layout](const BlobDescriptor& blob) -> Expected<std::string> {
    fs::path path = blob_path(layout, blob.digest);
    auto bytes = read_small_file(path, max_verbatim_blob_size);
    if (!bytes)
      return Unexpected{"the source has no such blob (" + path_in_quotes(path) + " is missing)"};
    return std::move(*bytes);
  };
}

void import_layout_layers(const fs::path& layout, const std::vector<BlobDescriptor>& layers,
                          const BlockSink& sink, LayerNodes& nodes) {
  std::string buffer(layer_read_size, '\0');
  for (const auto& layer : layers) {
    fs::path path = blob_path(layout, layer.digest);
    File in = open_for_reading(path, "layer " + layer.digest + ": ");
    LayerStream stream(layer, sink);
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), in.get()))
      stream.write(std::string_view(buffer.data(), n));
    if (std::ferror(in.get()))
      fail("cannot read " + path_in_quotes(path) + ": " + std::strerror(errno));
    nodes[layer.digest] = stream.finish();
  }
}

void check_layout_layers(const fs::path& layout, const std::vector<BlobDescriptor>& layers) {
  for (const auto& layer : layers) {
    std::error_code ec;
    fs::path path = blob_path(layout, layer.digest);
    if (fs::exists(path, ec)) {
      open_for_reading(path, "layer " + layer.digest + ": ");  // refuses a FIFO, a directory
      continue;
    }
    fail("layer " + layer.digest + ": the source has no such blob (" + path_in_quotes(path) +
         " is missing)");
  }
}

}  // namespace

OpenedSource open_layout(const fs::path& layout, std::string_view ref) {
  auto index = read_small_file(layout / "index.json", max_verbatim_blob_size);
  if (!index) fail("it is not an OCI layout: it has no index.json");
  auto entry = value_or_fail(choose_layout_entry(*index, ref), "index.json: ");
  OpenedSource source;
  source.kind = ImageSourceKind::oci_layout;
  source.top = entry.descriptor;
  source.tag = tag_or_empty(entry.ref_name);
  source.lookup = layout_lookup(layout);
  source.check_layers = [layout](const auto& layers) { check_layout_layers(layout, layers); };
  source.import_layers = [layout](const auto& layers, const BlockSink& sink, LayerNodes& nodes) {
    import_layout_layers(layout, layers, sink, nodes);
  };
  return source;
}

}  // namespace ocipfs::publish_detail
