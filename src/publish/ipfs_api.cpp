#include "ocipfs/publish/ipfs_api.hpp"

#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/run_blocking.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/formats/ipfs_path.hpp"
#include "ocipfs/formats/verify.hpp"
#include "ocipfs/http/client.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/publish/regular_file.hpp"

namespace ocipfs {

namespace asio = boost::asio;

namespace {

constexpr std::size_t chunk_size = 64 * 1024;

// The node's own message in an error answer ({"Message": ...}), or the body, quoted.
std::string node_message(std::string_view body) {
  auto document = nlohmann::json::parse(body, nullptr, false);
  if (document.is_object()) {
    auto it = document.find("Message");
    if (it != document.end() && it->is_string()) return printable(it->get<std::string>(), 300);
  }
  return in_quotes(body, 300);
}

// The non-empty lines of an NDJSON body, without their trailing CR or spaces.
std::vector<std::string_view> split_lines(std::string_view body) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// The multipart/form-data body of one part, the file `name` with the bytes of `file`: a preamble,
// the file's pieces, an epilogue.
class MultipartFile {
 public:
  MultipartFile(BodySource& file, std::string_view name)
      : boundary_("ocipfs-" + random_hex(16)),
        preamble_("--" + boundary_ +
                  "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                  percent_encode(name) + "\"\r\nContent-Type: application/octet-stream\r\n\r\n"),
        epilogue_("\r\n--" + boundary_ + "--\r\n"),
        file_(file) {}

  std::string content_type() const { return "multipart/form-data; boundary=" + boundary_; }
  BodySource body() {
    return {preamble_.size() + file_.size + epilogue_.size(), [this] { return next(); }};
  }

 private:
  // The next piece; an error when the file gives other than its size.
  Expected<std::string_view> next() {
    if (!preamble_sent_) {
      preamble_sent_ = true;
      return std::string_view(preamble_);
    }
    if (epilogue_sent_) return std::string_view();
    auto piece = file_.next();
    if (!piece) return piece;
    sent_ += piece->size();
    if (sent_ > file_.size || (piece->empty() && sent_ != file_.size))
      return Unexpected{std::string("the file to add changed while it was being sent")};
    if (!piece->empty()) return piece;
    epilogue_sent_ = true;
    return std::string_view(epilogue_);
  }

  std::string boundary_;
  std::string preamble_;
  std::string epilogue_;
  BodySource& file_;
  std::uint64_t sent_ = 0;
  bool preamble_sent_ = false;
  bool epilogue_sent_ = false;
};

// What a refusal of the credentials (401, 403) asks of the user; "" for other answers.
std::string credentials_hint(unsigned status, const IpfsApiOptions& options) {
  if (status != 401 && status != 403) return "";
  return options.authorization.empty()
             ? " (the node asks for credentials: give them with --ipfs-api-auth or $IPFS_API_AUTH)"
             : " (check the credentials of --ipfs-api-auth or $IPFS_API_AUTH)";
}

// RFC 4648 base64 with padding, as HTTP's Basic credentials are written.
std::string base64_encode(std::string_view bytes) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k)
      group = (group << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k)
      out.push_back(k <= n ? alphabet[(group >> (18 - 6 * k)) & 0x3f] : '=');
  }
  return out;
}

// A failed request, in the words of the RPC API's errors.
std::string request_failure(const HttpError& error, const HttpUrl& api,
                            const IpfsApiOptions& options) {
  const std::string where = "the IPFS API at " + api.origin();
  const std::string within = " within " + duration_text(options.timeout);
  const std::string why = error.code.message();
  switch (error.step) {
    case HttpError::Step::resolve:
      return "cannot resolve " + api.host + " (the IPFS API's host)" +
             (error.timed_out() ? within : ": " + why);
    case HttpError::Step::connect:
      if (error.timed_out()) return where + " did not accept a connection" + within;
      return "cannot connect to " + where + ": " + why;
    case HttpError::Step::write:
      if (error.timed_out()) return where + " made no progress taking the request" + within;
      return where + " failed taking the request: " + why;
    case HttpError::Step::read:
      if (error.too_large())
        return where + " sent an answer over " + std::to_string(options.max_answer_size) + " bytes";
      if (error.timed_out()) return where + " made no progress answering" + within;
      return where + " failed answering: " + why;
    case HttpError::Step::body:
      return error.detail;
    case HttpError::Step::tls:
      if (error.timed_out()) return where + " did not complete the TLS handshake" + within;
      return "the TLS handshake with " + where + " failed: " + (error.code ? why : error.detail) +
             " (the system's CAs are trusted, or those of $SSL_CERT_FILE)";
    default:  // a local address, a cancel: neither happens to a call without a cancel
      return where + ": " + (error.code ? why : error.detail);
  }
}

