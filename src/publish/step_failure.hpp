// How the publisher's steps fail inside (packing a layer, importing an image): a one-line
// message thrown where the problem is found, and turned into an Unexpected at the step's API
// function (pack_path, resolve_image, import_image), never thrown past it. Private to src/publish.
#pragma once

#include <string>
#include <utility>

#include "ocipfs/base/expected.hpp"

namespace ocipfs::publish_detail {

struct StepFailure {
  std::string message;
};

[[noreturn]] inline void fail(std::string message) { throw StepFailure{std::move(message)}; }

// The value of `result`, or fail with its error after `prefix`.
template <class T>
T value_or_fail(Expected<T> result, const std::string& prefix) {
  if (!result) fail(prefix + result.error());
  return std::move(*result);
}

}  // namespace ocipfs::publish_detail
