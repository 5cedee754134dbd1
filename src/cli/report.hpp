// The ocipfs command's output: "label   value" lines, aligned, or with --json one JSON object on
// stdout (private to the executable). Each command states a fact once, for both forms.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "ocipfs/formats/cid.hpp"

namespace ocipfs::cli {

// Writes `text` to `out` (stdout or stderr) and flushes it. A failure (a full disk, a closed
// descriptor or pipe) is a Failure naming the stream: a pipeline must not go on with less.
inline void write_out(std::FILE* out, std::string_view text) {
  errno = 0;
  bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  if (written && std::fflush(out) == 0 && !std::ferror(out)) return;
  throw Failure{std::string("cannot write to ") + (out == stderr ? "stderr" : "stdout") + ": " +
                std::strerror(errno ? errno : EIO)};
}

// Text: each fact is printed as it is stated, to `out`. JSON (--json): the facts are gathered
// and finish() writes them to stdout as one object, so that a command that fails has written
// nothing there. A report is written to as a stream is: its methods are const.
class Report {
 public:
  explicit Report(const Args& args, std::FILE* out = stdout) : out_(out), json_(args.json) {}

  // "label   text", or `facts` (an object, snake_case keys) merged into the JSON object.
  void line(std::string_view label, std::string_view text,
            const nlohmann::json& facts = nlohmann::json::object()) const {
    if (!json_) {
      std::string padded(label);
      if (padded.size() < 15) padded.resize(15, ' ');
      write_out(out_, padded + " " + std::string(text) + "\n");
      return;
    }
    object_.update(facts);
  }
  // "label   text", or `item` appended to the JSON array `key`.
  void item(std::string_view label, std::string_view text, const std::string& key,
            nlohmann::json item) const {
    line(label, text);
    json_item(key, std::move(item));
  }
  // `item` appended to the JSON array `key` alone.
  void json_item(const std::string& key, nlohmann::json item) const {
    if (json_) object_[key].push_back(std::move(item));
  }
  // A fact of the JSON object alone: the text says it in another line, or not at all.
  void json(const nlohmann::json& facts) const {
    if (json_) object_.update(facts);
  }
  // A line to paste (COPY --from=..., FROM ..., docker run ...): printed as it is, or under `key`.
  void paste(const std::string& key, std::string_view text) const {
    if (!json_) return write_out(out_, std::string(text) + "\n");
    object_[key] = text;
  }
  // With --json, writes the object to stdout, two-space indented. Call it once, on success.
  void finish() const {
    if (json_)
      write_out(stdout,
                object_.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }

 private:
  std::FILE* out_;
  bool json_;
  mutable nlohmann::json object_ = nlohmann::json::object();
};

// The CAR a command wrote: its path, blocks, bytes and roots in order.
inline void print_car(const Report& report, const std::filesystem::path& car, std::size_t blocks,
                      std::uint64_t size, const std::vector<Cid>& roots) {
  std::string text;
  nlohmann::json root_list = nlohmann::json::array();
  for (const auto& root : roots) {
    text += (text.empty() ? "" : " ") + root.to_string();
    root_list.push_back(root.to_string());
  }
  report.line(
      "car",
      car.string() + " (" + std::to_string(blocks) + " blocks, " + std::to_string(size) + " bytes)",
      {{"car", car.string()}, {"car_blocks", blocks}, {"car_size", size}});
  report.line("car roots", text, {{"car_roots", root_list}});
}

}  // namespace ocipfs::cli
