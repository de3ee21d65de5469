// What an endpoint method sees of the request besides its arguments: the oslo
// context (`_context_*` keys, e.g. request_id, user_id, project_id), the method
// name, and whether the caller waits for a reply.

#ifndef BRIDGE_RPC_CALL_CONTEXT_H_
#define BRIDGE_RPC_CALL_CONTEXT_H_

#include <rapidjson/document.h>

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bridge/oslo/request.h"

namespace amqp::rpc {

// How a request reached the server, besides its body.
struct Arrival {
  // It came on the `<topic>.<server>` queue: the caller named this server.
  bool to_server = false;
  // The message's AMQP expiration (oslo sets the call's timeout there).
  std::optional<absl::Duration> expiration;
  absl::Time received = absl::InfinitePast();
};

class CallContext {
 public:
  explicit CallContext(const oslo::Request& request, Arrival arrival = {})
      : request_(request), arrival_(arrival) {}

  // The context dict, as the caller packed it (an object).
  const rapidjson::Value& values() const { return request_.context(); }
  // A string member of the context, e.g. "request_id"; nullopt if absent or
  // not a string.
  std::optional<absl::string_view> GetString(absl::string_view key) const;
  absl::string_view method() const { return request_.method(); }
  // False for casts and fanout casts: nobody reads the result.
  bool is_call() const { return request_.is_call(); }
  // oslo's ctxt["client_timeout"]: the call-monitor timeout, if any.
  std::optional<double> client_timeout() const {
    return request_.call_monitor_timeout();
  }
  const Arrival& arrival() const { return arrival_; }
  // The oslo request itself (request id, unique id, raw message).
  const oslo::Request& request() const { return request_; }

 private:
  const oslo::Request& request_;
  const Arrival arrival_;
};

inline std::optional<absl::string_view> CallContext::GetString(
    absl::string_view key) const {
  const rapidjson::Value& values = request_.context();
  auto it = values.FindMember(
      rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
  if (it == values.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return absl::string_view(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace amqp::rpc

#endif  // BRIDGE_RPC_CALL_CONTEXT_H_
