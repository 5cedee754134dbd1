#include "ocipfs/publish/compose.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>

#include "ocipfs/base/text.hpp"
#include "ocipfs/http/route.hpp"
#include "ocipfs/publish/pack.hpp"
#include "ocipfs/publish/path_relation.hpp"

namespace ocipfs {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kinds_accepted =
    " is not a directory, a tarball, HOST/layer/<CID> or a CID";

// Where the name layer/<CID> of a reference starts: 0, or just after "HOST/" (HOST not empty);
// npos when the entry is no such reference.
std::size_t name_start(std::string_view entry) {
  if (entry.starts_with("layer/")) return 0;
  auto slash = entry.rfind("/layer/");
  return slash == std::string_view::npos || slash == 0 ? std::string_view::npos : slash + 1;
}

// [HOST/]layer/<CID>[:TAG|@DIGEST]: the layer manifest's CID, or why ocipfsd would refuse it.
Expected<Cid> reference_cid(std::string_view entry, std::size_t start) {
  std::string_view rest = entry.substr(start);
  std::string_view name = rest;
  std::string_view reference = "latest";
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    name = rest.substr(0, at);
    reference = rest.substr(at + 1);
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    name = rest.substr(0, colon);
    reference = rest.substr(colon + 1);
  }
  // The same routing code as ocipfsd, on the request a client would send.
  std::string path = "/v2/" + std::string(name) + "/manifests/" + std::string(reference);
  auto route = parse_route(path);
  if (!route) return Unexpected{route.error().error.message};
  if (route->kind != RouteKind::manifest || route->repository.kind != DocumentKind::layer)
    return Unexpected{std::string("it does not name a layer manifest")};
  return route->repository.cid;
}

// Text that can only have been meant as a CID: one long word of letters and digits.
bool looks_like_cid(std::string_view entry) {
  return entry.size() >= 40 &&
         std::all_of(entry.begin(), entry.end(), [](unsigned char c) { return std::isalnum(c); });
}

std::optional<ComposeLayer> on_disk(std::string_view entry, const fs::path& base,
                                    const PathProbe& probe) {
  fs::path entry_path{std::string(entry)};
  fs::path path = entry_path.is_absolute() ? entry_path : base / entry_path;
  switch (probe(path)) {
    case PathKind::directory:
      return ComposeLayer{ComposeLayerKind::directory, std::string(entry), path, {}};
    case PathKind::regular_file:
      return ComposeLayer{ComposeLayerKind::tarball, std::string(entry), path, {}};
    case PathKind::other:
      break;
  }
  return std::nullopt;
}

// `layer` placed at `at`: only a directory's contents can be placed elsewhere than the root.
Expected<ComposeLayer> placed(Expected<ComposeLayer> layer, const std::string& at) {
  if (!layer || at == "/") return layer;
  std::string entry = in_quotes(layer->entry, 200);
  switch (layer->kind) {
    case ComposeLayerKind::directory:
      layer->at = at;
      return layer;
    case ComposeLayerKind::tarball:
      return Unexpected{entry +
                        " is a tarball, and \"at\" places only a directory's contents (a "
                        "tarball is stored as it is): give the directory instead, or leave out "
                        "\"at\" and store the tarball's entries under " +
                        in_quotes(at.substr(1) + "/", 200)};
    case ComposeLayerKind::existing:
      break;
  }
  return Unexpected{entry +
                    " names a layer manifest already stored, and \"at\" places only a "
                    "directory's contents: leave out \"at\""};
}

}  // namespace

Expected<ComposeLayer> classify_compose_layer(std::string_view entry, const fs::path& base,
                                              const PathProbe& probe) {
  if (entry.empty()) return Unexpected{std::string("an empty entry") + std::string(kinds_accepted)};
  if (auto layer = on_disk(entry, base, probe)) {
    if (layer->kind == ComposeLayerKind::tarball &&
        !layer_media_type_for(layer->path.filename().string()))
      return Unexpected{in_quotes(entry, 200) +
                        " is a file but not a tarball: its name does not end in .tar, .tar.gz "
                        "or .tar.zst"};
    return std::move(*layer);
  }
  std::string refused = in_quotes(entry, 200) + std::string(kinds_accepted);
  if (auto start = name_start(entry); start != std::string_view::npos) {
    auto cid = reference_cid(entry, start);
    if (!cid) return Unexpected{refused + " (as a reference: " + cid.error() + ")"};
    return ComposeLayer{ComposeLayerKind::existing, std::string(entry), {}, std::move(*cid)};
  }
  auto cid = parse_cid(entry);
  if (cid) return ComposeLayer{ComposeLayerKind::existing, std::string(entry), {}, std::move(*cid)};
  if (looks_like_cid(entry)) return Unexpected{refused + " (as a CID: " + cid.error() + ")"};
  return Unexpected{refused};
}

Expected<std::vector<ComposeLayer>> classify_compose_layers(
    const std::vector<ComposeEntry>& entries, const fs::path& compose_file,
    const PathProbe& probe) {
  fs::path base = compose_file.parent_path();
  if (base.empty()) base = ".";
  std::vector<ComposeLayer> layers;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto layer = placed(classify_compose_layer(entries[i].path, base, probe), entries[i].at);
    if (!layer)
      return Unexpected{"layer " + std::to_string(i + 1) + " of compose file " +
                        in_quotes(compose_file.string(), 200) + ": " + layer.error()};
    layers.push_back(std::move(*layer));
  }
  return layers;
}

std::string reach_problem(std::string_view entry, const fs::path& resolved,
                          const std::vector<fs::path>& roots) {
  auto within_any = [&](std::size_t first) {
    for (std::size_t i = first; i < roots.size(); ++i)
      if (is_within(resolved, roots[i])) return true;
    return false;
  };
  std::string directory = roots.empty() ? "" : in_quotes(roots.front().string(), 200);
  std::string allow = ": a compose file reaches only what is under its own directory (" +
                      directory + "); move it there, or allow its directory with " +
                      "--allow-outside=DIR";
  if (fs::path(std::string(entry)).is_absolute()) {
    if (within_any(1)) return {};
    return in_quotes(entry, 200) + " is an absolute path" + allow;
  }
  if (within_any(0)) return {};
  return in_quotes(entry, 200) + " leads outside the compose file's directory (to " +
         in_quotes(resolved.string(), 200) + ")" + allow;
}

std::size_t packed_layer_count(const std::vector<ComposeLayer>& layers) {
  return static_cast<std::size_t>(std::count_if(layers.begin(), layers.end(), [](const auto& l) {
    return l.kind != ComposeLayerKind::existing;
  }));
}

}  // namespace ocipfs
