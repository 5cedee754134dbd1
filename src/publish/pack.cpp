#include "ocipfs/publish/pack.hpp"

#include <algorithm>
#include <exception>
#include <new>
#include <nlohmann/json.hpp>
#include <system_error>

#include "layer_compression.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/image/repository.hpp"
#include "ocipfs/publish/path_relation.hpp"
#include "step_failure.hpp"
#include "tarball_reader.hpp"
#include "tarball_writer.hpp"

namespace ocipfs {

namespace fs = std::filesystem;

namespace {

using publish_detail::compression_of;
using publish_detail::fail;
using publish_detail::read_tarball;
using publish_detail::StepFailure;
using publish_detail::write_tarball;

fs::path directory_name_of(const fs::path& directory) {
  fs::path absolute = fs::absolute(directory).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path();
  return absolute.filename();
}

void check_tag(const std::string& file_name, const fs::path& tarball, bool from_directory) {
  if (is_tag(file_name)) return;
  fail("the tarball's file name " + in_quotes(file_name, 200) +
       " is not a valid OCI tag ([a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}), and the file name becomes "
       "the image's tag: " +
       (from_directory ? "choose another with --tarball=FILE"
                       : "rename " + path_in_quotes(tarball)));
}

PackedLayer pack_directory(const fs::path& directory, const PackOptions& options) {
  fs::path tarball = tarball_for(directory, options);
  std::string file_name = tarball.filename().string();
  auto media_type = layer_media_type_for(file_name);
  if (!media_type) fail("--tarball: " + media_type.error());
  check_tag(file_name, tarball, true);

  std::error_code ec;
  fs::path root = fs::canonical(directory, ec);
  if (ec) fail("cannot read " + path_in_quotes(directory) + ": " + ec.message());
  fs::path target = fs::weakly_canonical(fs::absolute(tarball), ec);
  if (ec) fail("cannot create " + path_in_quotes(tarball) + ": " + ec.message());
  if (resolves_within(target, root))
    fail("the tarball " + path_in_quotes(tarball) + " would be inside the directory " +
         path_in_quotes(directory) +
         " that is being packed: write it elsewhere with --tarball=FILE");

  PackedLayer layer = write_tarball(root, options.at, tarball, compression_of(*media_type),
                                    options.observe_stored, options.progress);
  layer.tarball = tarball;
  layer.file_name = file_name;
  layer.media_type = *media_type;
  layer.written = true;
  return layer;
}

PackedLayer pack_file(const fs::path& path, const PackOptions& options) {
  std::string file_name = path.filename().string();
  auto media_type = layer_media_type_for(file_name);
  if (!media_type)
    fail(path_in_quotes(path) + " is neither a directory nor a .tar, .tar.gz or .tar.zst file");
  check_tag(file_name, path, false);
  if (!options.progress) return read_tarball(path, *media_type, options.observe_stored);
  return read_tarball(path, *media_type, [&options](std::string_view stored) {
    if (options.observe_stored) options.observe_stored(stored);
    options.progress(stored.size());
  });
}

}  // namespace

fs::path tarball_for(const fs::path& directory, const PackOptions& options) {
  if (!options.tarball.empty()) return options.tarball;
  return options.tarball_dir / (directory_name_of(directory).string() + ".tar.gz");
}

Expected<PackedLayer> pack_path(const fs::path& path, const PackOptions& options) {
  try {
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (ec) return Unexpected{"cannot read " + path_in_quotes(path) + ": " + ec.message()};
    if (fs::is_directory(status)) return pack_directory(path, options);
    if (!options.tarball.empty())
      return Unexpected{"--tarball is for a directory; " + path_in_quotes(path) +
                        " is a file, and is used as it is"};
    if (!options.at.empty() && options.at != "/")
      return Unexpected{"\"at\" places a directory's contents; " + path_in_quotes(path) +
                        " is a file, and is used as it is"};
    if (!fs::is_regular_file(status))
      return Unexpected{"cannot pack " + path_in_quotes(path) +
                        ": not a directory or a regular file"};
    return pack_file(path, options);
  } catch (const StepFailure& error) {
    return Unexpected{error.message};
  } catch (const std::bad_alloc&) {
    return Unexpected{std::string("out of memory")};
  } catch (const std::exception& error) {  // a filesystem error, or the observer's
    return Unexpected{std::string(error.what())};
  }
}

std::string layer_manifest_json(const PackedLayer& layer, std::string_view ipfs_path) {
  nlohmann::ordered_json annotations;
  annotations[std::string(ipfs_cid_annotation)] = std::string(ipfs_path);
  annotations[std::string(fs_digest_annotation)] = layer.diff_id;
  nlohmann::ordered_json descriptor;
  descriptor["mediaType"] = layer.media_type;
  descriptor["digest"] = layer.digest;
  descriptor["size"] = layer.size;
  descriptor["annotations"] = std::move(annotations);
  nlohmann::ordered_json document;
  document["mediaType"] = std::string(layer_manifest_media_type);
  document["layer"] = std::move(descriptor);
  return document.dump(2) + "\n";
}

}  // namespace ocipfs
