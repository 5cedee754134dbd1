// The image synthesized from a layer manifest or an image document, or kept verbatim: the facts
// its documents (configs, manifests, an index) are made of and the digest of each, the documents
// rendered as canonical bytes when they are asked for.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/ipfs_path.hpp"
#include "ocipfs/image/document_writer.hpp"
#include "ocipfs/image/image_document.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/image/repository.hpp"

namespace ocipfs {

enum class DocumentRole : std::uint8_t { index, manifest, config };

// A document an image serves, as the image keeps it: its digest and size. What it is and the
// platform it is for are the image's to say (Image::role, Image::platform_of).
struct Document {
  Sha256 digest{};
  std::uint32_t size = 0;
};

// What a verbatim image keeps of one of its documents: the bytes, the media type, what it is and
// for a manifest or config the platform it is for.
struct VerbatimText {
  std::string_view bytes;
  std::string_view media_type;
  DocumentRole role = DocumentRole::index;
  std::uint32_t platform = 0;
};

// An image as the registry serves it. Every text it holds lives in one arena; documents of a
// synthesized image are rendered from the facts, a verbatim image's are kept as they came.
class Image {
 public:
  Image() = default;
  Image(const Image& other);
  Image& operator=(const Image& other);
  Image(Image&&) noexcept = default;
  Image& operator=(Image&&) noexcept = default;

  std::string_view cid() const { return cid_; }  // of the document it was made from, CIDv1
  std::span<const std::string_view> tags() const { return tags_; }  // sorted; "latest" among them
  bool has_tag(std::string_view tag) const;
  // The image's own tag, for a reference that names none: the image document's tag or the layer's
  // file name, else "latest".
  std::string_view own_tag() const;
  bool verbatim() const { return !verbatim_.empty(); }

  // Every document served: a synthesized image's index, then each platform's manifest and config
  // in turn; a verbatim image's as it keeps them, its index first when its top is one.
  std::span<const Document> documents() const { return documents_; }
  // The document with this digest ("sha256:<hex>" or binary), or nullptr.
  const Document* find_document(const Sha256& digest) const;
  const Document* find_document(std::string_view digest) const;
  // The index or manifest with this digest, or nullptr: a config is a blob, not a manifest.
  const Document* find_manifest(std::string_view digest) const;
  const Document* index() const;             // the top index (served by tag), or nullptr: none
  const Document& default_manifest() const;  // for clients that take no index
  const Document& manifest_of(std::size_t platform) const;
  const Document& config_of(std::size_t platform) const;
  std::span<const Platform> platforms() const;  // platforms()[0] is the default manifest's

  // What `document` (one of documents()) is, and for a manifest or config the platform it is for
  // (an index into platforms()).
  DocumentRole role(const Document& document) const;
  std::size_t platform_of(const Document& document) const;
  // The media type `document` is served with; lives as long as the image.
  std::string_view media_type(const Document& document) const;
  // Appends the bytes of `document` (one of documents()) to `out`: document.size bytes that hash
  // to document.digest. Allocates nothing when `out` has room.
  void render(const Document& document, std::string& out) const;
  std::string rendered(const Document& document) const;
  // A verbatim image's bytes of `document`, kept in the image; empty for a synthesized one.
  std::string_view kept_bytes(const Document& document) const;

  // The layers, bottom first: diff_id all zero and manifest_cid empty for a verbatim image's.
  std::span<const ImageLayer> layers() const { return layers_; }
  const ImageLayer* layer_by_digest(const Sha256& digest) const;
  // Layer `i`'s IPFS path in the forms a redirect is written from.
  const IpfsPathText& layer_path(std::size_t i) const { return paths_[i]; }
  // The layer manifest layer `i` was made from, rebuilt from its facts (no platform but a layer
  // image's declared one).
  LayerManifest layer_manifest(std::size_t i) const;
  // The CID of layer `i`'s layer manifest, CIDv1 base32; empty for a verbatim image's layer.
  std::string_view layer_manifest_cid(std::size_t i) const { return layers_[i].manifest_cid; }
  // What the image holds on the heap besides its own object, all told.
  std::size_t heap_size() const;

