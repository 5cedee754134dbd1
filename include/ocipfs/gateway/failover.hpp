// The failover decision, pure and socket-free: what one gateway's answer means for a fetch, and
// what the client is told when every gateway failed. Its messages are the only ones for gateway
// failures.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/base/registry_error.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/gateway/fetch_result.hpp"
#include "ocipfs/image/repository.hpp"

namespace ocipfs {

// The Accept values that ask a trustless gateway for the block itself, or for a CAR of the blocks.
inline constexpr std::string_view raw_block_type = "application/vnd.ipld.raw";
inline constexpr std::string_view car_type = "application/vnd.ipld.car";

// How to ask a gateway for the document `cid` names.
struct GatewayAsk {
  std::string query;   // after "/ipfs/<cid>", "?..." or empty
  std::string accept;  // the Accept header, or empty
};

// With `verify`: a raw CID is one block (application/vnd.ipld.raw); a dag-pb document may span
// several, so a trustless gateway is asked for the file's blocks as a CAR
// (?format=car&dag-scope=entity, which CDNs key on). A plain gateway ignores both and sends the
// file. Without `verify`: the plain path, no Accept.
GatewayAsk gateway_ask(const Cid& cid, bool verify);

// What one gateway's answer means.
struct Judgement {
  enum class Kind {
    content,  // the document, proven (or taken as it is without verification)
    final,    // proven content that is no usable document: immutable, no other gateway can help
    failure,  // this gateway failed or lied: try the next one
  };
  Kind kind = Kind::failure;
  std::string content;   // for content
  RegistryError error;   // for final
  FetchFailure failure;  // for failure (a lie is FetchFault::mismatch)
};

// Judges `answer` from the gateway at `origin` for the document `cid` of `kind`. With `verify`,
// the bytes must be proven to be what the CID names (formats/verify.hpp).
Judgement judge_answer(const Cid& cid, DocumentKind kind,
                       Expected<FetchResponse, FetchFailure> answer, bool verify,
                       std::string_view origin);

// The failures of one fetch, gateway by gateway, and the answer when all of them failed.
class Failover {
 public:
  // `gateways` is how many are tried, for the document `cid` names.
  Failover(DocumentKind kind, const std::string& cid, std::size_t gateways);
  // For a layer's bytes, named by `subject` ("layer sha256:... (bafy...)"): nowhere is a 404
  // BLOB_UNKNOWN.
  Failover(std::string subject, std::size_t gateways);

  void failed(const FetchFailure& failure);  // in the order the gateways were tried

  // The client's answer: 404 when the document (or layer) was nowhere (saying what to check); 400
  // when a gateway said the CID names something else (a directory: its message, which says which
  // CID to use); 504 when the worst was a timeout, 502 otherwise ("refusing ..." when a gateway
  // lied). With one gateway, its own failure says it.
  RegistryError verdict() const;

 private:
  std::string subject_;    // "layer manifest bafk...", in every message
  std::string size_note_;  // said of a too_large failure
  ErrorKind missing_;      // the answer when no gateway has it
  std::size_t gateways_;
  std::optional<FetchFault> worst_;
  std::optional<FetchFailure> first_;  // the first failure that was not a lie
  std::string failures_;               // every failure, "; "-separated
  std::string foreign_;                // the first not_a_document failure's message
};

}  // namespace ocipfs
