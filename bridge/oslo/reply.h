// RPC replies: the final reply to a call, the call-monitor heartbeat, and
// decoding both on the client side. oslo 14 sends one final message with
// result, failure and ending together: {"result", "failure", "ending",
// "_msg_id", "_unique_id"} inside the 2.0 envelope.

#ifndef BRIDGE_OSLO_REPLY_H_
#define BRIDGE_OSLO_REPLY_H_

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/envelope.h"
#include "bridge/oslo/failure.h"

namespace amqp::oslo {

// The fields of a reply to send. Views and `failure` must outlive
// EncodeReply().
struct OutgoingReply {
  // The method's return value as JSON text, spliced in unchanged. Ignored
  // (null is sent, as oslo does) when `failure` is set.
  absl::string_view result_json = "null";
  const Failure* failure = nullptr;
  bool ending = true;
  absl::string_view msg_id;     // the request's _msg_id
  absl::string_view unique_id;  // a fresh uuid4 hex; generated when empty
};

// The AMQP body, byte-identical to oslo's _send_reply output.
std::string EncodeReply(const OutgoingReply& reply);

// The call-monitor heartbeat: result null, failure null, ending false.
std::string EncodeHeartbeat(absl::string_view msg_id,
                            absl::string_view unique_id);

// A received reply. Move-only; values stay valid across moves.
class Reply {
 public:
  // InvalidArgument when the body is not a JSON object or bad envelope, or
  // "_msg_id" is missing or not a string: no call can be told. The faults of
  // a reply that names its call are kept as defect().
  static absl::StatusOr<Reply> Decode(std::string body);

  Reply(Reply&&) noexcept = default;
  Reply& operator=(Reply&&) noexcept = default;

  absl::string_view msg_id() const { return msg_id_; }
  absl::string_view unique_id() const { return unique_id_; }
  // The result; a null value when absent.
  const rapidjson::Value& result() const { return *result_; }
  const std::optional<Failure>& failure() const { return failure_; }
  // Absent "ending" counts as false, as in oslo's client.
  bool ending() const { return ending_; }
  // A call-monitor heartbeat: not ending, no failure, null result.
  bool is_heartbeat() const {
    return defect_.ok() && !ending_ && !failure_.has_value() &&
           result_->IsNull();
  }
  // OK, or InvalidArgument naming why the reply cannot be used, which ends
  // its call: JSON nested deeper than kMaxJsonDepth, "failure" neither null
  // nor a string holding a failure, "ending" not a boolean, "_unique_id"
  // neither a string nor null.
  const absl::Status& defect() const { return defect_; }

 private:
  explicit Reply(ParsedMessage parsed) : parsed_(std::move(parsed)) {}

  ParsedMessage parsed_;
  absl::string_view msg_id_;
  absl::string_view unique_id_;
  const rapidjson::Value* result_ = nullptr;
  std::optional<Failure> failure_;
  bool ending_ = false;
  absl::Status defect_;
};

}  // namespace amqp::oslo

#endif  // BRIDGE_OSLO_REPLY_H_
