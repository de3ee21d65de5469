// RPC request messages (call, cast, fanout): encoding them exactly as an
// oslo.messaging 14 RPCClient does, and decoding what oslo clients send.

#ifndef BRIDGE_OSLO_REQUEST_H_
#define BRIDGE_OSLO_REQUEST_H_

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bridge/oslo/envelope.h"

namespace amqp::oslo {

// The fields of a request to send. Views must outlive EncodeRequest().
struct OutgoingRequest {
  absl::string_view method;
  // The keyword arguments: JSON text of an object, spliced in unchanged, so
  // it should already be Python-style JSON (PyJsonWriter / ToPyJson).
  absl::string_view args_json = "{}";
  std::optional<absl::string_view> namespace_;  // sent only when set
  std::optional<absl::string_view> version;     // sent only when set
  absl::string_view msg_id;  // empty for a cast: no _msg_id/_reply_q/_timeout
  absl::string_view reply_q;
  // oslo's call_monitor_timeout, sent as _timeout (null when unset). Whole
  // numbers are written as integers, as Python sends call_monitor_timeout=2.
  std::optional<double> call_monitor_timeout;
  // A fresh uuid4 hex is used when empty: oslo always sends one.
  absl::string_view unique_id;
  // A JSON object; each member k becomes a top-level _context_k key.
  const rapidjson::Value* context = nullptr;
};

// The AMQP body, byte-identical to oslo.messaging 14.0.3's for the same
// fields: method, args, [namespace], [version], [_msg_id, _reply_q,
// _timeout], _unique_id, _context_*..., inside the 2.0 envelope.
std::string EncodeRequest(const OutgoingRequest& request);

// A received request. Move-only; views and values stay valid across moves.
class Request {
 public:
  // Accepts enveloped and bare requests. InvalidArgument, naming the field,
  // when the body is not a JSON object, the envelope is bad, or _msg_id or
  // _reply_q is neither a string nor null: no answer could reach the caller.
  // What oslo's dispatcher fails on instead is kept as defect(), so that the
  // caller gets that failure, as from a Python server.
  static absl::StatusOr<Request> Decode(std::string body);

  Request(Request&&) noexcept = default;
  Request& operator=(Request&&) noexcept = default;

  absl::string_view method() const { return method_; }
  // The keyword arguments (an object; empty when "args" was absent).
  const rapidjson::Value& args() const { return *args_; }
  std::optional<absl::string_view> namespace_() const {
    return namespace_value_;
  }
  // "1.0" when absent, like oslo's dispatcher; "" when null (see below).
  absl::string_view version() const { return version_; }
  // "version": null, which matches no endpoint in oslo.
  bool version_is_null() const { return version_is_null_; }
  absl::string_view msg_id() const { return msg_id_; }  // empty for casts
  absl::string_view reply_q() const { return reply_q_; }
  // _timeout: the caller's call-monitor timeout (ctxt["client_timeout"]).
  std::optional<double> call_monitor_timeout() const { return timeout_; }
  absl::string_view unique_id() const { return unique_id_; }  // may be empty
  // The _context_* fields with the prefix stripped, in message order.
  const rapidjson::Value& context() const { return context_; }
  // The caller waits for a reply: _msg_id and _reply_q are both set. (oslo
  // runs a request with _msg_id but no _reply_q and then fails to reply.)
  bool is_call() const { return !msg_id_.empty() && !reply_q_.empty(); }
  // The whole message dict, as received (context keys included).
  const rapidjson::Value& message() const { return parsed_.message(); }

  // OK, or the failure (failure.h's status form) to answer instead of
  // running the request: the first of
  // - ValueError: JSON nested deeper than kMaxJsonDepth (a Python server
  //   reads it; this one does not);
  // - UnsupportedVersion: "namespace" neither a string nor null, which
  //   matches no endpoint;
  // - AttributeError: "version" neither a string nor null;
  // - TypeError: "method" missing or not a string;
  // - AttributeError: "args" not an object.
  // The classes are those oslo 14's dispatcher raises. It finds these while
  // it looks for the endpoint, so it may name a missing endpoint instead.
  // A _timeout that is not a number is ignored (oslo runs the call, and its
  // heartbeat thread fails), and so is a _unique_id that is not a string.
  const absl::Status& defect() const { return defect_; }

 private:
  explicit Request(ParsedMessage parsed) : parsed_(std::move(parsed)) {}

  ParsedMessage parsed_;
  absl::string_view method_;
  const rapidjson::Value* args_ = nullptr;
  std::optional<absl::string_view> namespace_value_;
  absl::string_view version_ = "1.0";
  bool version_is_null_ = false;
  absl::string_view msg_id_;
  absl::string_view reply_q_;
  std::optional<double> timeout_;
  absl::string_view unique_id_;
  rapidjson::Value context_{rapidjson::kObjectType};
  absl::Status defect_;
};

}  // namespace amqp::oslo

#endif  // BRIDGE_OSLO_REQUEST_H_