// POSTs `file` as the multipart file `name` to `target`; the answer's body, or an error.
Expected<std::string> post_file(const HttpUrl& api, const std::string& target, BodySource& file,
                                std::string_view name, const IpfsApiOptions& options,
                                std::string_view action) {
  const std::string where = "the IPFS API at " + api.origin();
  MultipartFile multipart(file, name);
  BodySource body = multipart.body();
  const std::string content_type = multipart.content_type();
  HttpRequest request;
  request.method = "POST";
  request.target = target;
  request.accept = "application/json";
  request.content_type = content_type;
  request.authorization = options.authorization;
  request.body = &body;
  request.step_timeout = options.timeout;
  HttpClientOptions client;
  client.max_body_size = options.max_answer_size;
  client.user_agent = options.user_agent;
  std::optional<Expected<HttpResponse, HttpError>> answer;
  try {
    answer = run_blocking([&]() -> asio::awaitable<Expected<HttpResponse, HttpError>> {
      HttpClient http(co_await asio::this_coro::executor, client);
      co_return co_await http.request(api, request);
    });
  } catch (const std::exception& error) {
    return Unexpected{where + ": " + error.what()};
  }
  if (!*answer) return Unexpected{request_failure(answer->error(), api, options)};
  HttpResponse& response = **answer;
  // Kubo reports an error in the middle of a streamed answer in a trailer.
  if (auto stream_error = response.field("X-Stream-Error"); !stream_error.empty())
    return Unexpected{where + " failed while " + std::string(action) + ": " +
                      printable(stream_error, 300)};
  if (response.status != 200)
    return Unexpected{where + " answered " + std::to_string(response.status) + " to POST " +
                      printable(target) + ": " + node_message(response.body) +
                      credentials_hint(response.status, options)};
  return std::move(response.body);
}

Expected<std::vector<AddedEntry>> add(const HttpUrl& api, BodySource& content,
                                      std::string_view name, bool wrap,
                                      const IpfsApiOptions& options) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos)
    return Unexpected{"cannot add a file named " + in_quotes(name) + ": one path segment needed"};
  auto answer = post_file(api, add_target(api.base_path(), wrap), content, name, options, "adding");
  if (!answer) return Unexpected{std::move(answer).error()};
  auto entries = parse_add_answer(*answer);
  if (!entries)
    return Unexpected{"the IPFS API at " + api.origin() +
                      " sent an unusable answer: " + entries.error()};
  return entries;
}

}  // namespace

std::string ipfs_api_authorization(std::string_view credentials) {
  if (credentials.find(':') != std::string_view::npos) return "Basic " + base64_encode(credentials);
  return "Bearer " + std::string(credentials);
}

std::string add_target(std::string_view base_path, bool wrap_with_directory) {
  std::string target(base_path);
  while (!target.empty() && target.back() == '/') target.pop_back();
  if (!target.ends_with("/api/v0")) target += "/api/v0";
  target += "/add?cid-version=1&cid-base=base32&raw-leaves=true&wrap-with-directory=";
  target += wrap_with_directory ? "true" : "false";
  return target;
}

Expected<std::vector<AddedEntry>> parse_add_answer(std::string_view body) {
  std::vector<AddedEntry> entries;
  for (std::string_view line : split_lines(body)) {
    auto object = nlohmann::json::parse(line, nullptr, false);
    if (!object.is_object()) return Unexpected{"not a JSON object: " + in_quotes(line)};
    auto text = [&](const char* key) -> std::optional<std::string> {
      auto it = object.find(key);
      if (it == object.end()) return std::nullopt;
      if (it->is_string()) return it->get<std::string>();
      if (it->is_number_unsigned()) return std::to_string(it->get<std::uint64_t>());
      return std::nullopt;
    };
    auto hash = text("Hash");
    auto message = text("Message");
    if (!hash && message) return Unexpected{"the node refused: " + printable(*message, 300)};
    if (!hash) {
      if (object.contains("Bytes")) continue;  // a progress line
      return Unexpected{"an entry without a Hash: " + in_quotes(line)};
    }
    auto name = text("Name");
    if (!name) return Unexpected{"an entry without a Name: " + in_quotes(line)};
    entries.push_back({std::move(*name), std::move(*hash), text("Size").value_or("")});
  }
  if (entries.empty()) return Unexpected{std::string("no entries in the answer")};
  return entries;
}

