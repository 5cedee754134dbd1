#include "ocipfs/publish/image_import.hpp"

#include <exception>
#include <system_error>

#include "archive_source.hpp"
#include "layer_stream.hpp"
#include "layout_source.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/image/verbatim_image.hpp"
#include "opened_source.hpp"
#include "step_failure.hpp"

namespace ocipfs {

namespace fs = std::filesystem;

namespace {

using publish_detail::fail;
using publish_detail::LayerNodes;
using publish_detail::OpenedSource;
using publish_detail::value_or_fail;

OpenedSource open_source(const fs::path& path, std::string_view ref) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) fail("it does not exist");
  if (fs::is_directory(status)) return publish_detail::open_layout(path, ref);
  if (!fs::is_regular_file(status)) fail("it is neither a directory nor a file");
  return publish_detail::open_archive(path, ref);
}

void give_documents(const ResolvedImage& image, const BlockSink& sink) {
  if (!sink) return;
  for (const auto& [blob, bytes] : image.documents) sink(digest_cid(blob.digest), bytes);
}

void finish_document(ImportedImage& out, const OpenedSource& source, const LayerNodes& nodes,
                     const BlockSink& sink) {
  out.document.manifest = {out.image.top.media_type, out.image.top.digest, out.image.top.size};
  out.document.tag = source.tag;
  for (const auto& layer : out.image.layers) {
    out.document.layers[layer.digest] = nodes.at(layer.digest).cid.to_string();
    out.layer_bytes += layer.size;
  }
  out.document_json = verbatim_document_json(out.document);
  if (auto valid = parse_verbatim_document(out.document_json); !valid)
    fail("internal error: the verbatim document written does not parse: " + valid.error());
  out.document_cid = import_file(out.document_json, sink).cid;
  out.roots.push_back(out.document_cid);
  for (const auto& document : out.image.documents)
    out.roots.push_back(digest_cid(document.first.digest));
  for (const auto& layer : out.image.layers) out.roots.push_back(nodes.at(layer.digest).cid);
}

ImportedImage run_import(const fs::path& path, std::string_view ref, const SinkOpener& open) {
  OpenedSource source = open_source(path, ref);
  ImportedImage out;
  out.kind = source.kind;
  out.image = value_or_fail(resolve_image(source.top, source.lookup), "");
  if (!is_verbatim_manifest_type(out.image.top.media_type))
    fail("the image " + out.image.top.digest + " is not an OCI or Docker index or manifest");
  source.check_layers(out.image.layers);
  BlockSink sink = open(1 + out.image.documents.size() + out.image.layers.size());
  give_documents(out.image, sink);
  LayerNodes nodes;
  source.import_layers(out.image.layers, sink, nodes);
  finish_document(out, source, nodes, sink);
  return out;
}

}  // namespace

Expected<ImportedImage> import_image(const fs::path& source, std::string_view ref,
                                     const SinkOpener& open_sink) {
  try {
    return run_import(source, ref, open_sink);
  } catch (const publish_detail::StepFailure& error) {
    return Unexpected{path_in_quotes(source) + ": " + error.message};
  } catch (const std::exception& error) {
    return Unexpected{std::string(error.what())};
  }
}

}  // namespace ocipfs
