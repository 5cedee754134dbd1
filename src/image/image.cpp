#include "ocipfs/image/image.hpp"

#include <algorithm>
#include <array>
#include <functional>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/image/document_writer.hpp"

namespace ocipfs {

namespace {

const std::array<Platform, 8> all_platforms = {{
    {"linux", "amd64", ""},
    {"linux", "arm64", "v8"},
    {"linux", "arm", "v7"},
    {"linux", "arm", "v6"},
    {"linux", "386", ""},
    {"linux", "ppc64le", ""},
    {"linux", "s390x", ""},
    {"linux", "riscv64", ""},
}};

// `view` moved from `from`'s arena to `to`'s when it lies in it (static texts stay).
std::string_view moved(std::string_view view, const char* from, std::size_t size, const char* to) {
  const std::less<const char*> before;
  if (view.empty() || before(view.data(), from) || !before(view.data(), from + size)) return view;
  return {to + (view.data() - from), view.size()};
}

DocumentFacts facts_of(const Document& document) { return {document.digest, document.size}; }

// What malloc takes for a block of `bytes`: glibc's chunk, its size word included, 16-byte
// aligned, 32 bytes at least.
std::size_t heap_block(std::size_t bytes) {
  return bytes ? std::max<std::size_t>(32, (bytes + 8 + 15) & ~std::size_t{15}) : 0;
}

template <typename T>
std::size_t vector_heap(const std::vector<T>& items) {
  return heap_block(items.capacity() * sizeof(T));
}

}  // namespace

std::span<const Platform> default_platforms() { return all_platforms; }

Image::Image(const Image& other) { *this = other; }

Image& Image::operator=(const Image& other) {
  if (this == &other) return *this;
  arena_size_ = other.arena_size_;
  arena_ = std::make_unique_for_overwrite<char[]>(arena_size_);
  std::copy_n(other.arena_.get(), arena_size_, arena_.get());
  cid_ = other.cid_;
  container_config_ = other.container_config_;
  annotations_ = other.annotations_;
  tags_ = other.tags_;
  documents_ = other.documents_;
  layers_ = other.layers_;
  paths_ = other.paths_;
  verbatim_ = other.verbatim_;
  own_platforms_ = other.own_platforms_;
  rebase(other);
  return *this;
}

void Image::rebase(const Image& from) {
  auto move = [&](std::string_view& view) {
    view = moved(view, from.arena_.get(), from.arena_size_, arena_.get());
  };
  move(cid_);
  move(container_config_);
  move(annotations_);
  for (auto& layer : layers_) {
    move(layer.media_type);
    move(layer.ipfs_path);
    move(layer.manifest_cid);
  }
  for (auto& path : paths_) {
    move(path.root);
    move(path.root_v1);
    move(path.encoded_segments);
  }
  for (auto& kept : verbatim_) {
    move(kept.bytes);
    move(kept.media_type);
  }
}

bool Image::has_tag(std::string_view tag) const {
  return std::find(tags_.begin(), tags_.end(), tag) != tags_.end();
}

const Document* Image::find_document(const Sha256& digest) const {
  for (const auto& document : documents_)
    if (document.digest == digest) return &document;
  return nullptr;
}

const Document* Image::find_document(std::string_view digest) const {
  auto hash = sha256_of_digest(digest);
  return hash ? find_document(*hash) : nullptr;
}

const Document* Image::index() const {
  return role(documents_.front()) == DocumentRole::index ? &documents_.front() : nullptr;
}

const Document& Image::default_manifest() const { return manifest_of(0); }

namespace {

std::size_t position(std::span<const Document> documents, const Document& document) {
  return static_cast<std::size_t>(&document - documents.data());
}

// A synthesized image keeps the index first, then each platform's manifest and config in turn; a
// verbatim image says of each document what it is.
const Document& document_of(const Image& image, DocumentRole role, std::size_t platform) {
  std::span<const Document> documents = image.documents();
  if (!image.verbatim()) return documents[(role == DocumentRole::manifest ? 1 : 2) + 2 * platform];
  for (const Document& document : documents)
    if (image.role(document) == role && image.platform_of(document) == platform) return document;
  return documents.front();  // unreachable: every platform has a manifest and a config
}

}  // namespace

DocumentRole Image::role(const Document& document) const {
  const std::size_t at = position(documents_, document);
  if (verbatim()) return verbatim_[at].role;
  if (at == 0) return DocumentRole::index;
  return at % 2 ? DocumentRole::manifest : DocumentRole::config;
}

std::size_t Image::platform_of(const Document& document) const {
  const std::size_t at = position(documents_, document);
  if (verbatim()) return verbatim_[at].platform;
  return at ? (at - 1) / 2 : 0;
}

const Document& Image::manifest_of(std::size_t platform) const {
  return document_of(*this, DocumentRole::manifest, platform);
}

const Document& Image::config_of(std::size_t platform) const {
  return document_of(*this, DocumentRole::config, platform);
}

std::span<const Platform> Image::platforms() const {
  if (own_platforms_.empty()) return default_platforms();
  return own_platforms_;
}

std::string_view Image::media_type(const Document& document) const {
  if (verbatim()) return verbatim_[position(documents_, document)].media_type;
  switch (role(document)) {
    case DocumentRole::index:
      return oci_index_media_type;
    case DocumentRole::manifest:
      return oci_manifest_media_type;
    default:
      return oci_config_media_type;
  }
}

std::string_view Image::kept_bytes(const Document& document) const {
  return verbatim() ? verbatim_[position(documents_, document)].bytes : std::string_view();
}

void Image::render(const Document& document, std::string& out) const {
  if (verbatim()) {
    out += kept_bytes(document);
    return;
  }
  std::span<const Platform> all = platforms();
  const DocumentRole what = role(document);
  if (what == DocumentRole::config) {
    append_image_config(out, all[platform_of(document)], container_config_, layers_);
  } else if (what == DocumentRole::manifest) {
    append_image_manifest(out, annotations_, facts_of(config_of(platform_of(document))), layers_);
  } else {
    std::array<IndexEntry, all_platforms.size()> entries;
    for (std::size_t i = 0; i < all.size(); ++i) entries[i] = {&all[i], facts_of(manifest_of(i))};
    append_image_index(out, std::span(entries.data(), all.size()));
  }
}

std::string Image::rendered(const Document& document) const {
  std::string out;
  out.reserve(document.size);
  render(document, out);
  return out;
}

const ImageLayer* Image::layer_by_digest(const Sha256& digest) const {
  for (const auto& layer : layers_)
    if (layer.digest == digest) return &layer;
  return nullptr;
}

LayerManifest Image::layer_manifest(std::size_t i) const {
  const ImageLayer& layer = layers_[i];
  LayerManifest out;
  out.media_type = layer.media_type;
  append_sha256_digest(out.digest, layer.digest);
  out.size = layer.size;
  out.ipfs_path = layer.ipfs_path;
  if (auto path = parse_ipfs_path(layer.ipfs_path)) out.path = std::move(*path);
  if (!verbatim()) append_sha256_digest(out.diff_id, layer.diff_id);
  if (!verbatim() && layers_.size() == 1 && own_platforms_.size() == 1)
    out.platform = own_platforms_.front();
  return out;
}

std::size_t Image::heap_size() const {
  std::size_t size = heap_block(arena_size_) + vector_heap(tags_) + vector_heap(documents_) +
                     vector_heap(layers_) + vector_heap(paths_) + vector_heap(verbatim_) +
                     vector_heap(own_platforms_);
  for (const auto& tag : tags_)
    if (tag.capacity() > 15) size += heap_block(tag.capacity() + 1);
  for (const auto& platform : own_platforms_)
    for (const std::string* word : {&platform.os, &platform.architecture, &platform.variant})
      if (word->capacity() > 15) size += heap_block(word->capacity() + 1);
  return size;
}

ImageBuilder::ImageBuilder(std::string_view cid) {
  cid_ = put(cid);
  image_.tags_.emplace_back("latest");
}

ImageBuilder::Piece ImageBuilder::put(std::string_view text) {
  Piece piece{arena_.size(), text.size()};
  arena_ += text;
  return piece;
}

std::string_view ImageBuilder::view(Piece piece) const {
  return {image_.arena_.get() + piece.offset, piece.size};
}

std::string_view ImageBuilder::view_of(Piece piece) const {
  return std::string_view(arena_).substr(piece.offset, piece.size);
}

void ImageBuilder::add_tag(std::string_view tag) {
  auto& tags = image_.tags_;
  if (!is_tag(tag) || std::find(tags.begin(), tags.end(), tag) != tags.end()) return;
  tags.emplace_back(tag);
  std::sort(tags.begin(), tags.end());
}

void ImageBuilder::set_texts(std::string_view container_config, std::string_view annotations) {
  container_config_ = put(container_config);
  annotations_ = put(annotations);
}

// Texts that another already holds are kept once: a layer image's own CID names its layer
// manifest, a root is often written as CIDv1 already, and few segments need encoding.
void ImageBuilder::add_layer(const LayerManifest& layer, std::string_view manifest_cid) {
  PendingLayer pending;
  pending.static_media_type = static_layer_media_type(layer.media_type);
  if (pending.static_media_type.empty()) pending.media_type = put(layer.media_type);
  pending.ipfs_path = put(layer.ipfs_path);
  pending.manifest_cid = manifest_cid == view_of(cid_) ? cid_ : put(manifest_cid);
  pending.root = {pending.ipfs_path.offset, layer.path.root.size()};
  std::size_t at = arena_.size();
  layer.path.root_cid.append_text(arena_);
  pending.root_v1 = {at, arena_.size() - at};
  if (view_of(pending.root_v1) == layer.path.root) {
    arena_.resize(at);
    pending.root_v1 = pending.root;
  }
  at = arena_.size();
  layer.path.append_encoded_segments(arena_);
  pending.segments = {at, arena_.size() - at};
  const Piece written = {pending.root.offset + pending.root.size,
                         pending.ipfs_path.size - pending.root.size};
  if (view_of(pending.segments) == view_of(written)) {
    arena_.resize(at);
    pending.segments = written;
  }
  pending.digest = sha256_of_digest(layer.digest).value_or(Sha256{});
  pending.diff_id = sha256_of_digest(layer.diff_id).value_or(Sha256{});
  pending.size = layer.size;
  layers_.push_back(pending);
}

bool ImageBuilder::has_layer(std::string_view digest) const {
  auto hash = sha256_of_digest(digest);
  for (const auto& layer : layers_)
    if (hash && layer.digest == *hash) return true;
  return false;
}

void ImageBuilder::set_platforms(std::vector<Platform> platforms) {
  image_.own_platforms_ = std::move(platforms);
}

void ImageBuilder::add_kept(DocumentRole role, std::uint32_t platform, std::string_view digest,
                            std::string_view bytes, std::string_view media_type) {
  image_.documents_.push_back(
      {sha256_of_digest(digest).value_or(Sha256{}), static_cast<std::uint32_t>(bytes.size())});
  kept_.push_back({put(bytes), put(media_type), role, platform});
}

// Renders every document of a synthesized image once, to hash it: configs, then the manifests
// that name them, then the index over those.
void ImageBuilder::synthesize_documents() {
  auto& documents = image_.documents_;
  const std::size_t platforms = image_.platforms().size();
  documents.resize(1 + 2 * platforms);
  std::string text;
  auto hash = [&](Document& document) {
    text.clear();
    image_.render(document, text);
    document.digest = sha256(text);
    document.size = static_cast<std::uint32_t>(text.size());
  };
  for (std::size_t i = 0; i < platforms; ++i) hash(documents[2 + 2 * i]);
  for (std::size_t i = 0; i < platforms; ++i) hash(documents[1 + 2 * i]);
  hash(documents[0]);
}

Image ImageBuilder::finish() {
  image_.arena_size_ = arena_.size();
  image_.arena_ = std::make_unique_for_overwrite<char[]>(arena_.size());
  std::copy(arena_.begin(), arena_.end(), image_.arena_.get());
  image_.cid_ = view(cid_);
  image_.container_config_ = view(container_config_);
  image_.annotations_ = view(annotations_);
  for (const auto& layer : layers_) {
    std::string_view media_type = layer.static_media_type;
    if (media_type.empty()) media_type = view(layer.media_type);
    image_.layers_.push_back({media_type, layer.digest, layer.size, view(layer.ipfs_path),
                              layer.diff_id, view(layer.manifest_cid)});
    image_.paths_.push_back({view(layer.root), view(layer.root_v1), view(layer.segments)});
  }
  for (const auto& kept : kept_)
    image_.verbatim_.push_back({view(kept.bytes), view(kept.media_type), kept.role, kept.platform});
  if (kept_.empty()) synthesize_documents();
  image_.documents_.shrink_to_fit();
  image_.tags_.shrink_to_fit();
  return std::move(image_);
}

namespace {

std::vector<Platform> platforms_of(const std::optional<Platform>& declared) {
  if (declared) return {*declared};
  return {};
}

}  // namespace

Image synthesize_image(std::string cid, LayerManifest layer) {
  ImageBuilder builder(cid);
  builder.set_texts("{}", {});
  builder.add_layer(layer, cid);
  builder.set_platforms(platforms_of(layer.platform));
  builder.add_tag(layer.path.file_name());
  return builder.finish();
}

Expected<std::optional<Platform>> image_platform(const ImageDocument& document,
                                                 const std::vector<LayerManifest>& layers) {
  std::optional<Platform> agreed = document.platform;
  std::string agreed_by = "the image document";
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i].platform) continue;
    std::string layer =
        "layer " + std::to_string(i + 1) + " (" + document.layers[i].to_string() + ")";
    if (agreed && *agreed != *layers[i].platform)
      return Unexpected{layer + " is for " + platform_text(*layers[i].platform) + " but " +
                        agreed_by + " is for " + platform_text(*agreed)};
    if (!agreed) {
      agreed = layers[i].platform;
      agreed_by = layer;
    }
  }
  return agreed;
}

Expected<Image> compose_image(std::string cid, const ImageDocument& document,
                              std::vector<LayerManifest> layers) {
  auto platform = image_platform(document, layers);
  if (!platform) return Unexpected{platform.error()};
  ImageBuilder builder(cid);
  std::string annotations;
  append_string_object(annotations, document.annotations);
  builder.set_texts(container_config_json(document.config), annotations);
  for (std::size_t i = 0; i < layers.size(); ++i)
    builder.add_layer(layers[i], document.layers[i].to_string());
  builder.set_platforms(platforms_of(*platform));
  builder.add_tag(document.tag);
  return builder.finish();
}

}  // namespace ocipfs
