#include "ocipfs/image/repository.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "ocipfs/base/text.hpp"

namespace ocipfs {

namespace {

struct KindName {
  std::string_view prefix;  // the first component of the name, with its slash
  DocumentKind kind;
};
constexpr std::array<KindName, 2> kinds = {
    {{"layer/", DocumentKind::layer}, {"image/", DocumentKind::image}}};

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A separator is ".", "_", "__" or "-+", always between two alphanumerics.
bool is_name_component(std::string_view component) {
  if (component.empty() || !is_lower_alnum(component.front()) || !is_lower_alnum(component.back()))
    return false;
  for (std::size_t i = 0; i < component.size();) {
    if (is_lower_alnum(component[i])) {
      ++i;
      continue;
    }
    std::size_t start = i;
    char c = component[i];
    if (c == '-') {
      while (i < component.size() && component[i] == '-') ++i;
    } else if (c == '_') {
      i += (i + 1 < component.size() && component[i + 1] == '_') ? 2 : 1;
    } else if (c == '.') {
      ++i;
    } else {
      return false;
    }
    if (i == start || i >= component.size() || !is_lower_alnum(component[i])) return false;
  }
  return true;
}

// The kind a name's first component names and the CID text after it, or nullopt when the name is
// not "<kind>/<one component>".
std::optional<std::pair<DocumentKind, std::string_view>> split_name(std::string_view name) {
  for (const auto& each : kinds) {
    if (!name.starts_with(each.prefix)) continue;
    std::string_view cid_text = name.substr(each.prefix.size());
    if (cid_text.find('/') != std::string_view::npos) return std::nullopt;
    return std::pair{each.kind, cid_text};
  }
  return std::nullopt;
}

RegistryError not_served(std::string_view name) {
  return name_unknown("repository " + in_quotes(name) +
                      " is not served here: names are layer/<CID of a layer manifest> and "
                      "image/<CID of an image document>, the CID a CIDv1 in lowercase base32 or "
                      "base36");
}

}  // namespace

std::string_view document_noun(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::layer:
      return "layer manifest";
    case DocumentKind::image:
      return "image document";
    case DocumentKind::blob:
      return "image blob";
  }
  return "document";
}

RegistryError invalid_document(DocumentKind kind, const std::string& cid,
                               const std::string& problem) {
  return manifest_invalid(std::string(document_noun(kind)) + " " + cid + " is invalid: " + problem);
}

std::string not_a_document_message(DocumentKind kind, const std::string& cid,
                                   std::string_view what) {
  std::string noun(document_noun(kind));
  std::string article = noun.starts_with('i') ? "an " : "a ";  // a layer manifest, an image ...
  std::string message = cid + " is " + std::string(what) + ", not " + article + noun;
  switch (kind) {
    case DocumentKind::layer:
      return message +
             ": use the layer manifest's CID that `ocipfs pack` or `ocipfs publish` "
             "printed (the first root of its CAR)";
    case DocumentKind::image:
      return message +
             ": use the image document's CID that `ocipfs compose` or `ocipfs import` "
             "printed";
    case DocumentKind::blob:
      break;
  }
  return message;
}

RegistryError not_a_document(DocumentKind kind, const std::string& cid, std::string_view what) {
  return not_a_manifest(not_a_document_message(kind, cid, what));
}

bool is_repository_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  std::size_t start = 0;
  while (true) {
    auto slash = name.find('/', start);
    if (!is_name_component(name.substr(start, slash - start))) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool is_tag(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (!word(text.front())) return false;
  return std::all_of(text.begin() + 1, text.end(),
                     [&](char c) { return word(c) || c == '.' || c == '-'; });
}

Expected<Repository, RegistryError> parse_repository(std::string_view name) {
  auto split = split_name(name);
  if (!split) return Unexpected{not_served(name)};
  auto [kind, cid_text] = *split;
  auto cid = parse_cid(cid_text);
  if (!cid || !is_lowercase_multibase(cid_text))
    return Unexpected{name_unknown("repository " + in_quotes(name) +
                                   " does not name a CID (CIDv1 in lowercase base32 or base36)" +
                                   (cid ? std::string() : ": " + cid.error()))};
  return Repository{kind, std::move(*cid), std::string(name)};
}

std::optional<RepositoryId> identify_repository(std::string_view name) {
  if (!is_repository_name(name)) return std::nullopt;
  auto split = split_name(name);
  if (!split || !is_lowercase_multibase(split->second)) return std::nullopt;
  auto cid = decode_cid_text(split->second);
  if (!cid) return std::nullopt;
  return RepositoryId{split->first, *cid};
}

}  // namespace ocipfs
