// What generated stubs know about one RPC at compile time (written by
// protoc-gen-amqp as constants): the oslo name and the fields that route the
// request or carry the result.

#ifndef BRIDGE_STUBS_METHOD_INFO_H_
#define BRIDGE_STUBS_METHOD_INFO_H_

#include "absl/strings/string_view.h"

namespace amqp::stubs {

struct MethodInfo {
  absl::string_view oslo_name;
  // Target version of this method; empty: the client's (service's) version.
  absl::string_view version;
  // Request field that picks the server; not sent as an argument.
  absl::string_view server_field;
  // Response field that receives the whole oslo result.
  absl::string_view result_field;
  // A cast goes to every server of the topic.
  bool fanout = false;
  // Sent instead of the version when the RpcClient's version cap forbids
  // it; empty: none.
  absl::string_view fallback_version;
};

}  // namespace amqp::stubs

#endif  // BRIDGE_STUBS_METHOD_INFO_H_
