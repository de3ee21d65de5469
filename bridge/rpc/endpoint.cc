#include "bridge/rpc/endpoint.h"

#include <utility>

#include "absl/synchronization/notification.h"

namespace amqp::rpc {

absl::StatusOr<std::string> AsyncEndpoint::Invoke(
    absl::string_view method, CallContext& context,
    const rapidjson::Value& args) {
  absl::StatusOr<std::string> result;
  absl::Notification done;
  InvokeAsync(method, context, args,
              [&result, &done](absl::StatusOr<std::string> r) {
                result = std::move(r);
                done.Notify();
              });
  done.WaitForNotification();
  return result;
}

}  // namespace amqp::rpc