namespace {

// Calls `send` with `file`'s bytes as a BodySource; an error when the file cannot be read.
template <class Result, class Send>
Expected<Result> upload_file(const std::filesystem::path& file, Send send) {
  auto opened = open_regular_file(file);
  if (!opened)
    return Unexpected{"cannot read " + in_quotes(file.string(), 200) + ": " + opened.error()};
  InputFile input = std::move(*opened);
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec) return Unexpected{"cannot read " + in_quotes(file.string(), 200) + ": " + ec.message()};
  std::vector<char> buffer(chunk_size);
  BodySource content{size, [&]() -> Expected<std::string_view> {
                       std::size_t n = std::fread(buffer.data(), 1, buffer.size(), input.get());
                       if (n == 0 && std::ferror(input.get()))
                         return Unexpected{"cannot read " + in_quotes(file.string(), 200) + ": " +
                                           std::strerror(errno)};
                       return std::string_view(buffer.data(), n);
                     }};
  return send(content);
}

// The roots the node reported that are not `expected`'s, or a pin error, as an error.
Expected<bool> check_imported_roots(const std::vector<ImportedRoot>& imported,
                                    const std::vector<Cid>& expected, const std::string& origin) {
  for (const auto& root : imported)
    if (!root.pin_error.empty())
      return Unexpected{"the IPFS API at " + origin + " imported the CAR but did not pin " +
                        printable(root.cid, 120) + ": " + printable(root.pin_error, 300)};
  for (const auto& want : expected) {
    bool found = false;
    for (const auto& root : imported) {
      auto cid = parse_cid(root.cid);
      found = found || (cid && cid->v1_bytes() == want.v1_bytes());
    }
    if (!found)
      return Unexpected{"the IPFS API at " + origin + " did not list the root " + want.to_string() +
                        " in its answer to the dag/import"};
  }
  return true;
}

}  // namespace

Expected<std::vector<AddedEntry>> ipfs_add_file(const HttpUrl& api,
                                                const std::filesystem::path& file,
                                                std::string_view name, bool wrap_with_directory,
                                                const IpfsApiOptions& options) {
  return upload_file<std::vector<AddedEntry>>(file, [&](BodySource& content) {
    return add(api, content, name, wrap_with_directory, options);
  });
}

Expected<std::vector<AddedEntry>> ipfs_add_bytes(const HttpUrl& api, std::string_view bytes,
                                                 std::string_view name, bool wrap_with_directory,
                                                 const IpfsApiOptions& options) {
  bool sent = false;
  BodySource content{bytes.size(), [&]() -> Expected<std::string_view> {
                       if (sent) return std::string_view();
                       sent = true;
                       return bytes;
                     }};
  return add(api, content, name, wrap_with_directory, options);
}

Expected<PublishedLayer> publish_layer(const HttpUrl& api, const PackedLayer& layer,
                                       const IpfsApiOptions& options) {
  auto added = ipfs_add_file(api, layer.tarball, layer.file_name, true, options);
  if (!added) return Unexpected{added.error()};
  const AddedEntry* file = nullptr;
  const AddedEntry* directory = nullptr;
  for (const auto& entry : *added) {
    if (entry.name == layer.file_name) file = &entry;
    if (entry.name.empty()) directory = &entry;
  }
  std::string origin = api.origin();
  if (!file || !directory)
    return Unexpected{"the IPFS API at " + origin + " did not list " +
                      (file ? std::string("the wrapping directory (Name \"\")")
                            : "the file " + in_quotes(layer.file_name)) +
                      " in its answer to the add"};
  auto directory_cid = parse_cid(directory->hash);
  auto file_cid = parse_cid(file->hash);
  if (!directory_cid || !file_cid)
    return Unexpected{"the IPFS API at " + origin + " answered an unusable CID: " +
                      (directory_cid ? file_cid.error() : directory_cid.error())};
  // A tarball that fits one chunk is a raw leaf: its CID is the sha256 we computed.
  if (file_cid->codec == multicodec::raw && file_cid->hash == multihash::sha2_256 &&
      "sha256:" + to_hex(file_cid->digest) != layer.digest)
    return Unexpected{"the IPFS API at " + origin + " stored other bytes than " +
                      in_quotes(layer.tarball.string(), 200) + ": its CID " + file->hash +
                      " does not name " + layer.digest};

  PublishedLayer published;
  published.directory_cid = directory->hash;
  published.tarball_cid = file->hash;
  published.ipfs_path = directory->hash + "/" + layer.file_name;
  published.manifest = layer_manifest_json(layer, published.ipfs_path);
  if (auto valid = parse_layer_manifest(published.manifest); !valid)
    return Unexpected{"the layer manifest would be invalid: " + valid.error()};

  auto stored = ipfs_add_bytes(api, published.manifest, "layer.json", false, options);
  if (!stored) return Unexpected{stored.error()};
  const std::string& manifest_hash = stored->back().hash;
  auto manifest_cid = parse_cid(manifest_hash);
  if (!manifest_cid)
    return Unexpected{"the IPFS API at " + origin + " answered an unusable CID for the layer " +
                      "manifest: " + manifest_cid.error()};
  // ocipfsd will prove the layer manifest against this CID: prove it now.
  auto proof = verify_content(*manifest_cid, published.manifest, Payload::file);
  if (!proof)
    return Unexpected{
        "the IPFS API at " + origin + " answered CID " + manifest_hash +
        " for the layer manifest, which ocipfsd cannot prove to name it: " + proof.error().message};
  published.manifest_cid = std::move(*manifest_cid);
  return published;
}

