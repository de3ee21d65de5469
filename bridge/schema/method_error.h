// The one form of every error about a method's (amqp.method) options, shared
// by the checks of bridge/schema: "<file>: <Service>.<Method>: <problem>;
// <fix>", the same words from the plugin and from the bridge.

#ifndef BRIDGE_SCHEMA_METHOD_ERROR_H_
#define BRIDGE_SCHEMA_METHOD_ERROR_H_

#include <google/protobuf/descriptor.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace amqp::schema {

inline absl::Status MethodError(
    const google::protobuf::MethodDescriptor& method, absl::string_view problem,
    absl::string_view fix) {
  return absl::InvalidArgumentError(
      absl::StrCat(method.file()->name(), ": ", method.service()->name(), ".",
                   method.name(), ": ", problem, "; ", fix));
}

}  // namespace amqp::schema

#endif  // BRIDGE_SCHEMA_METHOD_ERROR_H_
