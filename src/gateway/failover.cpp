#include "ocipfs/gateway/failover.hpp"

#include "ocipfs/formats/recognize.hpp"
#include "ocipfs/formats/verify.hpp"
#include "ocipfs/image/repository.hpp"

namespace ocipfs {

namespace {

// How bad a failure is, for choosing the answer when every gateway failed.
int severity(FetchFault fault) {
  switch (fault) {
    case FetchFault::not_found:
      return 0;
    case FetchFault::mismatch:
      return 2;
    case FetchFault::timeout:
      return 3;
    case FetchFault::local_resources:
      return 4;
    case FetchFault::not_a_document:  // what the CID names, whoever failed beside it
      return 5;
    default:
      return 1;
  }
}

// What to check when no gateway has a document: most often, it was never added where they look.
constexpr char where_to_look[] = "is it pinned, or imported where the gateway can reach it?";

RegistryError failure_error(FetchFault worst, const std::string& subject, const std::string& detail,
                            const ErrorKind& missing) {
  switch (worst) {
    case FetchFault::not_found:
      return missing("no gateway has " + subject + " (" + where_to_look + "): " + detail);
    case FetchFault::timeout:
      return gateway_timeout("no gateway answered for " + subject + " in time (" + where_to_look +
                             " is the gateway slow?): " + detail);
    case FetchFault::mismatch:
      return bad_gateway("refusing " + subject + ": " + detail);
    case FetchFault::local_resources:
      return service_unavailable("ocipfsd could not fetch " + subject + ": " + detail);
    default:
      return bad_gateway("bad gateway fetching " + subject + ": " + detail);
  }
}

Payload payload_of(std::string_view content_type) {
  if (content_type.starts_with(car_type)) return Payload::car;
  if (content_type.starts_with(raw_block_type)) return Payload::block;
  return Payload::file;
}

Judgement failed(FetchFailure failure) {
  Judgement out;
  out.failure = std::move(failure);
  return out;
}

}  // namespace

Judgement judge_answer(const Cid& cid, DocumentKind kind,
                       Expected<FetchResponse, FetchFailure> answer, bool verify,
                       std::string_view origin) {
  if (!answer) return failed(std::move(answer).error());
  Judgement out;
  if (!verify) {
    out.kind = Judgement::Kind::content;
    out.content = std::move(answer->body);
    return out;
  }
  auto verified = verify_content(cid, answer->body, payload_of(answer->content_type));
  if (verified) {
    out.kind = Judgement::Kind::content;
    out.content = std::move(*verified);
    return out;
  }
  const auto& [why, message] = verified.error();
  if (why == VerifyFailure::Kind::directory) {
    out.kind = Judgement::Kind::final;
    out.error = not_a_document(kind, cid.to_string(), "a UnixFS directory");
    return out;
  }
  if (cid.codec == multicodec::dag_pb &&
      is_directory_listing(cid, answer->content_type, answer->body)) {
    std::string what = "a UnixFS directory (" + std::string(origin) + " lists it as a web page)";
    return failed({FetchFault::not_a_document, not_a_document_message(kind, cid.to_string(), what),
                   answer->status, std::chrono::seconds{0}});
  }
  if (why == VerifyFailure::Kind::unusable) {
    out.kind = Judgement::Kind::final;
    out.error = invalid_document(kind, cid.to_string(), message);
    return out;
  }
  FetchFault fault =
      why == VerifyFailure::Kind::mismatch ? FetchFault::mismatch : FetchFault::garbage;
  return failed(
      {fault, std::string(origin) + ": " + message, answer->status, std::chrono::seconds{0}});
}

GatewayAsk gateway_ask(const Cid& cid, bool verify) {
  if (!verify) return {};
  if (cid.codec == multicodec::dag_pb)
    return {"?format=car&dag-scope=entity", std::string(car_type)};
  return {"?format=raw", std::string(raw_block_type)};
}

Failover::Failover(DocumentKind kind, const std::string& cid, std::size_t gateways)
    : subject_(std::string(document_noun(kind)) + " " + cid),
      size_note_(" (a " + std::string(document_noun(kind)) + " is at most 1 MiB)"),
      missing_(manifest_unknown),
      gateways_(gateways) {}

Failover::Failover(std::string subject, std::size_t gateways)
    : subject_(std::move(subject)), missing_(blob_unknown), gateways_(gateways) {}

void Failover::failed(const FetchFailure& failure) {
  if (!worst_ || severity(failure.fault) > severity(*worst_)) worst_ = failure.fault;
  if (failure.fault == FetchFault::not_a_document && foreign_.empty()) foreign_ = failure.message;
  if (!first_ && failure.fault != FetchFault::mismatch) first_ = failure;
  failures_ += (failures_.empty() ? "" : "; ") + failure.message;
}

RegistryError Failover::verdict() const {
  FetchFault worst = worst_.value_or(FetchFault::not_found);
  // Said by a gateway, not proven: never cached as an invalid document.
  if (worst == FetchFault::not_a_document) return listed_as_not_a_manifest(foreign_);
  if (gateways_ != 1 || worst == FetchFault::mismatch || !first_)
    return failure_error(worst, subject_, failures_, missing_);
  std::string detail = first_->message;
  if (first_->fault == FetchFault::not_found) detail = "gateway " + detail;
  if (first_->fault == FetchFault::too_large) detail += size_note_;
  return failure_error(first_->fault, subject_, detail, missing_);
}

}  // namespace ocipfs