std::string dag_import_target(std::string_view base_path) {
  std::string target(base_path);
  while (!target.empty() && target.back() == '/') target.pop_back();
  if (!target.ends_with("/api/v0")) target += "/api/v0";
  return target + "/dag/import?pin-roots=true";
}

Expected<std::vector<ImportedRoot>> parse_dag_import_answer(std::string_view body) {
  std::vector<ImportedRoot> roots;
  for (std::string_view line : split_lines(body)) {
    auto object = nlohmann::json::parse(line, nullptr, false);
    if (!object.is_object()) return Unexpected{"not a JSON object: " + in_quotes(line)};
    if (auto message = object.find("Message"); message != object.end() && message->is_string())
      return Unexpected{"the node refused: " + printable(message->get<std::string>(), 300)};
    auto root = object.find("Root");
    if (root == object.end()) {
      if (object.contains("Stats")) continue;  // block counts, when asked for
      return Unexpected{"a line without a Root: " + in_quotes(line)};
    }
    const auto* cid = root->is_object() && (*root)["Cid"].is_object() ? &(*root)["Cid"] : nullptr;
    if (!cid || !cid->contains("/") || !(*cid)["/"].is_string())
      return Unexpected{"a Root without a Cid {\"/\": ...}: " + in_quotes(line)};
    ImportedRoot entry{(*cid)["/"].get<std::string>(), {}};
    if (auto pin = root->find("PinErrorMsg"); pin != root->end() && pin->is_string())
      entry.pin_error = pin->get<std::string>();
    roots.push_back(std::move(entry));
  }
  if (roots.empty()) return Unexpected{std::string("no roots in the answer")};
  return roots;
}

Expected<std::vector<ImportedRoot>> ipfs_dag_import(const HttpUrl& api,
                                                    const std::filesystem::path& car,
                                                    const IpfsApiOptions& options) {
  auto answer = upload_file<std::string>(car, [&](BodySource& content) {
    return post_file(api, dag_import_target(api.base_path()), content, car.filename().string(),
                     options, "importing");
  });
  if (!answer) return Unexpected{std::move(answer).error()};
  auto roots = parse_dag_import_answer(*answer);
  if (!roots)
    return Unexpected{"the IPFS API at " + api.origin() +
                      " sent an unusable answer to the dag/import: " + roots.error()};
  return roots;
}

Expected<bool> import_layer_car(const HttpUrl& api, const LayerDag& dag,
                                const IpfsApiOptions& options) {
  return import_car(api, dag.car, dag.car_roots, options);
}

Expected<bool> import_car(const HttpUrl& api, const std::filesystem::path& car,
                          const std::vector<Cid>& roots, const IpfsApiOptions& options) {
  auto imported = ipfs_dag_import(api, car, options);
  if (!imported) return Unexpected{std::move(imported).error()};
  return check_imported_roots(*imported, roots, api.origin());
}

Expected<bool> check_node_cids(const PublishedLayer& published, const LayerDag& dag) {
  auto differs = [](const std::string& node, const Cid& ours) {
    auto cid = parse_cid(node);
    return !cid || cid->v1_bytes() != ours.v1_bytes();
  };
  std::string why =
      " (the node adds with other parameters than ipfs add --cid-version=1 --raw-leaves: another "
      "chunker, hash or layout?)";
  if (differs(published.tarball_cid, dag.tarball_cid))
    return Unexpected{"the IPFS node stored the tarball as " + printable(published.tarball_cid) +
                      ", but ocipfs computes " + dag.tarball_cid.to_string() + why};
  if (differs(published.directory_cid, dag.directory_cid))
    return Unexpected{"the IPFS node stored the directory as " +
                      printable(published.directory_cid) + ", but ocipfs computes " +
                      dag.directory_cid.to_string() + why};
  if (published.manifest_cid.v1_bytes() != dag.manifest_cid.v1_bytes())
    return Unexpected{"the IPFS node stored the layer manifest as " +
                      published.manifest_cid.to_string() + ", but ocipfs computes " +
                      dag.manifest_cid.to_string() + why};
  return true;
}

}  // namespace ocipfs
