#include "ocipfs/image/image.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <new>
#include <type_traits>

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
  layers_ = other.layers_;
  paths_ = other.paths_;
  tags_ = other.tags_;
  documents_ = other.documents_;
  cid_ = other.cid_;
  container_config_ = other.container_config_;
  annotations_ = other.annotations_;
  verbatim_ = other.verbatim_;
  own_platforms_ = other.own_platforms_;
  rebase(other);
  return *this;
}

void Image::rebase(const Image& from) {
  auto move = [&](std::string_view& view) {
    view = moved(view, from.arena_.get(), from.arena_size_, arena_.get());
  };
  auto move_span = [&](auto& objects) {
    using Object = typename std::remove_reference_t<decltype(objects)>::element_type;
    if (objects.empty()) return;
    const auto offset = reinterpret_cast<const char*>(objects.data()) - from.arena_.get();
    objects = {reinterpret_cast<Object*>(arena_.get() + offset), objects.size()};
  };
  move_span(layers_);
  move_span(paths_);
  move_span(tags_);
  move_span(documents_);
  for (auto& tag : tags_) move(tag);
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

std::string_view Image::own_tag() const {
  for (std::string_view tag : tags_)
    if (tag != "latest") return tag;
  return "latest";
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

const Document* Image::find_manifest(std::string_view digest) const {
  const Document* document = find_document(digest);
  return document && role(*document) != DocumentRole::config ? document : nullptr;
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
  std::size_t size = heap_block(arena_size_) + vector_heap(verbatim_) + vector_heap(own_platforms_);
  for (const auto& platform : own_platforms_)
    for (const std::string* word : {&platform.os, &platform.architecture, &platform.variant})
      if (word->capacity() > 15) size += heap_block(word->capacity() + 1);
  return size;
}

ImageBuilder::ImageBuilder(std::string_view cid) { cid_ = put(cid); }

ImageBuilder::Piece ImageBuilder::put(std::string_view text) {
  Piece piece{texts_.size(), text.size()};
  texts_ += text;
  return piece;
}

std::string_view ImageBuilder::view(Piece piece) const {
  return {finished_texts_ + piece.offset, piece.size};
}

std::string_view ImageBuilder::view_of(Piece piece) const {
  return std::string_view(texts_).substr(piece.offset, piece.size);
}

void ImageBuilder::add_tag(std::string_view tag) {
  if (!is_tag(tag) || std::find(tags_.begin(), tags_.end(), tag) != tags_.end()) return;
  tags_.emplace_back(tag);
  std::sort(tags_.begin(), tags_.end());
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
  std::size_t at = texts_.size();
  layer.path.root_cid.append_text(texts_);
  pending.root_v1 = {at, texts_.size() - at};
  if (view_of(pending.root_v1) == layer.path.root) {
    texts_.resize(at);
    pending.root_v1 = pending.root;
  }
  at = texts_.size();
  layer.path.append_encoded_segments(texts_);
  pending.segments = {at, texts_.size() - at};
  const Piece written = {pending.root.offset + pending.root.size,
                         pending.ipfs_path.size - pending.root.size};
  if (view_of(pending.segments) == view_of(written)) {
    texts_.resize(at);
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
  kept_documents_.push_back(
      {sha256_of_digest(digest).value_or(Sha256{}), static_cast<std::uint32_t>(bytes.size())});
  kept_.push_back({put(bytes), put(media_type), role, platform});
}

// Renders every document of a synthesized image once, to hash it: configs, then the manifests
// that name them, then the index over those.
void ImageBuilder::synthesize_documents() {
  std::span<Document> documents = image_.documents_;
  const std::size_t platforms = image_.platforms().size();
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

namespace {

// Where `count` objects of type T go in an arena being laid out up to `at`, which moves past them.
template <class T>
std::size_t place(std::size_t& at, std::size_t count) {
  at = (at + alignof(T) - 1) / alignof(T) * alignof(T);
  const std::size_t start = at;
  at += count * sizeof(T);
  return start;
}

// The `count` objects of type T made at `offset` in `arena`.
template <class T>
std::span<T> make_at(char* arena, std::size_t offset, std::size_t count) {
  T* first = reinterpret_cast<T*>(arena + offset);
  for (std::size_t i = 0; i < count; ++i) new (first + i) T();
  return {first, count};
}

}  // namespace

// Allocates the image's one block, makes its layers, paths, tags and documents in it, and moves
// the texts gathered so far behind them.
void ImageBuilder::lay_out_arena(std::size_t document_count) {
  std::vector<Piece> tags;
  for (const auto& tag : tags_) tags.push_back(put(tag));
  std::size_t at = 0;
  const std::size_t layers = place<ImageLayer>(at, layers_.size());
  const std::size_t paths = place<IpfsPathText>(at, layers_.size());
  const std::size_t tag_views = place<std::string_view>(at, tags.size());
  const std::size_t documents = place<Document>(at, document_count);
  image_.arena_size_ = at + texts_.size();
  image_.arena_ = std::make_unique_for_overwrite<char[]>(image_.arena_size_);
  char* arena = image_.arena_.get();
  finished_texts_ = std::copy(texts_.begin(), texts_.end(), arena + at) - texts_.size();
  image_.layers_ = make_at<ImageLayer>(arena, layers, layers_.size());
  image_.paths_ = make_at<IpfsPathText>(arena, paths, layers_.size());
  image_.tags_ = make_at<std::string_view>(arena, tag_views, tags.size());
  image_.documents_ = make_at<Document>(arena, documents, document_count);
  for (std::size_t i = 0; i < tags.size(); ++i) image_.tags_[i] = view(tags[i]);
}

Image ImageBuilder::finish() {
  const bool synthesized = kept_.empty();
  lay_out_arena(synthesized ? 1 + 2 * image_.platforms().size() : kept_documents_.size());
  image_.cid_ = view(cid_);
  image_.container_config_ = view(container_config_);
  image_.annotations_ = view(annotations_);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const PendingLayer& layer = layers_[i];
    std::string_view media_type = layer.static_media_type;
    if (media_type.empty()) media_type = view(layer.media_type);
    image_.layers_[i] = {media_type,    layer.digest,
                         layer.size,    view(layer.ipfs_path),
                         layer.diff_id, view(layer.manifest_cid)};
    image_.paths_[i] = {view(layer.root), view(layer.root_v1), view(layer.segments)};
  }
  for (const auto& kept : kept_)
    image_.verbatim_.push_back({view(kept.bytes), view(kept.media_type), kept.role, kept.platform});
  std::copy(kept_documents_.begin(), kept_documents_.end(), image_.documents_.begin());
  if (synthesized) synthesize_documents();
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