 private:
  friend class ImageBuilder;
  void rebase(const Image& from);

  // One block: the layers, their paths, the tags and the documents, then every text they view.
  std::unique_ptr<char[]> arena_;
  std::size_t arena_size_ = 0;
  std::span<ImageLayer> layers_;
  std::span<IpfsPathText> paths_;  // by layer
  std::span<std::string_view> tags_;
  std::span<Document> documents_;
  std::string_view cid_, container_config_, annotations_;
  std::vector<VerbatimText> verbatim_;   // by document, for a verbatim image
  std::vector<Platform> own_platforms_;  // empty: default_platforms()
};

// Builds an Image: texts go to the arena, views are made when it is done.
class ImageBuilder {
 public:
  explicit ImageBuilder(std::string_view cid);
  void add_tag(std::string_view tag);  // when it is a tag; kept sorted, once
  void set_texts(std::string_view container_config, std::string_view annotations);
  void add_layer(const LayerManifest& layer, std::string_view manifest_cid);
  bool has_layer(std::string_view digest) const;
  void set_platforms(std::vector<Platform> platforms);  // else default_platforms()
  // A verbatim image's document, its bytes kept; `platform` as Image::platform_of says.
  void add_kept(DocumentRole role, std::uint32_t platform, std::string_view digest,
                std::string_view bytes, std::string_view media_type);
  std::vector<Platform>& own_platforms() { return image_.own_platforms_; }
  // Done: a synthesized image renders and hashes its documents here; a verbatim one keeps them.
  Image finish();

 private:
  struct Piece {
    std::size_t offset = 0, size = 0;
  };
  struct PendingLayer {
    std::string_view static_media_type;  // else `media_type`
    Piece media_type, ipfs_path, manifest_cid, root, root_v1, segments;
    Sha256 digest{}, diff_id{};
    std::uint64_t size = 0;
  };
  struct PendingKept {
    Piece bytes, media_type;
    DocumentRole role;
    std::uint32_t platform;
  };
  Piece put(std::string_view text);
  std::string_view view(Piece piece) const;     // in the finished image's arena
  std::string_view view_of(Piece piece) const;  // in the texts being gathered
  void lay_out_arena(std::size_t document_count);
  void synthesize_documents();

  Image image_;
  std::string texts_;
  const char* finished_texts_ = nullptr;  // where the texts lie in the finished image's arena
  Piece cid_, container_config_, annotations_;
  std::vector<std::string> tags_{"latest"};
  std::vector<PendingLayer> layers_;
  std::vector<PendingKept> kept_;
  std::vector<Document> kept_documents_;
};

// The platforms offered when the layer manifest declares none. A layer's files do not depend on
// the CPU, so every platform a builder may ask for gets a manifest of its own.
std::span<const Platform> default_platforms();

// Synthesizes the image for a validated layer manifest. Pure and deterministic: the same inputs
// give the same bytes on every run, instance and version (keys sorted, no whitespace).
Image synthesize_image(std::string cid, LayerManifest layer);

// Synthesizes the image an image document composes of `layers`, the validated layer manifests
// that document.layers names, in that order. Each layer's descriptor is as in a one-layer image;
// the config carries document.config, rootfs.diff_ids in order and one history entry per layer
// naming its layer manifest; every manifest carries document.annotations; the index covers the
// platform that image_platform agrees on, or every default platform. Pure and deterministic.
// The error says which two platforms disagree.
Expected<Image> compose_image(std::string cid, const ImageDocument& document,
                              std::vector<LayerManifest> layers);

// The platform of a composed image: the document's and every layer's that declares one, which
// must all agree; nullopt when none declares one. The error names the two that disagree, e.g.
// `layer 2 (bafk...) is for linux/arm64 but layer 1 (bafk...) is for linux/amd64`.
Expected<std::optional<Platform>> image_platform(const ImageDocument& document,
                                                 const std::vector<LayerManifest>& layers);

}  // namespace ocipfs
